import { env } from 'cloudflare:workers'
import { abortAllDurableObjects, evictDurableObject } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import {
  addFault,
  clearFaults,
  getObjectStoreBucket,
  listObjectStoreObjects,
  objectStoreRequestLog,
  seedObjectStoreBucket,
  type ObjectStoreLogEntry,
} from '../emulators/control.ts'
import { S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { call, unique } from '../helpers.ts'
import { createJob, describeJob, expectEachKeyOnce, readReport, until, type ReportRow } from './job-helpers.ts'

// Jobs at scale and under stress (§6): 25,000-key (S3) and 12,000-key (R2) manifests read from objects, the failure
// threshold, pause/resume, malformed rows, provider faults and an evicted job object. Every job is
// driven by its real alarms and the real local chunk queue.

const S3 = S3_EMULATOR_URL
/** Manifest row text: `bucket,<url-encoded key>[,versionId]`. */
const row = (bucket: string, key: string, ...rest: string[]) => [bucket, encodeURIComponent(key), ...rest].join(',') + '\n'
const csv = (bucket: string, keys: string[]) => keys.map((k) => row(bucket, k)).join('')
/** Keys with characters that must survive URL-encoding in the manifest and in the report. */
const keysFor = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => (i % 1000 === 7 ? `${prefix}dir/k ${i}+é,"q"` : `${prefix}k${i}`))

const fromR2 = (bucket: R2Bucket) => async (key: string) => (await bucket.get(key))?.text()
const fromS3 = (bucket: string) => async (key: string) => (await listObjectStoreObjects(S3, bucket)).find((o) => o.key === key)?.body

describe('batch jobs at scale', () => {
  it('deletes 12,000 R2 objects from a manifest object to Complete, with a report listing every key once', { timeout: 120_000 }, async () => {
    // Local R2 writes are slow (seeding dominates), so fewer keys than on S3, under a long prefix
    // that still makes the report larger than one shard.
    const prefix = `${unique('scale-r2')}/${'long-directory-name/'.repeat(4)}`
    const keys = keysFor(prefix, 12_000)
    for (let i = 0; i < keys.length; i += 500) await Promise.all(keys.slice(i, i + 500).map((k) => env.DEMO_BUCKET.put(k, 'x')))
    const manifestKey = `manifests/${unique('scale')}.csv`
    const put = await env.DEMO_BUCKET.put(manifestKey, csv('demo', keys))
    const jobId = await createJob({
      account: 'local', operation: { op: 'delete' },
      manifest: { location: { bucket: 'demo', key: manifestKey, etag: put!.etag }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: 'backup', prefix: 'scale-reports/', scope: 'AllTasks' },
    })
    const job = await until(jobId, ['Complete', 'Failed'], 100_000)
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 12_000, numberOfTasksSucceeded: 12_000, numberOfTasksFailed: 0 })
    expect(job.failureReasons).toEqual([])
    expect(job.reportLocation).toEqual({ bucket: 'backup', key: `scale-reports/job-${jobId}/manifest.json` })
    expect((await env.DEMO_BUCKET.list({ prefix, limit: 10 })).objects).toHaveLength(0)
    expect(await env.DEMO_BUCKET.head(manifestKey)).not.toBeNull()

    // Over 1 MiB of rows: the report has more than one shard.
    const rows = await readReport(jobId, fromR2(env.BACKUP_BUCKET), 2)
    expectEachKeyOnce(rows, keys)
    expect(rows.every((r) => r.bucket === 'demo' && r.status === 'succeeded' && r.httpStatus === '200' && r.errorCode === '')).toBe(true)
  })

  it('deletes 25,000 S3 objects from a manifest object in 25 DeleteObjects calls of 1,000, with a report listing every key once', { timeout: 120_000 }, async () => {
    const bucket = unique('scale-s3')
    const reports = unique('scale-s3-reports')
    const keys = keysFor('', 25_000)
    const manifestKey = 'manifests/all.csv'
    const manifestText = csv(bucket, keys)
    await seedObjectStoreBucket(S3, bucket, [...keys.map((key) => ({ key, body: 'x' })), { key: manifestKey, body: manifestText, contentType: 'text/csv' }])
    await seedObjectStoreBucket(S3, reports, [])
    const etag = (await listObjectStoreObjects(S3, bucket)).find((o) => o.key === manifestKey)!.etag
    const jobId = await createJob({
      account: 's3', operation: { op: 'delete' },
      manifest: { location: { bucket, key: manifestKey, etag: `"${etag}"` }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: reports, prefix: 'r/', scope: 'AllTasks' },
    })
    const job = await until(jobId, ['Complete', 'Failed'], 100_000)
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 25_000, numberOfTasksSucceeded: 25_000, numberOfTasksFailed: 0 })
    expect(job.reportLocation).toEqual({ bucket: reports, key: `r/job-${jobId}/manifest.json` })
    expect((await listObjectStoreObjects(S3, bucket)).map((o) => o.key)).toEqual([manifestKey])

    const deletes = (await objectStoreRequestLog(S3, bucket)).filter((e) => e.operation === 'DeleteObjects')
    expect(deletes.map((e) => [e.ops, e.httpStatus, e.keyErrors ?? 0])).toEqual(Array.from({ length: 25 }, () => [1000, 200, 0]))

    const written = new Map((await listObjectStoreObjects(S3, reports)).map((o) => [o.key, o.body]))
    const rows = await readReport(jobId, async (k) => written.get(k), 2)
    expectEachKeyOnce(rows, keys)
    expect(rows.every((r) => r.bucket === bucket && r.status === 'succeeded' && r.httpStatus === '200')).toBe(true)
  })
})

