import { describe, expect, it, vi } from 'vitest'
import {
  addFault,
  clearFaults,
  listFaults,
  listObjects,
  listObjectStoreObjects,
  objectStoreRequestLog,
  requestLog,
  seedBucket,
  seedObjectStoreBucket,
  type FaultRule,
} from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as QINIU } from '../fixtures/accounts.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { batch, unique } from '../helpers.ts'

// Retry safety (§5): an operation whose first attempt was applied but whose answer was lost is not
// reported as failed when it is sent again, and a copy with overwrite false never overwrites —
// through POST /v1/batch, with the emulators applying a request and then dropping its connection.
// The test accounts try 3 times with 5-40 ms backoff. R2 and PDS: retry-safety-r2-pds.test.ts;
// jobs: retry-safety-jobs.test.ts.

/** A fault rule without its bucket (Omit over each kind of the union). */
type Fault = FaultRule extends infer R ? (R extends FaultRule ? Omit<R, 'bucket'> : never) : never
const statuses = (r: { json: any }) => r.json.results.map((x: any) => [x.status, x.error?.code])

/** Faults a copy onto an existing, different object must come through unchanged: applied or not, answered or not. */
const EVERY_FAULT: Fault[] = [
  { kind: 'drop', apply: true },
  { kind: 'drop', apply: true, times: 2 },
  { kind: 'drop' },
  { kind: 'http', status: 500 },
  { kind: 'http', status: 503, retryAfter: 0 },
  { kind: 'garbage' },
]

describe('Qiniu: retried copies and moves', () => {
  const byKey = async (b: string) => new Map((await listObjects(QINIU, b)).map((o) => [o.key, o]))

  it('reports every operation of a /batch whose answer was lost after it was applied as done (each kind’s retry path), and leaves the applied state', async () => {
    const b = unique('qn-lost')
    await seedBucket(QINIU, b, [{ key: 'm' }, { key: 'c' }, { key: 'f' }, { key: 'f-old' }, { key: 'gone' }, { key: 'on' }, { key: 'x' }, { key: 'meta' }, { key: 'cold', type: 2 }, { key: 'ia' }, { key: 'exp' }])
    const before = await byKey(b)
    await addFault(QINIU, { bucket: b, kind: 'drop', apply: true })
    const r = await batch('qiniu', [
      { op: 'move', bucket: b, key: 'm', destination: { bucket: b, key: 'm2' } },
      { op: 'copy', bucket: b, key: 'c', destination: { bucket: b, key: 'c2' } },
      { op: 'move', bucket: b, key: 'f', destination: { bucket: b, key: 'f-old' }, overwrite: true },
      { op: 'delete', bucket: b, key: 'gone' },
      { op: 'setStatus', bucket: b, key: 'on', enabled: false },
      { op: 'copy', bucket: b, key: 'x', destination: { bucket: b, key: 'x2' }, overwrite: true },
      { op: 'setMetadata', bucket: b, key: 'meta', contentType: 'text/plain', metadata: { team: 'data' } },
      { op: 'restore', bucket: b, key: 'cold', days: 1 },
      { op: 'setStorageClass', bucket: b, key: 'ia', storageClass: 'IA' },
      { op: 'setExpiry', bucket: b, key: 'exp', days: 3 },
    ])
    expect(r.status, r.text).toBe(200)
    expect(statuses(r)).toEqual([...Array(7).fill([200, undefined]), [202, undefined], [200, undefined], [200, undefined]])
    const after = await byKey(b)
    expect([...after.keys()].sort()).toEqual(['c', 'c2', 'cold', 'exp', 'f-old', 'ia', 'm2', 'meta', 'on', 'x', 'x2'])
    expect(after.get('meta')).toMatchObject({ mimeType: 'text/plain', meta: { team: 'data' } })
    expect([after.get('cold')!.restoreStatus, after.get('ia')!.type, typeof after.get('exp')!.expiration]).toEqual([1, 1, 'number'])
    expect(after.get('m2')!.hash).toBe(before.get('m')!.hash)
    expect(after.get('c2')!.hash).toBe(before.get('c')!.hash)
    expect(after.get('f-old')!.hash).toBe(before.get('f')!.hash)
    expect(after.get('on')!.status).toBe(1)
    // The lost call, its retry (every op refused or idempotent: 298), and one /batch of stats for the checks.
    expect((await requestLog(QINIU, b)).map((e) => [e.ops, e.httpStatus])).toEqual([[10, 0], [10, 298], [4, 200]])
  })

  it('still reports NoSuchKey for a retried move whose source and destination are both missing', async () => {
    const b = unique('qn-missing')
    await seedBucket(QINIU, b, [])
    await addFault(QINIU, { bucket: b, kind: 'drop' })
    const r = await batch('qiniu', [{ op: 'move', bucket: b, key: 'nothing', destination: { bucket: b, key: 'there' } }])
    expect(statuses(r)).toEqual([[404, 'NoSuchKey']])
  })

  it('keeps DestinationExists for a retried move onto an object that was there before (the source still exists)', async () => {
    const b = unique('qn-move-exists')
    await seedBucket(QINIU, b, [{ key: 's' }, { key: 'd' }])
    await addFault(QINIU, { bucket: b, kind: 'drop', apply: true })
    const r = await batch('qiniu', [{ op: 'move', bucket: b, key: 's', destination: { bucket: b, key: 'd' } }])
    expect(statuses(r)).toEqual([[409, 'DestinationExists']])
    expect((await listObjects(QINIU, b)).map((o) => o.key)).toEqual(['d', 's'])
  })

  it('never overwrites with overwrite false: a different destination stays as it was under every fault, reported DestinationExists', async () => {
    for (const fault of [...EVERY_FAULT, { kind: 'http', status: 573 } as Fault, { kind: 'op', key: 'dst', code: 573 } as Fault, { kind: 'op', key: 'dst', code: 599, times: 2 } as Fault]) {
      const b = unique('qn-no-overwrite')
      await seedBucket(QINIU, b, [{ key: 'src' }, { key: 'dst', fsize: 7, putTime: '17000000000000000' }])
      const before = (await byKey(b)).get('dst')
      await addFault(QINIU, { bucket: b, ...fault } as FaultRule)
      const r = await batch('qiniu', [{ op: 'copy', bucket: b, key: 'src', destination: { bucket: b, key: 'dst' } }])
      expect(statuses(r), JSON.stringify(fault)).toEqual([[409, 'DestinationExists']])
      expect((await byKey(b)).get('dst'), JSON.stringify(fault)).toEqual(before)
    }
  })
})

