import { describe, expect, it, vi } from 'vitest'
import { addFault, listObjects, requestLog, seedBucket, type LogEntry } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL } from '../fixtures/accounts.ts'
import { QINIU_Z1_EMULATOR_URL, QINIU_Z1_PREFIX } from '../fixtures/qiniu-regions.ts'
import { batch, call, unique } from '../helpers.ts'

// 'qiniu-regions' discovers regions with the emulator's uc; 'qiniu' always sends to the z0 host.
const ACCOUNT = 'qiniu-regions'
const Z0 = QINIU_EMULATOR_URL
const Z1 = QINIU_Z1_EMULATOR_URL

/** A z0 and a z1 bucket, each holding `keys`. */
async function twoRegions(keys: string[]) {
  const a = unique('qr')
  const b = `${QINIU_Z1_PREFIX}${unique('qr')}`
  const objects = keys.map((key) => ({ key, fsize: 3, mimeType: 'text/plain' }))
  await Promise.all([seedBucket(Z0, a, objects), seedBucket(Z1, b, objects)])
  return { a, b }
}

const paths = (log: LogEntry[]) => log.map((e) => e.path)
const ucQueries = (log: LogEntry[]) => log.filter((e) => e.path === '/v4/query')

describe('a Qiniu account whose buckets span two regions', () => {
  it('sends each operation of one batch to its bucket region RS host, as each emulator log shows', async () => {
    const { a, b } = await twoRegions(['x', 'taken'])
    const r = await batch(ACCOUNT, [
      { op: 'stat', bucket: a, key: 'x' },
      { op: 'stat', bucket: b, key: 'x' },
      { op: 'copy', bucket: a, key: 'x', destination: { bucket: a, key: 'x2' } },
      { op: 'copy', bucket: b, key: 'x', destination: { bucket: b, key: 'x2' } },
      { op: 'copy', bucket: b, key: 'x', destination: { bucket: b, key: 'taken' } },
      { op: 'delete', bucket: a, key: 'x' },
      { op: 'delete', bucket: b, key: 'x' },
      { op: 'copy', bucket: a, key: 'taken', destination: { bucket: b, key: 'from-z0' } },
    ])
    expect(r.json.results.map((x: any) => [x.status, x.error?.code])).toEqual([
      [200, undefined], [200, undefined], [200, undefined], [200, undefined], [409, 'DestinationExists'], [200, undefined], [200, undefined], [400, 'InvalidArgument'],
    ])
    expect(r.json.results[1].data).toMatchObject({ size: 3, contentType: 'text/plain' })
    expect(r.json.results[7].error.message).toBe(`Qiniu cannot copy between regions: "${a}" is in region z0, "${b}" is in region z1`)
    expect((await listObjects(Z0, a)).map((o) => o.key)).toEqual(['taken', 'x2'])
    expect((await listObjects(Z0, b)).map((o) => o.key)).toEqual(['taken', 'x2'])

    // z0 answered uc for both buckets and ran the z0 bucket's batch; z1 ran only its own bucket's.
    expect(paths(await requestLog(Z0, a))).toEqual(['/v4/query', '/batch'])
    expect(paths(await requestLog(Z0, b))).toEqual(['/v4/query'])
    expect(await requestLog(Z1, a)).toEqual([])
    const z1 = await requestLog(Z1, b)
    expect(z1.map((e) => [e.path, e.ops, e.httpStatus])).toEqual([['/batch', 4, 298]])
  })

  it('asks uc once per bucket while the answer is fresh', async () => {
    const { a, b } = await twoRegions(['k'])
    for (let i = 0; i < 3; i++) {
      const r = await batch(ACCOUNT, [{ op: 'stat', bucket: a, key: 'k' }, { op: 'stat', bucket: b, key: 'k' }])
      expect(r.status).toBe(200)
    }
    expect(ucQueries(await requestLog(Z0, a))).toHaveLength(1)
    expect(ucQueries(await requestLog(Z0, b))).toHaveLength(1)
    expect((await requestLog(Z1, b)).filter((e) => e.path === '/batch')).toHaveLength(3)
  })

  it('retries the operations of a bucket uc failed for, and fails only them when uc stays down', async () => {
    const { a, b } = await twoRegions(['k'])
    const flaky = `${QINIU_Z1_PREFIX}${unique('qr')}`
    await seedBucket(Z1, flaky, [{ key: 'k' }])
    await addFault(Z0, { kind: 'http', bucket: flaky, status: 503 })
    await addFault(Z0, { kind: 'http', bucket: b, status: 503, times: -1 })
    const r = await batch(ACCOUNT, [{ op: 'stat', bucket: a, key: 'k' }, { op: 'stat', bucket: b, key: 'k' }, { op: 'stat', bucket: flaky, key: 'k' }])
    expect(r.status).toBe(207)
    expect(r.json.results.map((x: any) => [x.status, x.error?.code])).toEqual([[200, undefined], [502, 'ProviderError'], [200, undefined]])
    expect(r.json.results[1].error).toMatchObject({ message: `Qiniu region discovery for bucket "${b}": uc answered 503`, provider: { code: '503' } })
    // Three tries (the test account's maxAttempts) for the bucket uc kept failing, two for the one it failed once.
    expect(ucQueries(await requestLog(Z0, b)).map((e) => e.httpStatus)).toEqual([503, 503, 503])
    expect(ucQueries(await requestLog(Z0, flaky)).map((e) => e.httpStatus)).toEqual([503, 200])
    expect(await requestLog(Z1, b)).toEqual([])
  })

  it('answers NoSuchBucket for every operation on a bucket uc does not know', async () => {
    const { a } = await twoRegions(['k'])
    const missing = unique('nobucket')
    const r = await batch(ACCOUNT, [{ op: 'delete', bucket: missing, key: 'k' }, { op: 'stat', bucket: a, key: 'k' }])
    expect(r.json.results[0]).toMatchObject({ status: 404, error: { code: 'NoSuchBucket', provider: { code: '631', message: 'no such bucket' } } })
    expect(r.json.results[1].status).toBe(200)
  })

  it('keeps an account with an explicit endpoint on that host, where the other region bucket is refused', async () => {
    const { b } = await twoRegions(['k'])
    const r = await batch('qiniu', [{ op: 'stat', bucket: b, key: 'k' }])
    expect(r.json.results[0]).toMatchObject({ status: 400, error: { code: 'InvalidArgument', provider: { code: '400', message: expect.stringContaining('incorrect region') } } })
    expect(ucQueries(await requestLog(Z0, b))).toEqual([])
  })

  it('runs a job whose manifest rows span both regions to Complete, each region deleting its own rows', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `obj-${i}`)
    const { a, b } = await twoRegions(keys)
    const rows = keys.flatMap((k) => [`${a},${k}`, `${b},${k}`]).join('\n') + '\n'
    const created = await call('/v1/jobs', {
      body: { clientRequestToken: unique('tok'), account: ACCOUNT, operation: { op: 'delete' }, manifest: { inline: rows }, report: { enabled: false } },
    })
    expect(created.status).toBe(201)
    const job = await vi.waitFor(
      async () => {
        const r = await call(`/v1/jobs/${created.json.jobId}`)
        if (r.json.status !== 'Complete') throw new Error(`still ${r.json.status}`)
        return r.json
      },
      { timeout: 20_000, interval: 50 },
    )
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 60, numberOfTasksSucceeded: 60, numberOfTasksFailed: 0 })
    expect(await listObjects(Z0, a)).toEqual([])
    expect(await listObjects(Z0, b)).toEqual([])
    expect(paths(await requestLog(Z0, a))).toContain('/batch')
    expect(paths(await requestLog(Z0, b))).not.toContain('/batch')
    expect(paths(await requestLog(Z1, b))).toContain('/batch')
  })
})
