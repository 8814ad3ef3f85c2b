import { describe, expect, it } from 'vitest'
import { addFault, listObjects, requestLog, seedBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as EMU } from '../fixtures/accounts.ts'
import { batch, unique } from '../helpers.ts'

const codes = (r: { json: any }) => r.json.results.map((x: any) => [x.status, x.error?.code])
const objectMap = async (bucket: string) => new Map((await listObjects(EMU, bucket)).map((o) => [o.key, o]))

describe('POST /v1/batch on a Qiniu account', () => {
  it('runs all ten Qiniu operations in one /batch call and applies each', async () => {
    const b = unique('all-kinds')
    const other = unique('other')
    await seedBucket(EMU, b, [
      { key: 'a.jpg', fsize: 1024, mimeType: 'image/jpeg', md5: 'd41d8cd98f00b204e9800998ecf8427e', meta: { author: 'alice' }, putTime: '17040672000000000' },
      { key: 'to-copy', fsize: 3 },
      { key: 'to-move', fsize: 4 },
      { key: 'to-delete' },
      { key: 'cold', type: 2 },
      { key: 'meta' },
      { key: 'class' },
      { key: 'status' },
      { key: 'expiry' },
      { key: 'life' },
    ])
    await seedBucket(EMU, other, [])
    const r = await batch('qiniu', [
      { op: 'stat', bucket: b, key: 'a.jpg' },
      { op: 'copy', bucket: b, key: 'to-copy', destination: { bucket: other, key: 'copied' } },
      { op: 'move', bucket: b, key: 'to-move', destination: { bucket: other, key: 'moved' } },
      { op: 'delete', bucket: b, key: 'to-delete' },
      { op: 'restore', bucket: b, key: 'cold', days: 2 },
      { op: 'setMetadata', bucket: b, key: 'meta', contentType: 'text/csv', metadata: { team: 'data' } },
      { op: 'setStorageClass', bucket: b, key: 'class', storageClass: 'DEEP_ARCHIVE' },
      { op: 'setStatus', bucket: b, key: 'status', enabled: false },
      { op: 'setExpiry', bucket: b, key: 'expiry', days: 30 },
      { op: 'setLifecycle', bucket: b, key: 'life', toIAAfterDays: 10, toArchiveAfterDays: 60 },
    ])
    expect(r.status).toBe(200)
    expect(r.json.results.map((x: any) => x.status)).toEqual([200, 200, 200, 200, 202, 200, 200, 200, 200, 200])
    expect(r.json.results[0].data).toEqual({
      size: 1024, etag: expect.any(String), contentType: 'image/jpeg', lastModified: '2024-01-01T00:00:00.000Z',
      storageClass: 'STANDARD', metadata: { author: 'alice' }, md5: 'd41d8cd98f00b204e9800998ecf8427e', enabled: true,
    })
    expect(r.json.results[3].data).toEqual({ existed: true })

    const [objects, copies] = [await objectMap(b), await objectMap(other)]
    expect(copies.get('copied')?.fsize).toBe(3)
    expect(copies.get('moved')?.fsize).toBe(4)
    expect(objects.has('to-copy')).toBe(true)
    expect(objects.has('to-move')).toBe(false)
    expect(objects.has('to-delete')).toBe(false)
    expect(objects.get('cold')?.restoreStatus).toBe(1)
    expect(objects.get('meta')).toMatchObject({ mimeType: 'text/csv', meta: { team: 'data' } })
    expect(objects.get('class')?.type).toBe(3)
    expect(objects.get('status')?.status).toBe(1)
    expect(objects.get('expiry')?.expiration).toBeGreaterThan(Date.now() / 1000 + 29 * 86400)
    expect(objects.get('life')?.transitionToIA).toBeGreaterThan(Date.now() / 1000)
    expect(objects.get('life')?.transitionToARCHIVE).toBeGreaterThan(objects.get('life')!.transitionToIA!)

    const log = await requestLog(EMU, b)
    expect(log).toEqual([expect.objectContaining({ path: '/batch', auth: 'Qiniu', ops: 10, httpStatus: 200 })])
  })

  it('signs with the legacy QBox token when the account says so', async () => {
    const b = unique('qbox')
    await seedBucket(EMU, b, [{ key: 'k' }])
    const r = await batch('qiniu-qbox', [{ op: 'stat', bucket: b, key: 'k' }])
    expect(r.status).toBe(200)
    expect((await requestLog(EMU, b))[0]).toMatchObject({ auth: 'QBox', accessKey: 'qn-qbox-ak', httpStatus: 200 })
  })

  it('answers 207 with every Qiniu failure mapped to its unified code', async () => {
    const b = unique('partial')
    await seedBucket(EMU, b, [{ key: 'exists' }, { key: 'dest' }, { key: 'warm' }, { key: 'on' }])
    const r = await batch('qiniu', [
      { op: 'stat', bucket: b, key: 'missing' },
      { op: 'stat', bucket: unique('no-bucket'), key: 'x' },
      { op: 'copy', bucket: b, key: 'exists', destination: { bucket: b, key: 'dest' } },
      { op: 'restore', bucket: b, key: 'warm', days: 1 },
      { op: 'setStatus', bucket: b, key: 'on', enabled: true },
      { op: 'delete', bucket: b, key: 'missing' },
      { op: 'copy', bucket: b, key: 'exists', destination: { bucket: b, key: 'dest' }, overwrite: true },
    ])
    expect(r.status).toBe(207)
    expect(codes(r)).toEqual([
      [404, 'NoSuchKey'],
      [404, 'NoSuchBucket'],
      [409, 'DestinationExists'],
      [409, 'InvalidObjectState'],
      [200, undefined],
      [200, undefined],
      [200, undefined],
    ])
    expect(r.json.results[2].error.provider).toEqual({ code: '614', message: 'file exists' })
    expect(r.json.results[4].data).toEqual({ changed: false })
    expect(r.json.results[5].data).toEqual({ existed: false })
    expect(r.json.summary).toEqual({ total: 7, succeeded: 3, failed: 4 })
  })

  it('sends exactly 1,000 mixed operations as one provider call', async () => {
    const b = unique('thousand')
    await seedBucket(EMU, b, Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}` })))
    const kinds = (i: number) =>
      [
        { op: 'stat', bucket: b, key: `k${i}` },
        { op: 'setMetadata', bucket: b, key: `k${i}`, contentType: 'text/plain' },
        { op: 'setExpiry', bucket: b, key: `k${i}`, days: 7 },
        { op: 'copy', bucket: b, key: `k${i}`, destination: { bucket: b, key: `copy/${i}` } },
      ][i % 4]
    const r = await batch('qiniu', Array.from({ length: 1000 }, (_, i) => kinds(i)))
    expect(r.json.summary).toEqual({ total: 1000, succeeded: 1000, failed: 0 })
    expect((await requestLog(EMU, b)).map((e) => e.ops)).toEqual([1000])

  })

  it('answers NotSupported for kinds Qiniu lacks and sends only the rest', async () => {
    const b = unique('unsupported')
    await seedBucket(EMU, b, [{ key: 'k' }])
    const r = await batch('qiniu', [
      { op: 'putTagging', bucket: b, key: 'k', tags: { a: 'b' } },
      { op: 'stat', bucket: b, key: 'k' },
      { op: 'putAcl', bucket: b, key: 'k', acl: 'private' },
      { op: 'deleteTagging', bucket: b, key: 'k' },
    ])
    expect(r.status).toBe(207)
    expect(codes(r)).toEqual([[501, 'NotSupported'], [200, undefined], [501, 'NotSupported'], [501, 'NotSupported']])
    expect((await requestLog(EMU, b)).map((e) => e.ops)).toEqual([1])
  })

  it('refuses arguments Qiniu cannot take before sending anything', async () => {
    const b = unique('refused')
    await seedBucket(EMU, b, [{ key: 'k', type: 2 }])
    const r = await batch('qiniu', [
      { op: 'restore', bucket: b, key: 'k', days: 30 },
      { op: 'setMetadata', bucket: b, key: 'k', metadata: { 'bad.name': 'x' } },
    ])
    expect(r.status).toBe(400)
    expect(r.json.errors.map((e: any) => e.path)).toEqual(['operations[0].days', 'operations[1].metadata.bad.name'])
    expect(await requestLog(EMU, b)).toEqual([])
  })

  it('reports AccessDenied per operation when Qiniu refuses the signature', async () => {
    const b = unique('denied')
    await seedBucket(EMU, b, [{ key: 'k' }])
    const r = await batch('qiniu-wrong-secret', [{ op: 'delete', bucket: b, key: 'k' }])
    expect(r.status).toBe(207)
    expect(codes(r)).toEqual([[403, 'AccessDenied']])
    expect(r.json.results[0].error.provider.code).toBe('401')
    expect((await listObjects(EMU, b)).map((o) => o.key)).toEqual(['k'])
  })

  it('round-trips keys with spaces, unicode, +, %, &, <, quotes, newlines and control characters', async () => {
    const b = unique('keys')
    const keys = ['a b.txt', 'ünï/çødé 文件.txt', 'plus+sign', '100%', 'a&b=c', '<tag>', `"quoted" 'single'`, 'line\nbreak', 'tab\there\u0001\u001f', '?#[]@!$()*,;']
    await seedBucket(EMU, b, keys.map((key) => ({ key })))
    const r = await batch('qiniu', [
      ...keys.map((key) => ({ op: 'stat', bucket: b, key })),
      ...keys.map((key) => ({ op: 'copy', bucket: b, key, destination: { bucket: b, key: `copy/${key}` } })),
    ])
    expect(r.status).toBe(200)
    const stored = (await listObjects(EMU, b)).map((o) => o.key)
    for (const key of keys) expect(stored).toContain(`copy/${key}`)
  })
})
