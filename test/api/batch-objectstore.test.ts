import { describe, expect, it } from 'vitest'
import {
  addFault,
  getObjectStoreBucket,
  listObjectStoreObjects,
  markObjectRestored,
  objectStoreRequestLog,
  seedObjectStoreBucket,
} from '../emulators/control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { batch, unique } from '../helpers.ts'

// One suite for every account kind on the S3 and OSS emulators: each signs differently (S3 V4,
// S3 V2, CTYun V2 and V4, OSS V4 and V1) and the emulators verify each with an independent signer.
const ACCOUNTS = [
  { account: 's3', emu: S3_EMULATOR_URL, archive: 'GLACIER', ia: 'STANDARD_IA', auth: 'AWS4-HMAC-SHA256' },
  { account: 's3-v2', emu: S3_EMULATOR_URL, archive: 'GLACIER', ia: 'STANDARD_IA', auth: 'AWS' },
  { account: 'ctyun', emu: S3_EMULATOR_URL, archive: 'GLACIER', ia: 'STANDARD_IA', auth: 'AWS' },
  { account: 'ctyun-v4', emu: S3_EMULATOR_URL, archive: 'GLACIER', ia: 'STANDARD_IA', auth: 'AWS4-HMAC-SHA256' },
  { account: 'oss', emu: OSS_EMULATOR_URL, archive: 'ColdArchive', ia: 'IA', auth: 'OSS4-HMAC-SHA256' },
  { account: 'oss-v1', emu: OSS_EMULATOR_URL, archive: 'ColdArchive', ia: 'IA', auth: 'OSS' },
] as const

const statuses = (r: { json: any }) => r.json.results.map((x: any) => [x.status, x.error?.code])