/**
 * An S3 emulator bucket holding `objects`, a manifest object with `manifestText` in a bucket of its
 * own (so that faults on the data bucket never touch the manifest) and an empty report bucket.
 */
async function s3Fixture(name: string, objects: Parameters<typeof seedObjectStoreBucket>[2], manifestText: (bucket: string) => string, versioning?: 'Enabled') {
  const bucket = unique(name)
  const manifests = unique(`${name}-m`)
  const reports = unique(`${name}-r`)
  await seedObjectStoreBucket(S3, bucket, objects, versioning ? { versioning } : {})
  await seedObjectStoreBucket(S3, manifests, [{ key: 'm.csv', body: manifestText(bucket) }])
  await seedObjectStoreBucket(S3, reports, [])
  const etag = (await listObjectStoreObjects(S3, manifests))[0]!.etag
  const manifest = (fields: string[] = ['Bucket', 'Key']) => ({ location: { bucket: manifests, key: 'm.csv', etag }, format: 'S3BatchOperations_CSV_20180820', fields })
  const report = { enabled: true, bucket: reports, prefix: '', scope: 'AllTasks' }
  const stored = async (key: string) => (await listObjectStoreObjects(S3, reports)).find((o) => o.key === key)?.body
  return { bucket, manifest, report, stored }
}

/** Waits until the job is Active with at least `succeeded` tasks done. */
async function whenActive(jobId: string, succeeded: number) {
  await vi.waitFor(
    async () => {
      const job = await describeJob(jobId)
      if (job.status !== 'Active' || job.progressSummary.numberOfTasksSucceeded < succeeded) throw new Error(`${job.status} ${JSON.stringify(job.progressSummary)}`)
    },
    { timeout: 30_000, interval: 20 },
  )
}

