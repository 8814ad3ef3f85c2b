import { env } from 'cloudflare:workers'
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import wranglerToml from '../../wrangler.toml?raw'
import { CRONS, WATCHDOG_CRON } from '../../workers/cron/schedules.ts'
import worker from '../../workers/index.ts'
import { KEYS } from '../fixtures/keys.ts'
import { call, unique } from '../helpers.ts'

const DAY = 24 * 60 * 60 * 1000

/** Polls the job (driven by real alarms and the real local queue) until it reaches one of `statuses`. */
async function until(jobId: string, statuses: string[], timeout = 20_000) {
  return vi.waitFor(
    async () => {
      const r = await call(`/v1/jobs/${jobId}`)
      if (!statuses.includes(r.json.status)) throw new Error(`still ${r.json.status}`)
      return r.json
    },
    { timeout, interval: 50 },
  )
}

/** A job created through the API and prepared, waiting for confirmation. */
async function suspendedJob(inline = 'demo,a\n'): Promise<string> {
  const created = await call('/v1/jobs', {
    body: { clientRequestToken: unique('tok'), account: 'local', operation: { op: 'stat' }, manifest: { inline }, report: { enabled: false }, confirmationRequired: true },
  })
  expect(created.status).toBe(201)
  await until(created.json.jobId, ['Suspended'])
  return created.json.jobId
}

const jobSql = (jobId: string, query: string, ...args: (string | number)[]) =>
  runInDurableObject(env.JOBS.getByName(jobId), (_obj, state) => state.storage.sql.exec(query, ...args).toArray())

/** Fires the cron as the runtime would and returns the watchdog's log line, parsed. */
async function fire(cron: string = WATCHDOG_CRON) {
  const lines: string[] = []
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(' '))
  vi.spyOn(console, 'log').mockImplementation(keep)
  vi.spyOn(console, 'warn').mockImplementation(keep)
  const ctx = createExecutionContext()
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron }), env, ctx)
  await waitOnExecutionContext(ctx)
  vi.restoreAllMocks()
  const runs = lines.filter((l) => l.includes('"watchdog run"'))
  expect(runs).toHaveLength(1)
  return { line: runs[0]!, counts: JSON.parse(runs[0]!) }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('cron', () => {
  it('lists in wrangler.toml exactly the cron expressions scheduled() handles', () => {
    const crons = /^crons\s*=\s*(\[.*\])\s*$/m.exec(wranglerToml)?.[1]
    expect(JSON.parse(crons!)).toEqual([...CRONS])
  })

  it('throws on a cron expression it has no handler for', async () => {
    const ctx = createExecutionContext()
    await expect(worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '0 3 * * *' }), env, ctx)).rejects.toThrow(
      'no handler for the cron expression "0 3 * * *"',
    )
  })
})

