import { describe, expect, it } from 'vitest'
import { addFault, listDriveFiles, pdsRequestLog, seedDrive, type PdsSeedFile } from '../emulators/control.ts'
import { PDS_ACCESS_TOKEN, PDS_EMULATOR_URL as EMU } from '../fixtures/pds.ts'
import { batch, unique } from '../helpers.ts'

const codes = (r: { json: any }) => r.json.results.map((x: any) => [x.status, x.error?.code])
const file = (fileId: string, name = fileId, parentFileId = 'root', extra: Partial<PdsSeedFile> = {}): PdsSeedFile => ({ fileId, name, parentFileId, ...extra })
const folder = (fileId: string, name = fileId, parentFileId = 'root'): PdsSeedFile => ({ fileId, name, parentFileId, type: 'folder' })
const filesOf = async (drive: string) => new Map((await listDriveFiles(EMU, drive)).map((f) => [f.fileId, f]))

async function driveWith(prefix: string, files: PdsSeedFile[]) {
  const d = unique(prefix)
  await seedDrive(EMU, d, files)
  return d
}

// The `pds` test account retries 3 times with 5-40 ms backoff and a 1.5 s call timeout.
describe('POST /v1/batch on a PDS account', () => {
  it('runs every PDS kind through one /v2/batch call and applies each', async () => {
    const d = await driveWith('all-kinds', [
      file('photo', 'photo.jpg', 'root', { size: 1024, contentHash: 'F00D', mimeType: 'image/jpeg', userMeta: '{"author":"alice"}', updatedAt: '2024-01-01T00:00:00Z' }),
      folder('dir', 'backup'),
      file('to-copy', 'c.txt', 'root', { size: 3 }),
      file('to-move', 'm.txt', 'root', { size: 4 }),
      file('to-delete', 'd.txt'),
      file('meta', 'meta.txt', 'root', { userMeta: '{"old":"x"}' }),
      file('tag', 'tag.txt', 'root', { userTags: { stale: '1', keep: 'old' } }),
      file('untag', 'untag.txt', 'root', { userTags: { a: '1', b: '2' } }),
    ])
    const other = await driveWith('all-kinds-other', [folder('inbox')])
    const r = await batch('pds', [
      { op: 'stat', bucket: d, key: 'photo' },
      { op: 'copy', bucket: d, key: 'to-copy', destination: { bucket: other, parentFileId: 'inbox', name: 'copied.txt' } },
      { op: 'move', bucket: d, key: 'to-move', destination: { bucket: d, parentFileId: 'dir' } },
      { op: 'delete', bucket: d, key: 'to-delete' },
      { op: 'setMetadata', bucket: d, key: 'meta', metadata: { team: 'data' } },
      { op: 'putTagging', bucket: d, key: 'tag', tags: { keep: 'new', added: 'yes' } },
      { op: 'deleteTagging', bucket: d, key: 'untag' },
    ])
    expect(r.status, r.text).toBe(200)
    expect(r.json.results.map((x: any) => [x.id, x.op, x.status])).toEqual([
      ['0', 'stat', 200], ['1', 'copy', 200], ['2', 'move', 200], ['3', 'delete', 200], ['4', 'setMetadata', 200], ['5', 'putTagging', 200], ['6', 'deleteTagging', 200],
    ])
    expect(r.json.results[0].data).toEqual({
      size: 1024, etag: 'F00D', contentType: 'image/jpeg', lastModified: '2024-01-01T00:00:00.000Z', storageClass: 'STANDARD',
      metadata: { author: 'alice' }, name: 'photo.jpg', type: 'file', parentFileId: 'root',
    })
    expect(r.json.results[1].data).toEqual({ fileId: expect.any(String), driveId: other })
    expect(r.json.results[2].data).toEqual({ fileId: 'to-move', driveId: d })
    expect(r.json.results[3].data).toEqual({ existed: true })

    const [files, others] = [await filesOf(d), await filesOf(other)]
    const copied = others.get(r.json.results[1].data.fileId)!
    expect([copied.name, copied.parentFileId, copied.size]).toEqual(['copied.txt', 'inbox', 3])
    expect(files.has('to-copy')).toBe(true)
    expect(files.get('to-move')?.parentFileId).toBe('dir')
    expect(files.has('to-delete')).toBe(false)
    expect(JSON.parse(files.get('meta')!.userMeta!)).toEqual({ team: 'data' })
    expect(files.get('tag')?.userTags).toEqual({ keep: 'new', added: 'yes' })
    expect(files.get('untag')?.userTags).toEqual({})

    // Tagging reads the current tags first (one read-only call), then one call applies everything.
    const log = await pdsRequestLog(EMU, d)
    expect(log.map((e) => [e.ops, e.httpStatus, e.auth, e.tokenValid])).toEqual([[2, 200, 'Bearer', true], [8, 200, 'Bearer', true]])
    expect(log[0]!.urls).toEqual(['/file/get', '/file/get'])
    expect(log[1]!.urls).toEqual(['/file/get', '/file/copy', '/file/move', '/file/delete', '/file/update', '/file/delete_usertags', '/file/put_usertags', '/file/delete_usertags'])
  })

  it('answers 207 with every PDS failure mapped to its unified code, keeping what PDS said', async () => {
    const d = await driveWith('partial', [file('f', 'a.txt'), folder('dir'), file('same', 'a.txt', 'dir'), file('m', 'a.txt'), file('m2', 'a.txt', 'root', { size: 9 })])
    const r = await batch('pds', [
      { op: 'stat', bucket: d, key: 'missing' },
      { op: 'stat', bucket: unique('no-drive'), key: 'f' },
      { op: 'copy', bucket: d, key: 'f', destination: { bucket: d, parentFileId: 'dir' } },
      { op: 'move', bucket: d, key: 'm', destination: { bucket: d, parentFileId: 'dir' } },
      { op: 'move', bucket: d, key: 'm2', destination: { bucket: d, parentFileId: 'dir' }, overwrite: true },
      { op: 'delete', bucket: d, key: 'missing' },
      { op: 'copy', bucket: d, key: 'f', destination: { bucket: d, parentFileId: 'no-folder' } },
      { op: 'setMetadata', bucket: d, key: 'missing', metadata: { a: 'b' } },
      { op: 'copy', bucket: d, key: 'f', destination: { bucket: d, parentFileId: 'dir', name: 'sub/dir.txt' } },
    ])
    expect(r.status).toBe(207)
    expect(codes(r)).toEqual([
      [404, 'NoSuchKey'],
      [404, 'NoSuchBucket'],
      [409, 'DestinationExists'],
      [409, 'DestinationExists'],
      [200, undefined],
      [200, undefined],
      [404, 'NoSuchKey'],
      [404, 'NoSuchKey'],
      [400, 'InvalidArgument'],
    ])
    expect(r.json.results[0].error.provider).toEqual({ code: 'NotFound.File', message: 'file missing not found' })
    expect(r.json.results[1].error.provider.code).toBe('NotFound.Drive')
    expect(r.json.results[2].error.provider.code).toBe('AlreadyExist.File')
    expect(r.json.results[5].data).toEqual({ existed: false })
    expect(r.json.results[8].error.provider.code).toBe('InvalidParameter.NewName')
    expect(r.json.summary).toEqual({ total: 9, succeeded: 2, failed: 7 })
    const files = await filesOf(d)
    expect(files.has('same')).toBe(false)
    expect(files.get('m2')).toMatchObject({ parentFileId: 'dir', size: 9 })
    expect(files.get('m')?.parentFileId).toBe('root')
    expect(files.size).toBe(4)
  })

  it('answers a delete PDS runs asynchronously with 202 and its asyncTaskId', async () => {
    const d = await driveWith('async', [file('big', 'async-big.bin'), folder('dir'), file('in', 'in', 'dir'), file('small')])
    const r = await batch('pds', ['big', 'dir', 'small'].map((key) => ({ op: 'delete', bucket: d, key })))
    expect(r.status).toBe(200)
    expect(r.json.results.map((x: any) => x.status)).toEqual([202, 202, 200])
    expect(r.json.results[0].data).toEqual({ asyncTaskId: expect.stringMatching(/^[0-9a-f]{32}$/) })
    expect(r.json.results[1].data.asyncTaskId).not.toBe(r.json.results[0].data.asyncTaskId)
    expect(r.json.results[2].data).toEqual({ existed: true })
    expect(r.json.summary).toEqual({ total: 3, succeeded: 3, failed: 0 })
    expect(await listDriveFiles(EMU, d)).toEqual([])
  })

  it('sends 101 operations as two provider calls of 100 and 1', async () => {
    const d = await driveWith('hundred', Array.from({ length: 101 }, (_, i) => file(`f${i}`)))
    const r = await batch('pds', Array.from({ length: 101 }, (_, i) => (i % 2 ? { op: 'stat', bucket: d, key: `f${i}` } : { op: 'setMetadata', bucket: d, key: `f${i}`, metadata: { i: String(i) } })))
    expect(r.json.summary).toEqual({ total: 101, succeeded: 101, failed: 0 })
    expect((await pdsRequestLog(EMU, d)).map((e) => e.ops)).toEqual([100, 1])
    expect(JSON.parse((await filesOf(d)).get('f100')!.userMeta!)).toEqual({ i: '100' })
  })

  it('matches the answers PDS gives out of order to their operations by id', async () => {
    const d = await driveWith('order', Array.from({ length: 30 }, (_, i) => file(`f${i}`, `n${i}`, 'root', { size: i })))
    const r = await batch('pds', Array.from({ length: 30 }, (_, i) => ({ id: `op-${i}`, op: 'stat', bucket: d, key: `f${i}` })))
    expect(r.status).toBe(200)
    expect(r.json.results.map((x: any) => [x.id, x.data.size, x.data.name])).toEqual(Array.from({ length: 30 }, (_, i) => [`op-${i}`, i, `n${i}`]))
  })

  it('answers NotSupported for kinds PDS lacks and sends only the rest', async () => {
    const d = await driveWith('unsupported', [file('k')])
    const r = await batch('pds', [
      { op: 'restore', bucket: d, key: 'k', days: 1 },
      { op: 'stat', bucket: d, key: 'k' },
      { op: 'setStorageClass', bucket: d, key: 'k', storageClass: 'IA' },
      { op: 'setStatus', bucket: d, key: 'k', enabled: false },
      { op: 'setExpiry', bucket: d, key: 'k', days: 3 },
      { op: 'setLifecycle', bucket: d, key: 'k', toIAAfterDays: 3 },
      { op: 'putAcl', bucket: d, key: 'k', acl: 'private' },
      { op: 'delete', bucket: d, key: 'k' },
    ])
    expect(r.status).toBe(207)
    expect(codes(r)).toEqual([[501, 'NotSupported'], [200, undefined], [501, 'NotSupported'], [501, 'NotSupported'], [501, 'NotSupported'], [501, 'NotSupported'], [501, 'NotSupported'], [200, undefined]])
    expect(r.json.results[0].error.message).toBe('pds cannot restore')
    expect((await pdsRequestLog(EMU, d)).map((e) => e.urls)).toEqual([['/file/get', '/file/delete']])
  })

  it('refuses a key destination, a copy overwrite, a content type and a versionId with 400 naming each field, sending nothing', async () => {
    const d = await driveWith('refused', [file('k')])
    const r = await batch('pds', [
      { op: 'copy', bucket: d, key: 'k', destination: { bucket: d, key: 'k2' } },
      { op: 'move', bucket: d, key: 'k', destination: { bucket: d, key: 'k2', parentFileId: 'root' } },
      { op: 'stat', bucket: d, key: 'k', versionId: 'v1' },
      { op: 'copy', bucket: d, key: 'k', destination: { bucket: d, parentFileId: 'root' }, overwrite: true },
      { op: 'setMetadata', bucket: d, key: 'k', contentType: 'text/plain' },
      { op: 'putAcl', bucket: d, key: 'k', acl: 'private', versionId: 'v2' },
    ])
    expect(r.status).toBe(400)
    expect(r.headers.get('content-type')).toContain('application/problem+json')
    expect(r.json.errors.map((e: any) => e.path)).toEqual([
      'operations[0].destination.key',
      'operations[0].destination.parentFileId',
      'operations[1].destination.key',
      'operations[2].versionId',
      'operations[3].overwrite',
      'operations[4].contentType',
    ])
    expect(await pdsRequestLog(EMU, d)).toEqual([])
  })

  it('reports AccessDenied per operation when PDS refuses the token, applying nothing and echoing no token', async () => {
    const d = await driveWith('denied', [file('k')])
    const r = await batch('pds-wrong-token', [{ op: 'delete', bucket: d, key: 'k' }, { op: 'stat', bucket: d, key: 'k' }])
    expect(r.status).toBe(207)
    expect(codes(r)).toEqual([[403, 'AccessDenied'], [403, 'AccessDenied']])
    expect(r.json.results[0].error.provider.code).toBe('AccessTokenInvalid')
    expect(r.text).not.toContain('not-the-pds-token')
    expect(r.text).not.toContain(PDS_ACCESS_TOKEN)
    expect((await pdsRequestLog(EMU, d)).map((e) => [e.httpStatus, e.tokenValid])).toEqual([[401, false]])
    expect((await filesOf(d)).has('k')).toBe(true)
  })
})