/** A delete job over `n` S3 emulator objects, each request on the data bucket slowed by `delayMs`. */
async function slowDeleteJob(name: string, n: number, delayMs: number) {
  const keys = Array.from({ length: n }, (_, i) => `${name}/${i}`)
  const fx = await s3Fixture(name, keys.map((key) => ({ key, body: 'x' })), (b) => csv(b, keys))
  await addFault(S3, { bucket: fx.bucket, kind: 'delay', ms: delayMs, times: -1 })
  const jobId = await createJob({ account: 's3', operation: { op: 'delete' }, manifest: fx.manifest(), report: fx.report })
  return { keys, fx, jobId }
}

const deleteCalls = async (bucket: string) => (await objectStoreRequestLog(S3, bucket)).filter((e: ObjectStoreLogEntry) => e.operation === 'DeleteObjects')

describe('the failure threshold', () => {
  const seed = (keys: string[]) => Promise.all(keys.map((k) => env.DEMO_BUCKET.put(k, 'x')))
  const statJob = (keys: string[]) =>
    createJob({ account: 'local', operation: { op: 'stat' }, manifest: { inline: csv('demo', keys) }, report: { enabled: true, bucket: 'backup', prefix: 'threshold/', scope: 'AllTasks' } })

  it('fails a 2,500-row stat job whose keys mostly do not exist with FailureThresholdExceeded, counts consistent and a report written', async () => {
    const prefix = `${unique('threshold')}/`
    const keys = Array.from({ length: 2500 }, (_, i) => `${prefix}k${i}`)
    const existing = keys.filter((_, i) => i % 5 === 0)
    await seed(existing)
    const job = await until(await statJob(keys), ['Complete', 'Failed'])
    expect(job.status).toBe('Failed')
    expect(job.failureReasons).toContainEqual({ failureCode: 'FailureThresholdExceeded', failureReason: expect.any(String) })
    expect(job.terminationDate).toEqual(expect.any(String))
    const { totalNumberOfTasks: total, numberOfTasksSucceeded: ok, numberOfTasksFailed: failed } = job.progressSummary
    expect(total).toBe(2500)
    expect(ok + failed).toBeGreaterThanOrEqual(1000)
    expect(ok + failed).toBeLessThanOrEqual(2500)
    expect(failed / (ok + failed)).toBeGreaterThan(0.5)
    expect(job.failuresByCode).toEqual({ NoSuchKey: failed })
    expect(job.reportLocation).toEqual({ bucket: 'backup', key: `threshold/job-${job.jobId}/manifest.json` })

    const rows = await readReport(job.jobId, fromR2(env.BACKUP_BUCKET))
    expect(rows).toHaveLength(ok + failed)
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length)
    const exists = new Set(existing)
    for (const r of rows) {
      expect(keys).toContain(r.key)
      expect([r.status, r.errorCode, r.httpStatus]).toEqual(exists.has(r.key) ? ['succeeded', '', '200'] : ['failed', 'NoSuchKey', '404'])
    }
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(ok)
  })

  it('completes a job whose failure rate is exactly 50%, and one with fewer than 1,000 tasks that all failed', async () => {
    const prefix = `${unique('half')}/`
    const keys = Array.from({ length: 2000 }, (_, i) => `${prefix}k${i}`)
    await seed(keys.filter((_, i) => i % 2 === 0))
    const few = Array.from({ length: 999 }, (_, i) => `${prefix}none${i}`)
    const [half, small] = await Promise.all([statJob(keys), statJob(few)])
    const halfJob = await until(half, ['Complete', 'Failed'])
    expect(halfJob.status).toBe('Complete')
    expect(halfJob.progressSummary).toMatchObject({ totalNumberOfTasks: 2000, numberOfTasksSucceeded: 1000, numberOfTasksFailed: 1000 })
    const smallJob = await until(small, ['Complete', 'Failed'])
    expect(smallJob.status).toBe('Complete')
    expect(smallJob.progressSummary).toMatchObject({ totalNumberOfTasks: 999, numberOfTasksSucceeded: 0, numberOfTasksFailed: 999 })
    expect(smallJob.failureReasons).toEqual([])
  })
})