const STORES = [
  { account: 's3', url: S3_EMULATOR_URL },
  { account: 'ctyun', url: S3_EMULATOR_URL },
  { account: 'oss', url: OSS_EMULATOR_URL },
] as const

/**
 * Arms a drop-with-apply for the second request that touches `bucket` (a move's DELETE after its
 * copy): a delay rule holds both requests 400 ms as they arrive; once the second one has taken it
 * (the rule is gone), the drop rule is added, and that request picks it up after its wait.
 */
async function dropSecondRequest(url: string, bucket: string) {
  await addFault(url, { bucket, kind: 'delay', ms: 400, times: 2 })
  return async () => {
    await vi.waitFor(async () => expect(await listFaults(url, bucket)).toEqual([]), { timeout: 5000, interval: 10 })
    await addFault(url, { bucket, kind: 'drop', apply: true })
  }
}

describe.each(STORES)('$account: retried copies and moves', ({ account, url }) => {
  const bodies = async (b: string) => Object.fromEntries((await listObjectStoreObjects(url, b)).map((o) => [o.key, o.body]))

  it('reports a move whose source DELETE was applied but not answered as moved', async () => {
    const [src, dst] = [unique(`${account}-mv-src`), unique(`${account}-mv-dst`)]
    await seedObjectStoreBucket(url, src, [{ key: 'a', body: 'moved body' }])
    await seedObjectStoreBucket(url, dst, [])
    const arm = await dropSecondRequest(url, src)
    const [r] = await Promise.all([batch(account, [{ op: 'move', bucket: src, key: 'a', destination: { bucket: dst, key: 'b' } }]), arm()])
    expect(statuses(r)).toEqual([[200, undefined]])
    expect(await bodies(src)).toEqual({})
    expect(await bodies(dst)).toEqual({ b: 'moved body' })
    const log = (await objectStoreRequestLog(url, src)).map((e) => [e.operation, e.httpStatus])
    // The lost DELETE, then the retry: the copy finds no source, a HEAD finds the destination.
    expect(log).toEqual([['CopyObject', 200], ['DeleteObject', 0], ['CopyObject', 404]])
  })

  it('reports a move whose copy and delete were each applied but not answered as moved', async () => {
    const b = unique(`${account}-mv-twice`)
    await seedObjectStoreBucket(url, b, [{ key: 'a', body: 'x' }])
    // The first copy is applied and lost, so is the second (refused: the destination is there); the
    // third finds the destination holds the source's ETag, so it is this move's copy, and deletes the source.
    await addFault(url, { bucket: b, kind: 'drop', apply: true, times: 2 })
    const r = await batch(account, [{ op: 'move', bucket: b, key: 'a', destination: { bucket: b, key: 'moved/a' } }])
    expect(statuses(r)).toEqual([[200, undefined]])
    expect(await bodies(b)).toEqual({ 'moved/a': 'x' })
  })

  it('reports a copy with overwrite false whose answer was lost after it was applied as copied', async () => {
    const b = unique(`${account}-cp-lost`)
    await seedObjectStoreBucket(url, b, [{ key: 'a', body: 'same' }])
    await addFault(url, { bucket: b, kind: 'drop', apply: true })
    const r = await batch(account, [{ op: 'copy', bucket: b, key: 'a', destination: { bucket: b, key: 'copy' } }])
    expect(statuses(r)).toEqual([[200, undefined]])
    expect(await bodies(b)).toEqual({ a: 'same', copy: 'same' })
  })

  it('never overwrites with overwrite false: a different destination stays as it was under every fault, reported DestinationExists', async () => {
    for (const fault of [...EVERY_FAULT, { kind: 'inner-error' } as Fault]) {
      const b = unique(`${account}-no-overwrite`)
      await seedObjectStoreBucket(url, b, [{ key: 'src', body: 'new' }, { key: 'dst', body: 'old', meta: { keep: 'me' } }])
      const before = (await listObjectStoreObjects(url, b)).find((o) => o.key === 'dst')
      await addFault(url, { bucket: b, ...fault } as FaultRule)
      for (const op of ['copy', 'move'])
        expect(statuses(await batch(account, [{ op, bucket: b, key: 'src', destination: { bucket: b, key: 'dst' } }])), `${op} ${JSON.stringify(fault)}`).toEqual([[409, 'DestinationExists']])
      await clearFaults(url, b)
      const after = await listObjectStoreObjects(url, b)
      expect(after.find((o) => o.key === 'dst'), JSON.stringify(fault)).toEqual(before)
      expect(after.map((o) => o.key)).toEqual(['dst', 'src'])
    }
  })
})