describe.each(ACCOUNTS)('POST /v1/batch on the $account account', ({ account, emu, archive, ia, auth }) => {
  const byKey = async (bucket: string) => new Map((await listObjectStoreObjects(emu, bucket)).map((o) => [o.key, o]))

  it('runs every operation the provider has and applies each', async () => {
    const b = unique(`${account}-kinds`)
    const other = unique(`${account}-other`)
    await seedObjectStoreBucket(emu, b, [
      { key: 'a.txt', body: 'hello', contentType: 'text/plain', meta: { author: 'alice' } },
      { key: 'to-copy', body: 'copy me' },
      { key: 'to-move', body: 'move me' },
      { key: 'to-delete', body: 'x' },
      { key: 'cold', body: 'brr', storageClass: archive },
      { key: 'meta', body: 'm', contentType: 'text/plain', meta: { keep: 'no' } },
      { key: 'class', body: 'c' },
      { key: 'tagged', body: 't', tags: { old: 'tag' } },
      { key: 'untag', body: 'u', tags: { a: 'b' } },
      { key: 'acl', body: 'p' },
    ])
    await seedObjectStoreBucket(emu, other, [])
    const r = await batch(account, [
      { op: 'stat', bucket: b, key: 'a.txt' },
      { op: 'copy', bucket: b, key: 'to-copy', destination: { bucket: other, key: 'copied' } },
      { op: 'move', bucket: b, key: 'to-move', destination: { bucket: other, key: 'moved' } },
      { op: 'delete', bucket: b, key: 'to-delete' },
      { op: 'delete', bucket: b, key: 'never-was' },
      { op: 'restore', bucket: b, key: 'cold', days: 2, tier: 'Bulk' },
      { op: 'setMetadata', bucket: b, key: 'meta', metadata: { team: 'data' } },
      { op: 'setStorageClass', bucket: b, key: 'class', storageClass: 'IA' },
      { op: 'putTagging', bucket: b, key: 'tagged', tags: { env: 'prod', 'cost center': 'a+b=c' } },
      { op: 'deleteTagging', bucket: b, key: 'untag' },
      { op: 'putAcl', bucket: b, key: 'acl', acl: 'public-read' },
    ])
    expect(statuses(r)).toEqual([[200, undefined], [200, undefined], [200, undefined], [200, undefined], [200, undefined], [202, undefined], [200, undefined], [200, undefined], [200, undefined], [200, undefined], [200, undefined]])
    expect(r.json.results[0].data).toMatchObject({ size: 5, contentType: 'text/plain', storageClass: 'STANDARD', metadata: { author: 'alice' }, etag: expect.stringMatching(/^[0-9a-fA-F]{32}$/) })

    const [objects, copies] = [await byKey(b), await byKey(other)]
    expect(copies.get('copied')?.body).toBe('copy me')
    expect(copies.get('moved')?.body).toBe('move me')
    expect(objects.has('to-copy')).toBe(true)
    expect(objects.has('to-move')).toBe(false)
    expect(objects.has('to-delete')).toBe(false)
    expect(objects.get('cold')?.restore?.ongoing).toBe(true)
    // REPLACE metadata, keeping the content type that was not given.
    expect(objects.get('meta')).toMatchObject({ meta: { team: 'data' }, contentType: 'text/plain', body: 'm' })
    expect(objects.get('class')?.storageClass).toBe(ia)
    expect(objects.get('tagged')?.tags).toEqual({ env: 'prod', 'cost center': 'a+b=c' })
    expect(objects.get('untag')?.tags).toEqual({})
    expect(objects.get('acl')?.acl).toBe('public-read')
    const log = await objectStoreRequestLog(emu, b)
    expect(log.every((e) => e.auth === auth && e.httpStatus < 300)).toBe(true)
    expect(log.filter((e) => e.operation === 'DeleteObjects').map((e) => e.ops)).toEqual([2])
  })

  it('refuses to overwrite unless asked, reports missing objects, and answers NotSupported for Qiniu-only kinds', async () => {
    const b = unique(`${account}-fail`)
    await seedObjectStoreBucket(emu, b, [{ key: 'src', body: 'new' }, { key: 'dest', body: 'old' }, { key: 'warm', body: 'w' }])
    const r = await batch(account, [
      { op: 'copy', bucket: b, key: 'src', destination: { bucket: b, key: 'dest' } },
      { op: 'stat', bucket: b, key: 'missing' },
      { op: 'restore', bucket: b, key: 'warm', days: 1 },
      { op: 'setExpiry', bucket: b, key: 'src', days: 3 },
      { op: 'copy', bucket: b, key: 'src', destination: { bucket: b, key: 'dest' }, overwrite: true },
    ])
    expect(r.status).toBe(207)
    expect(statuses(r)).toEqual([[409, 'DestinationExists'], [404, 'NoSuchKey'], [409, 'InvalidObjectState'], [501, 'NotSupported'], [200, undefined]])
    expect((await byKey(b)).get('dest')?.body).toBe('new')
  })

  it('answers 200 for a restore of an object already restored', async () => {
    const b = unique(`${account}-restored`)
    await seedObjectStoreBucket(emu, b, [{ key: 'cold', body: 'c', storageClass: archive }])
    await markObjectRestored(emu, b, 'cold')
    const r = await batch(account, [{ op: 'restore', bucket: b, key: 'cold', days: 1 }])
    expect(statuses(r)).toEqual([[200, undefined]])
  })

  it('deletes 1,000 keys in one multi-delete call', async () => {
    const b = unique(`${account}-thousand`)
    const keys = Array.from({ length: 1000 }, (_, i) => `k/${i}`)
    await seedObjectStoreBucket(emu, b, keys.map((key) => ({ key })))
    const r = await batch(account, keys.map((key) => ({ op: 'delete', bucket: b, key })))
    expect(r.json.summary).toEqual({ total: 1000, succeeded: 1000, failed: 0 })
    expect(await listObjectStoreObjects(emu, b)).toEqual([])
    expect((await objectStoreRequestLog(emu, b)).map((e) => [e.operation, e.ops])).toEqual([['DeleteObjects', 1000]])
  })

  it('round-trips keys with spaces, unicode, +, %, &, <, quotes, newlines and control characters', async () => {
    const b = unique(`${account}-keys`)
    const keys = ['a b.txt', 'ünï/çødé 文件.txt', 'plus+sign', '100%', 'a&b=c', '<tag>', `"quoted" 'single'`, 'line\nbreak', 'tab\there\u0001\u001f', '?#[]@!$()*,;', 'trailing space ']
    await seedObjectStoreBucket(emu, b, keys.map((key) => ({ key, body: key })))
    const copied = await batch(account, keys.map((key) => ({ op: 'copy', bucket: b, key, destination: { bucket: b, key: `copy/${key}` } })))
    expect(copied.json.summary.failed).toBe(0)
    const stats = await batch(account, keys.map((key) => ({ op: 'stat', bucket: b, key: `copy/${key}` })))
    expect(stats.json.results.map((x: any) => x.data?.size)).toEqual(keys.map((k) => new TextEncoder().encode(k).length))
    const deleted = await batch(account, keys.map((key) => ({ op: 'delete', bucket: b, key })))
    expect(deleted.json.summary.failed).toBe(0)
    expect((await listObjectStoreObjects(emu, b)).map((o) => o.key).sort()).toEqual(keys.map((k) => `copy/${k}`).sort())
  })
})