describe('pause, resume and cancel', () => {
  it('pauses an Active job, which then makes no progress, and completes it with exact counts once resumed', { timeout: 60_000 }, async () => {
    // Every request on the data bucket takes 300 ms, so the job is still running when paused.
    const { keys, fx, jobId } = await slowDeleteJob('pause', 12_000, 300)
    await whenActive(jobId, 1)
    const pause = await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Paused', reason: 'hold on' } })
    expect(pause.status).toBe(200)
    expect(['Pausing', 'Paused']).toContain(pause.json.status)
    const paused = await until(jobId, ['Paused'], 30_000)
    const done = paused.progressSummary.numberOfTasksSucceeded
    expect(done).toBeGreaterThan(0)
    expect(done).toBeLessThan(12_000)
    expect(done % 1000).toBe(0)
    const callsWhenPaused = (await deleteCalls(fx.bucket)).length

    await new Promise((r) => setTimeout(r, 1500))
    const still = await describeJob(jobId)
    expect(still.status).toBe('Paused')
    expect(still.progressSummary).toEqual(paused.progressSummary)
    expect((await deleteCalls(fx.bucket)).length).toBe(callsWhenPaused)
    expect(await listObjectStoreObjects(S3, fx.bucket)).toHaveLength(12_000 - done)
    expect((await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Ready' } })).status).toBe(409)

    const resume = await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Active' } })
    expect(resume.status).toBe(200)
    expect(resume.json.status).toBe('Active')
    await clearFaults(S3, fx.bucket)
    const job = await until(jobId, ['Complete', 'Failed'], 30_000)
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 12_000, numberOfTasksSucceeded: 12_000, numberOfTasksFailed: 0 })
    expect(await listObjectStoreObjects(S3, fx.bucket)).toHaveLength(0)
    expect((await deleteCalls(fx.bucket)).map((e) => e.ops)).toEqual(Array.from({ length: 12 }, () => 1000))
    expectEachKeyOnce(await readReport(jobId, fx.stored), keys)
  })

  it('cancels an Active job: it stops, and its report lists exactly the tasks that ran', { timeout: 60_000 }, async () => {
    const { keys, fx, jobId } = await slowDeleteJob('cancel', 12_000, 300)
    await whenActive(jobId, 1)
    const cancel = await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Cancelled' } })
    expect(cancel.status).toBe(200)
    expect(['Cancelling', 'Cancelled']).toContain(cancel.json.status)
    const job = await until(jobId, ['Cancelled'], 30_000)
    await clearFaults(S3, fx.bucket)
    const done = job.progressSummary.numberOfTasksSucceeded
    expect(done).toBeGreaterThan(0)
    expect(done).toBeLessThan(12_000)
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 12_000, numberOfTasksFailed: 0 })
    expect(job.terminationDate).toEqual(expect.any(String))
    const left = new Set((await listObjectStoreObjects(S3, fx.bucket)).map((o) => o.key))
    expect(left.size).toBe(12_000 - done)
    const rows = await readReport(jobId, fx.stored)
    expectEachKeyOnce(rows, keys.filter((k) => !left.has(k)))
    await new Promise((r) => setTimeout(r, 500))
    expect((await describeJob(jobId)).progressSummary).toEqual(job.progressSummary)
    expect((await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Active' } })).status).toBe(409)
  })
})

