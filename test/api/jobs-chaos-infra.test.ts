import { env } from 'cloudflare:workers'
import { abortAllDurableObjects, createExecutionContext, createScheduledController, evictDurableObject, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WATCHDOG_CRON } from '../../workers/cron/schedules.ts'
import worker from '../../workers/index.ts'
import { addFault, clearFaults, listObjectStoreObjects, seedObjectStoreBucket } from '../emulators/control.ts'
import { S3_EMULATOR_URL as S3 } from '../fixtures/emulator-ports.ts'
import { call, unique } from '../helpers.ts'
import { reportRows } from './jobs-chaos-helpers.ts'
import { createJob, describeJob, until } from './job-helpers.ts'

// Infrastructure faults around the job object itself (issue 7): evicted or aborted while it
// prepares, its alarm and the watchdog preparing at once, and the cron watchdog fired twice for the
// same time. After each, the job's counts are exact and its report names every task once.
// Mid-run eviction and abort: jobs-scale.test.ts; lost and late messages: jobs-chaos.test.ts.

afterEach(() => void vi.restoreAllMocks())

const sql = <T extends Record<string, SqlStorageValue>>(jobId: string, query: string, ...args: (string | number)[]) =>
  runInDurableObject(env.JOBS.getByName(jobId), (_obj, state) => state.storage.sql.exec<T>(query, ...args).toArray())

type Chunk = { id: number; start_byte: number; end_byte: number; first_row: number; rows: number; state: string; attempts: number }
const chunksOf = (jobId: string) => sql<Chunk>(jobId, 'SELECT id, start_byte, end_byte, first_row, rows, state, attempts FROM chunk ORDER BY id')

/** The chunks tile the manifest: byte ranges and rows follow each other from the start to the end, none twice. */
function expectTiled(chunks: Chunk[], size: number, rows: number) {
  let [byte, row] = [0, 1]
  for (const c of chunks) {
    expect([c.start_byte, c.first_row], `chunk ${c.id}`).toEqual([byte, row])
    ;[byte, row] = [c.end_byte, row + c.rows]
  }
  expect([byte, row - 1]).toEqual([size, rows])
}

/**
 * A delete job over a manifest object of about 2.7 MB on the S3 emulator (three 1 MiB windows of
 * long keys), each read of it held for `delayMs`, so that its preparation takes a while.
 */
async function slowPreparedJob(name: string, delayMs: number, confirmationRequired = false) {
  const bucket = unique(name)
  const [manifests, reports] = [unique(`${name}-m`), unique(`${name}-r`)]
  const keys = Array.from({ length: 9500 }, (_, i) => `${name}/${'x'.repeat(230)}/${i}`)
  const text = keys.map((k) => `${bucket},${encodeURIComponent(k)}\n`).join('')
  await seedObjectStoreBucket(S3, bucket, [])
  await seedObjectStoreBucket(S3, manifests, [{ key: 'm.csv', body: text }])
  await seedObjectStoreBucket(S3, reports, [])
  await addFault(S3, { bucket: manifests, kind: 'delay', ms: delayMs, times: -1 })
  const jobId = await createJob({
    account: 's3', operation: { op: 'delete' }, confirmationRequired,
    manifest: { location: { bucket: manifests, key: 'm.csv' }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
    report: { enabled: true, bucket: reports, prefix: '', scope: 'AllTasks' },
  })
  return { jobId, keys, size: new TextEncoder().encode(text).length, manifests, bucket }
}

/** Waits until the job is Preparing with its first window's chunks committed (and more to come). */
async function midPreparation(jobId: string) {
  await vi.waitFor(
    async () => {
      const job = await describeJob(jobId)
      expect(job.status).toBe('Preparing')
      expect(job.progressSummary.totalNumberOfTasks).toBeGreaterThan(0)
      expect(job.progressSummary.totalNumberOfTasks).toBeLessThan(9500)
    },
    { timeout: 20_000, interval: 20 },
  )
}

describe('a job object interrupted while it prepares', () => {
  // An abort cuts the alarm in the middle of a window read; an eviction (the runtime's graceful one)
  // waits for the alarm in flight and lets a new instance take over from the stored checkpoint.
  for (const [how, interrupt] of [
    ['aborted', () => abortAllDurableObjects()],
    ['evicted', (jobId: string) => evictDurableObject(env.JOBS.getByName(jobId))],
  ] as const) {
    it(`resumes from its checkpoint when ${how} mid-preparation: chunks tile the manifest once, counts exact, every row reported once`, { timeout: 90_000 }, async () => {
      const job = await slowPreparedJob(`prep-${how}`, 500)
      await midPreparation(job.jobId)
      await interrupt(job.jobId)
      if (how === 'aborted') expect((await describeJob(job.jobId)).progressSummary.totalNumberOfTasks).toBeLessThan(9500)
      await clearFaults(S3, job.manifests)
      // Nothing pokes it: the runtime runs the interrupted alarm again (or, after eviction, the next one).
      const done = await until(job.jobId, ['Complete', 'Failed'], 80_000)
      expect(done.status).toBe('Complete')
      expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 9500, numberOfTasksSucceeded: 9500, numberOfTasksFailed: 0 })
      expectTiled(await chunksOf(job.jobId), job.size, 9500)
      await reportRows(job.jobId, job.keys)
    })
  }

  it('prepares once when its alarm and the watchdog’s pokes run at the same time', { timeout: 60_000 }, async () => {
    const job = await slowPreparedJob('prep-twice', 200, true)
    const stub = env.JOBS.getByName(job.jobId)
    await midPreparation(job.jobId)
    await Promise.all([stub.poke(), stub.poke(), runDurableObjectAlarm(stub), stub.poke()])
    await clearFaults(S3, job.manifests)
    const suspended = await until(job.jobId, ['Suspended'])
    expect(suspended.progressSummary.totalNumberOfTasks).toBe(9500)
    expectTiled(await chunksOf(job.jobId), job.size, 9500)
    await Promise.all([stub.poke(), runDurableObjectAlarm(stub)])
    expect((await describeJob(job.jobId)).progressSummary.totalNumberOfTasks).toBe(9500)
    await call(`/v1/jobs/${job.jobId}/status`, { body: { requestedStatus: 'Cancelled' } })
  })
})