describe.each([ACCOUNTS[0], ACCOUNTS[4]])('faults on the $account account', ({ account, emu }) => {
  it('retries throttling with Retry-After, an error inside a 200 answer, 500s and dropped connections', async () => {
    for (const fault of [
      { kind: 'http', status: 503, retryAfter: 1 },
      { kind: 'inner-error' },
      { kind: 'http', status: 500 },
      { kind: 'drop' },
    ] as const) {
      const b = unique(`${account}-fault`)
      await seedObjectStoreBucket(emu, b, [{ key: 'a' }, { key: 'b' }])
      await addFault(emu, { bucket: b, ...fault })
      const r = await batch(account, [{ op: 'delete', bucket: b, key: 'a' }, { op: 'delete', bucket: b, key: 'b' }])
      expect(r.status, JSON.stringify(fault)).toBe(200)
      expect(await listObjectStoreObjects(emu, b)).toEqual([])
      const log = await objectStoreRequestLog(emu, b)
      expect(log.length, JSON.stringify(fault)).toBe(2)
      if (fault.kind === 'http' && fault.status === 503) expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(990)
    }
  })

  it('maps a per-key error, retrying only that key, and surfaces persistent throttling as Throttled', async () => {
    const b = unique(`${account}-perkey`)
    await seedObjectStoreBucket(emu, b, [{ key: 'a' }, { key: 'b' }, { key: 'c' }])
    await addFault(emu, { bucket: b, kind: 'op', key: 'b', code: 403, errorCode: 'AccessDenied', times: -1 })
    await addFault(emu, { bucket: b, kind: 'op', key: 'c', code: 500, errorCode: 'InternalError' })
    const r = await batch(account, ['a', 'b', 'c'].map((key) => ({ op: 'delete', bucket: b, key })))
    expect(statuses(r)).toEqual([[200, undefined], [403, 'AccessDenied'], [200, undefined]])
    expect((await objectStoreRequestLog(emu, b)).map((e) => e.ops)).toEqual([3, 1])
    expect((await getObjectStoreBucket(emu, b)).objects.map((o) => o.key)).toEqual(['b'])

    const slow = unique(`${account}-slowdown`)
    await seedObjectStoreBucket(emu, slow, [{ key: 'a' }])
    await addFault(emu, { bucket: slow, kind: 'http', status: 503, times: -1 })
    const throttled = await batch(account, [{ op: 'stat', bucket: slow, key: 'a' }])
    expect(statuses(throttled)).toEqual([[429, 'Throttled']])
  })

  it('reports AccessDenied when the provider refuses the signature', async () => {
    const b = unique(`${account}-denied`)
    await seedObjectStoreBucket(emu, b, [{ key: 'a' }])
    const r = await batch(`${account}-wrong-secret`, [{ op: 'stat', bucket: b, key: 'a' }, { op: 'delete', bucket: b, key: 'a' }])
    expect(statuses(r)).toEqual([[403, 'AccessDenied'], [403, 'AccessDenied']])
    expect(r.json.results[1].error.provider.code).toBe('SignatureDoesNotMatch')
  })
})