describe('the watchdog', () => {
  it('fails a job Suspended for more than 14 days and leaves one suspended for a day', async () => {
    const old = await suspendedJob()
    const recent = await suspendedJob()
    await jobSql(old, 'UPDATE job SET suspended_at = ? WHERE id = 1', Date.now() - 15 * DAY)
    await jobSql(recent, 'UPDATE job SET suspended_at = ? WHERE id = 1', Date.now() - DAY)

    const { counts } = await fire()
    const failed = (await call(`/v1/jobs/${old}`)).json
    expect(failed).toMatchObject({ status: 'Failed', statusUpdateReason: 'not confirmed within 14 days', terminationDate: expect.any(String) })
    expect(failed.failureReasons).toEqual([{ failureCode: 'SuspendedTooLong', failureReason: expect.stringContaining('14 days') }])
    expect((await call(`/v1/jobs/${recent}`)).json.status).toBe('Suspended')
    expect(counts.byStatus.Failed).toBeGreaterThanOrEqual(1)
    expect(counts.byStatus.Suspended).toBeGreaterThanOrEqual(1)
    // The tenant's index knows the job ended, so the next run no longer visits it.
    const listed = (await call('/v1/jobs?status=Failed')).json.jobs.map((j: { jobId: string }) => j.jobId)
    expect(listed).toContain(old)
  })

  it('re-drives a chunk whose message was lost once its lease expired, and counts every task once', async () => {
    const prefix = `${unique('cron')}/`
    const keys = ['a', 'b', 'c'].map((k) => `${prefix}${k}`)
    await Promise.all(keys.map((k) => env.DEMO_BUCKET.put(k, 'x')))
    const jobId = await suspendedJob(keys.map((k) => `demo,${encodeURIComponent(k)}\n`).join(''))
    // Active with its one chunk leased to a message that never arrives; the job's own alarm is
    // still the Suspended one, 14 days away, as if the re-drive alarm had been lost.
    await jobSql(jobId, `UPDATE job SET status = 'Active', confirmed = 1, active_since = ? WHERE id = 1`, Date.now())
    await jobSql(jobId, `UPDATE chunk SET state = 'leased', lease_id = 'lost-lease', lease_until = ?, attempts = 1`, Date.now() - 1000)
    const [chunk] = await jobSql(jobId, 'SELECT id FROM chunk')

    await fire()
    const done = await until(jobId, ['Complete', 'Failed'])
    expect(done.status).toBe('Complete')
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 3, numberOfTasksSucceeded: 3, numberOfTasksFailed: 0 })
    expect(await jobSql(jobId, 'SELECT state, attempts, succeeded FROM chunk')).toEqual([{ state: 'done', attempts: 2, succeeded: 3 }])

    // The lost message turns up after all: it is acked and changes nothing.
    const batch = createMessageBatch('batchgate-chunks', [{ id: 'late', timestamp: new Date(), attempts: 1, body: { jobId, chunkId: chunk!.id, leaseId: 'lost-lease' } }])
    const ctx = createExecutionContext()
    await worker.queue(batch, env, ctx)
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['late'])
    expect((await call(`/v1/jobs/${jobId}`)).json.progressSummary).toMatchObject({ numberOfTasksSucceeded: 3, numberOfTasksFailed: 0 })
  })

  it('finishes an Active job whose last chunk landed but which was never moved on', async () => {
    const jobId = await suspendedJob()
    await jobSql(jobId, `UPDATE job SET status = 'Active', confirmed = 1, active_since = ?, failed = 1 WHERE id = 1`, Date.now())
    await jobSql(jobId, `UPDATE chunk SET state = 'done', succeeded = 0, failed = 1, succeeded_lines = '', failed_lines = 'demo,a,,failed,NoSuchKey,404,\n'`)
    await fire()
    const job = (await call(`/v1/jobs/${jobId}`)).json
    expect(job).toMatchObject({ status: 'Complete', progressSummary: { totalNumberOfTasks: 1, numberOfTasksSucceeded: 0, numberOfTasksFailed: 1 } })
  })

  it('logs one JSON line of counts over the distinct tenants, naming no secret', async () => {
    await suspendedJob()
    const { line, counts } = await fire()
    expect(counts).toMatchObject({ level: 'info', msg: 'watchdog run', cron: WATCHDOG_CRON, tenants: 2, errors: 0, erroredJobs: [], left: 0, leftExact: true })
    expect(counts.poked).toBeGreaterThanOrEqual(1)
    expect(Object.values(counts.byStatus).reduce((a: number, b) => a + (b as number), 0)).toBe(counts.poked)

    const secrets: string[] = [...Object.values(KEYS), ...JSON.parse(env.API_KEYS).map((k: { sha256: string }) => k.sha256)]
    const collect = (v: unknown, key = ''): void => {
      if (typeof v === 'string' && /secret|key|token/i.test(key)) secrets.push(v)
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, k)
    }
    collect(JSON.parse(env.ACCOUNTS))
    expect(secrets.length).toBeGreaterThan(10)
    for (const secret of secrets) expect(line).not.toContain(secret)
    expect(line).not.toMatch(/acme|globex/)
  })
})