describe('the cron watchdog fired twice for the same time', () => {
  /** Fires the watchdog cron as the runtime would, for `scheduledTime`. */
  async function fire(scheduledTime: number) {
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController({ scheduledTime, cron: WATCHDOG_CRON }), env, ctx)
    await waitOnExecutionContext(ctx)
  }

  it('re-drives each lost chunk once, fails an expired suspension once, and the job counts every task once', { timeout: 60_000 }, async () => {
    const prefix = `${unique('cron-twice')}/`
    const keys = Array.from({ length: 1000 }, (_, i) => `${prefix}k${i}`)
    await Promise.all(keys.map((k) => env.DEMO_BUCKET.put(k, 'x')))
    const jobId = await createJob({ account: 'local', operation: { op: 'stat' }, confirmationRequired: true, manifest: { inline: keys.map((k) => `demo,${encodeURIComponent(k)}\n`).join('') }, report: { enabled: true, bucket: 'backup', prefix: 'cron-twice/', scope: 'AllTasks' } })
    await until(jobId, ['Suspended'])
    // Active with every chunk leased to a message that never arrived, the leases long expired, and
    // the job's own alarm lost (still the Suspended one, 14 days away).
    await sql(jobId, `UPDATE job SET status = 'Active', confirmed = 1, active_since = ? WHERE id = 1`, Date.now())
    await sql(jobId, `UPDATE chunk SET state = 'leased', lease_id = 'lost-' || id, lease_until = ?, attempts = 1`, Date.now() - 60_000)
    // And a second job, suspended for more than 14 days.
    const stale = await createJob({ account: 'local', operation: { op: 'stat' }, confirmationRequired: true, manifest: { inline: 'demo,a\n' }, report: { enabled: false } })
    await until(stale, ['Suspended'])
    await sql(stale, 'UPDATE job SET suspended_at = ? WHERE id = 1', Date.now() - 15 * 24 * 60 * 60 * 1000)

    const at = Date.now()
    await Promise.all([fire(at), fire(at)])
    await fire(at)
    const done = await until(jobId, ['Complete', 'Failed'])
    expect(done.status).toBe('Complete')
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 1000, numberOfTasksSucceeded: 1000, numberOfTasksFailed: 0 })
    expect((await chunksOf(jobId)).map((c) => [c.state, c.attempts])).toEqual([['done', 2], ['done', 2], ['done', 2]])
    expect((await reportRows(jobId, keys)).every((r) => r.status === 'succeeded')).toBe(true)
    const failed = await describeJob(stale)
    expect(failed.status).toBe('Failed')
    expect(failed.failureReasons).toEqual([{ failureCode: 'SuspendedTooLong', failureReason: expect.any(String) }])
    // Once more for good measure: nothing changes.
    await Promise.all([fire(at), fire(at)])
    expect((await describeJob(jobId)).progressSummary).toEqual(done.progressSummary)
    expect((await describeJob(stale)).failureReasons).toHaveLength(1)
  })
})