describe('malformed manifest rows', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('fails each bad row (%s line ends) with InvalidManifestRow and its row number, and runs the others', async (_name, eol) => {
    const n = 2100
    const good = (b: string, i: number) => `${b},obj${i},v${i}`
    // Bad rows on both sides of the chunk boundaries (rows 1,000 | 1,001 and 2,000 | 2,001).
    const bad: Record<number, (b: string) => string> = {
      2: (b) => `${b},ba"d2,v2`, // a quote inside an unquoted field
      1000: (b) => `${b},bad%zz1000,v1000`, // a bad percent-escape
      1001: (b) => `${b},obj1001`, // too few columns
      1500: (b) => `${b},obj1500,`, // an empty VersionId
      1700: (b) => `${b},"obj1700"x,v1700`, // text after the closing quote
      2001: (b) => `${b},%C3%28,v2001`, // not UTF-8 once decoded
      [n]: (b) => `${b},"never closed`, // an unbalanced quote (last row, no newline)
    }
    const lines = (b: string) => Array.from({ length: n }, (_, j) => (bad[j + 1] ?? ((bb: string) => good(bb, j + 1)))(b))
    // Two versions of every key: the manifest names the older one, which alone must go.
    const objects = Array.from({ length: n }, (_, j) => [
      { key: `obj${j + 1}`, body: 'old', versionId: `v${j + 1}` },
      { key: `obj${j + 1}`, body: 'new', versionId: `w${j + 1}` },
    ]).flat()
    const fx = await s3Fixture('malformed', objects, (b) => lines(b).join(eol), 'Enabled')
    const jobId = await createJob({ account: 's3', operation: { op: 'delete' }, manifest: fx.manifest(['Bucket', 'Key', 'VersionId']), report: fx.report })
    const job = await until(jobId, ['Complete', 'Failed'])
    const badRows = Object.keys(bad).map(Number)
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: n, numberOfTasksSucceeded: n - badRows.length, numberOfTasksFailed: badRows.length })
    expect(job.failuresByCode).toEqual({ InvalidManifestRow: badRows.length })

    const rows = await readReport(jobId, fx.stored)
    const failed = rows.filter((r) => r.status === 'failed')
    expect(failed).toHaveLength(badRows.length)
    const text = lines(fx.bucket)
    for (const r of failed) {
      expect([r.errorCode, r.httpStatus]).toEqual(['InvalidManifestRow', '400'])
      const m = /^row (\d+): /.exec(r.message)
      expect(m, r.message).not.toBeNull()
      const rowNo = Number(m![1])
      expect(badRows).toContain(rowNo)
      expect(r.message).toContain(text[rowNo - 1])
    }
    expect(failed.map((r) => Number(/^row (\d+)/.exec(r.message)![1])).sort((a, b) => a - b)).toEqual(badRows)
    const succeeded = rows.filter((r) => r.status === 'succeeded')
    expect(succeeded).toHaveLength(n - badRows.length)
    expect(succeeded.every((r) => r.bucket === fx.bucket && r.key === `obj${r.versionId.slice(1)}` && r.versionId === `v${r.versionId.slice(1)}`)).toBe(true)

    // Every good row deleted the version it named; the bad rows touched nothing.
    const versions = (await listObjectStoreObjects(S3, fx.bucket)).length
    expect(versions).toBe(n)
    const state = await getObjectStoreBucket(S3, fx.bucket)
    const left = state.versions.filter((v) => v.versionId.startsWith('v')).map((v) => v.key).sort()
    expect(left).toEqual(['obj1001', 'obj1500', 'obj1700', 'obj2', 'obj1000', 'obj2001', `obj${n}`].sort())
  })
})