describe('PDS faults', () => {
  it('retries a throttled operation alone and never re-sends the ones already applied', async () => {
    const d = await driveWith('throttle-once', [file('a'), file('b'), file('c')])
    await addFault(EMU, { bucket: d, kind: 'op', key: 'b', code: 429, error: 'TooManyRequests' })
    const r = await batch('pds', ['a', 'b', 'c'].map((key) => ({ op: 'delete', bucket: d, key })))
    expect(r.status).toBe(200)
    expect(r.json.results.map((x: any) => x.data)).toEqual([{ existed: true }, { existed: true }, { existed: true }])
    expect((await pdsRequestLog(EMU, d)).map((e) => e.ops)).toEqual([3, 1])
  })

  it('surfaces persistent throttling as Throttled after its retries, the other operations done', async () => {
    const d = await driveWith('throttle-forever', [file('a'), file('b')])
    await addFault(EMU, { bucket: d, kind: 'op', key: 'a', code: 429, error: 'TooManyRequests', times: -1 })
    const r = await batch('pds', [{ op: 'stat', bucket: d, key: 'a' }, { op: 'stat', bucket: d, key: 'b' }])
    expect(r.status).toBe(207)
    expect(r.json.results[0]).toMatchObject({ status: 429, error: { code: 'Throttled', provider: { code: 'TooManyRequests' } } })
    expect(r.json.results[1].status).toBe(200)
    expect((await pdsRequestLog(EMU, d)).map((e) => e.ops)).toEqual([2, 1, 1])
  })

  it('waits as long as Retry-After asks when the whole call is throttled', async () => {
    const d = await driveWith('retry-after', [file('a')])
    await addFault(EMU, { bucket: d, kind: 'http', status: 429, retryAfter: 1 })
    const r = await batch('pds', [{ op: 'stat', bucket: d, key: 'a' }])
    expect(r.status).toBe(200)
    const log = await pdsRequestLog(EMU, d)
    expect(log.map((e) => e.httpStatus)).toEqual([429, 200])
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(990)
  })

  it('retries 5xx answers, unreadable answers, a child request left unanswered and dropped connections', async () => {
    for (const fault of [
      { kind: 'http', status: 503 },
      { kind: 'op', code: 500 },
      { kind: 'garbage' },
      { kind: 'garbage', body: '{"responses":[{"id":"stranger","status":204}]}' },
      { kind: 'drop' },
    ] as const) {
      const d = await driveWith(`fault-${fault.kind}`, [file('a')])
      await addFault(EMU, { bucket: d, ...fault })
      const r = await batch('pds', [{ op: 'delete', bucket: d, key: 'a' }])
      expect(r.status, JSON.stringify(fault)).toBe(200)
      expect(r.json.results[0].data, JSON.stringify(fault)).toEqual({ existed: true })
      expect(await listDriveFiles(EMU, d)).toEqual([])
      expect((await pdsRequestLog(EMU, d)).length, JSON.stringify(fault)).toBe(2)
    }
  })

  it('surfaces persistent 5xx as ProviderError with what PDS said', async () => {
    const d = await driveWith('always-503', [file('a')])
    await addFault(EMU, { bucket: d, kind: 'http', status: 503, times: -1 })
    const r = await batch('pds', [{ op: 'stat', bucket: d, key: 'a' }])
    expect(r.json.results[0]).toMatchObject({ status: 502, error: { code: 'ProviderError', provider: { code: 'ServiceUnavailable', message: 'injected fault' } } })
    expect((await pdsRequestLog(EMU, d)).length).toBe(3)
  })

  it('replaces tags (deleting the ones not given), and retries a tagging operation whose read failed', async () => {
    const d = await driveWith('tag-retry', [file('t', 't', 'root', { userTags: { old: '1' } })])
    const r1 = await batch('pds', [{ op: 'putTagging', bucket: d, key: 't', tags: { fresh: 'yes' } }])
    expect(r1.status).toBe(200)
    expect((await filesOf(d)).get('t')?.userTags).toEqual({ fresh: 'yes' })
    await addFault(EMU, { bucket: d, kind: 'http', status: 503 })
    const r2 = await batch('pds', [{ op: 'deleteTagging', bucket: d, key: 't' }])
    expect(r2.status).toBe(200)
    expect((await filesOf(d)).get('t')?.userTags).toEqual({})
    expect((await pdsRequestLog(EMU, d)).map((e) => [e.urls.join(), e.httpStatus])).toEqual([
      ['/file/get', 200], ['/file/delete_usertags,/file/put_usertags', 200], ['/file/get', 503], ['/file/get', 200], ['/file/delete_usertags', 200],
    ])
  })
})