describe('provider faults during a job', () => {
  /** A 3,000-key delete job on the S3 emulator with a 503 burst of `burst` answers and two per-key faults. */
  async function faultyJob(burst: number) {
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`)
    const fx = await s3Fixture('faults', keys.map((key) => ({ key, body: 'x' })), (b) => csv(b, keys))
    await addFault(S3, { bucket: fx.bucket, kind: 'http', status: 503, retryAfter: 0, times: burst })
    await addFault(S3, { bucket: fx.bucket, kind: 'op', key: 'k1234', code: 403, errorCode: 'AccessDenied', times: -1 })
    await addFault(S3, { bucket: fx.bucket, kind: 'op', key: 'k2345', code: 500, errorCode: 'InternalError', times: 1 })
    const jobId = await createJob({ account: 's3', operation: { op: 'delete' }, manifest: fx.manifest(), report: fx.report })
    const job = await until(jobId, ['Complete', 'Failed'])
    await clearFaults(S3, fx.bucket)
    return { keys, fx, jobId, job }
  }

  async function expectRecovered({ keys, fx, jobId, job }: Awaited<ReturnType<typeof faultyJob>>, burst: number) {
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 3000, numberOfTasksSucceeded: 2999, numberOfTasksFailed: 1 })
    expect(job.failuresByCode).toEqual({ AccessDenied: 1 })
    expect((await listObjectStoreObjects(S3, fx.bucket)).map((o) => o.key)).toEqual(['k1234'])

    const rows = await readReport(jobId, fx.stored)
    expectEachKeyOnce(rows, keys)
    const byKey = new Map(rows.map((r) => [r.key, r]))
    expect(byKey.get('k1234')).toMatchObject({ status: 'failed', errorCode: 'AccessDenied', httpStatus: '403' })
    expect(byKey.get('k2345')).toMatchObject({ status: 'succeeded', httpStatus: '200' })
    expect(rows.filter((r) => r.status === 'succeeded').every((r) => r.httpStatus === '200' && r.errorCode === '')).toBe(true)

    const calls = await deleteCalls(fx.bucket)
    expect(calls.filter((e) => e.httpStatus === 503)).toHaveLength(burst)
    // Only the key that failed retriably is sent again: applied deletes are never re-sent.
    const applied = calls.filter((e) => e.httpStatus === 200)
    expect(applied.reduce((n, e) => n + e.ops, 0)).toBe(3000 + 1)
  }

  it('ends Complete with exact counts and per-row statuses through a 503 burst and per-key errors on the S3 emulator', async () => {
    await expectRecovered(await faultyJob(2), 2)
  })

  // A burst longer than a sync batch's retries: a job must wait it out, not fail its tasks.
  it('ends Complete with exact counts through a 503 burst longer than a sync call would wait out', async () => {
    await expectRecovered(await faultyJob(5), 5)
  })
})

describe('an interrupted job object', () => {
  it('still ends with exact counts when its object is evicted mid-job', { timeout: 60_000 }, async () => {
    const { keys, fx, jobId } = await slowDeleteJob('evict', 8000, 200)
    const stub = env.JOBS.getByName(jobId)
    for (const atLeast of [1, 3000]) {
      await whenActive(jobId, atLeast)
      await describeJob(jobId) // it must be running to be evicted
      await evictDurableObject(stub)
    }
    const job = await until(jobId, ['Complete', 'Failed'], 45_000)
    await clearFaults(S3, fx.bucket)
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 8000, numberOfTasksSucceeded: 8000, numberOfTasksFailed: 0 })
    expect(await listObjectStoreObjects(S3, fx.bucket)).toHaveLength(0)
    expectEachKeyOnce(await readReport(jobId, fx.stored), keys)
  })

  it('still ends with exact counts when its object is aborted mid-chunk, the interrupted chunks running again', { timeout: 60_000 }, async () => {
    const { keys, fx, jobId } = await slowDeleteJob('abort', 8000, 200)
    for (const atLeast of [1, 3000]) {
      await whenActive(jobId, atLeast)
      await new Promise((r) => setTimeout(r, 100)) // into the next chunk's 200 ms call
      await abortAllDurableObjects()
    }
    const job = await until(jobId, ['Complete', 'Failed'], 45_000)
    await clearFaults(S3, fx.bucket)
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 8000, numberOfTasksSucceeded: 8000, numberOfTasksFailed: 0 })
    expect(await listObjectStoreObjects(S3, fx.bucket)).toHaveLength(0)
    expect((await deleteCalls(fx.bucket)).length).toBeGreaterThanOrEqual(8)
    expectEachKeyOnce(await readReport(jobId, fx.stored), keys)
  })
})
