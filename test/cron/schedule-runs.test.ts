import { env } from 'cloudflare:workers'
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SCHEDULE_RUNS_CRON } from '../../workers/cron/schedules.ts'
import worker from '../../workers/index.ts'
import { KEYS } from '../fixtures/keys.ts'
import { call, unique } from '../helpers.ts'

const MIN = 60_000
const DAY = 24 * 60 * MIN

/** Fires the schedules' cron as the runtime would, at `scheduledTime`; its log line's counts, or null when it logged none. */
async function tick(scheduledTime: number) {
  const lines: string[] = []
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(' '))
  vi.spyOn(console, 'log').mockImplementation(keep)
  vi.spyOn(console, 'warn').mockImplementation(keep)
  const ctx = createExecutionContext()
  try {
    await worker.scheduled(createScheduledController({ scheduledTime, cron: SCHEDULE_RUNS_CRON }), env, ctx)
    await waitOnExecutionContext(ctx)
  } finally {
    vi.restoreAllMocks()
  }
  const runs = lines.filter((l) => l.includes('"schedule runs"'))
  expect(runs.length).toBeLessThanOrEqual(1)
  return runs[0] ? { line: runs[0], counts: JSON.parse(runs[0]) } : null
}

/** A schedule copying one fresh object of the local demo bucket to backup; times are its first fire time on. */
async function copySchedule(cron = '0 3 * * *') {
  const key = `${unique('sched')}/a.txt`
  await env.DEMO_BUCKET.put(key, 'scheduled')
  const r = await call('/v1/schedules', {
    body: { cron, job: { account: 'local', operation: { op: 'copy', destination: { bucket: 'backup', prefix: 'runs/' } }, manifest: { inline: `demo,${encodeURIComponent(key)}\n` }, report: { enabled: false } } },
  })
  expect(r.status).toBe(201)
  return { id: r.json.id as string, first: Date.parse(r.json.nextRunAt), key }
}

/** The jobs a schedule started: their default description names the schedule. */
async function jobsOf(scheduleId: string): Promise<{ jobId: string; description: string }[]> {
  const jobs = (await call('/v1/jobs?limit=1000')).json.jobs as { jobId: string; description: string }[]
  return jobs.filter((j) => j.description?.includes(scheduleId))
}

const schedule = async (id: string) => (await call(`/v1/schedules/${id}`)).json

async function until(jobId: string, statuses: string[]) {
  return vi.waitFor(
    async () => {
      const r = await call(`/v1/jobs/${jobId}`)
      if (!statuses.includes(r.json.status)) throw new Error(`still ${r.json.status}`)
      return r.json
    },
    { timeout: 20_000, interval: 50 },
  )
}

/** A schedule put straight into the tenant's object, as if made by a key with `accounts`, under rules since changed. */
async function storedSchedule(jobBody: Record<string, unknown>, accounts: string[]) {
  const job = JSON.stringify({ operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false }, ...jobBody })
  const made = await env.TENANT_SCHEDULES.getByName('acme').create({ cron: '0 3 * * *', job, principal: { tenant: 'acme', accounts } })
  if (!made.ok) throw new Error('not created')
  return { id: made.schedule.id, first: made.schedule.nextRunAt! }
}

afterEach(async () => {
  vi.restoreAllMocks()
  for (const key of [KEYS.all, KEYS.otherTenant])
    for (const s of (await call('/v1/schedules', { key })).json.schedules) await call(`/v1/schedules/${s.id}`, { key, method: 'DELETE' })
})

describe('schedule runs', () => {
  it('starts exactly one job for a due schedule, which runs to Complete, and records it on the schedule', async () => {
    const { id, first, key } = await copySchedule()
    expect((await tick(first - MIN))?.counts.due ?? 0).toBe(0)
    expect(await jobsOf(id)).toEqual([])

    const { counts } = (await tick(first))!
    expect(counts).toMatchObject({ msg: 'schedule runs', cron: SCHEDULE_RUNS_CRON, due: 1, started: 1, existing: 0, skipped: 0, retrying: 0, errors: 0 })
    const jobs = await jobsOf(id)
    expect(jobs).toHaveLength(1)
    expect(jobs[0]!.description).toBe(`schedule ${id} run ${new Date(first).toISOString()}`)
    expect(await schedule(id)).toMatchObject({ lastRunAt: new Date(first).toISOString(), lastJobId: jobs[0]!.jobId, lastError: null, nextRunAt: new Date(first + DAY).toISOString() })

    const done = await until(jobs[0]!.jobId, ['Complete', 'Failed'])
    expect(done).toMatchObject({ status: 'Complete', progressSummary: { totalNumberOfTasks: 1, numberOfTasksSucceeded: 1, numberOfTasksFailed: 0 } })
    expect(await (await env.BACKUP_BUCKET.get(`runs/${key}`))?.text()).toBe('scheduled')
  })

  it('starts one job when the tick fires twice for the same time, even when the first died before recording its run', async () => {
    const { id, first } = await copySchedule()
    await Promise.all([tick(first), tick(first)])
    expect(await jobsOf(id)).toHaveLength(1)
    const { lastJobId } = await schedule(id)

    // As if the tick had died between creating the job and recording it: the run is due again.
    await runInDurableObject(env.TENANT_SCHEDULES.getByName('acme'), (_o, state) =>
      state.storage.sql.exec('UPDATE schedule SET last_run_at = NULL, last_job_id = NULL, next_run_at = ? WHERE id = ?', first, id),
    )
    const again = await tick(first + 20_000)
    expect(again!.counts).toMatchObject({ due: 1, started: 0, existing: 1 })
    expect(await jobsOf(id)).toEqual([expect.objectContaining({ jobId: lastJobId })])
    expect((await schedule(id)).lastJobId).toBe(lastJobId)
  })

  it('starts one job, for the latest fire time, after many missed ones', async () => {
    const { id, first } = await copySchedule()
    const latest = first + 10 * DAY
    expect((await tick(latest + 7 * MIN))!.counts).toMatchObject({ due: 1, started: 1 })
    const jobs = await jobsOf(id)
    expect(jobs).toHaveLength(1)
    expect(jobs[0]!.description).toContain(new Date(latest).toISOString())
    expect(await schedule(id)).toMatchObject({ lastRunAt: new Date(latest).toISOString(), nextRunAt: new Date(latest + DAY).toISOString() })
  })

  it('does not start a run again on the following ticks, only the next fire time', async () => {
    const { id, first } = await copySchedule('*/5 * * * *')
    await tick(first)
    for (const later of [first + MIN, first + 2 * MIN, first + 4 * MIN]) expect(await tick(later)).toBeNull()
    expect(await jobsOf(id)).toHaveLength(1)
    await tick(first + 5 * MIN)
    expect(await jobsOf(id)).toHaveLength(2)
  })

  it('starts nothing for a deleted schedule', async () => {
    const { id, first } = await copySchedule()
    await tick(first)
    expect(await jobsOf(id)).toHaveLength(1)
    expect((await call(`/v1/schedules/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect(await tick(first + DAY)).toBeNull()
    expect(await jobsOf(id)).toHaveLength(1)
  })

  it('gives up a run whose job can never be created, records why, and moves on to the next fire time', async () => {
    // The key that made it could use only s3; the job names local. A run never has more rights than its creator.
    const forbidden = await storedSchedule({ account: 'local' }, ['s3'])
    // The account was removed from ACCOUNTS after the schedule was made.
    const removed = await storedSchedule({ account: 'no-longer-configured' }, ['*'])
    expect((await tick(forbidden.first))!.counts).toMatchObject({ due: 2, started: 0, skipped: 2, retrying: 0 })
    expect(await schedule(forbidden.id)).toMatchObject({
      lastRunAt: new Date(forbidden.first).toISOString(), lastJobId: null, nextRunAt: new Date(forbidden.first + DAY).toISOString(),
      lastError: { code: 'AccountForbidden', message: expect.stringContaining('account "local"'), runAt: new Date(forbidden.first).toISOString(), skipped: true },
    })
    expect((await schedule(removed.id)).lastError).toMatchObject({ code: 'ValidationFailed', message: expect.stringContaining('account unknown account "no-longer-configured"'), skipped: true })
    expect(await tick(forbidden.first + MIN)).toBeNull()
    expect(await jobsOf(forbidden.id)).toEqual([])
  })

  it('retries on the next tick a run that failed for now, logging a warning that names no tenant or secret', async () => {
    // A misconfigured account (500) may be fixed by the operator: the run stays due.
    const broken = await storedSchedule({ account: 'qiniu-broken' }, ['*'])
    const { line, counts } = (await tick(broken.first))!
    expect(counts).toMatchObject({ level: 'warn', due: 1, retrying: 1, skipped: 0, failedSchedules: [broken.id] })
    expect(await schedule(broken.id)).toMatchObject({
      lastRunAt: null, nextRunAt: new Date(broken.first).toISOString(),
      lastError: { code: 'AccountMisconfigured', runAt: new Date(broken.first).toISOString(), skipped: false },
    })
    expect((await tick(broken.first + MIN))!.counts).toMatchObject({ due: 1, retrying: 1 })
    expect(line).not.toMatch(/acme|globex|qn-test-ak/)
    for (const secret of Object.values(KEYS)) expect(line).not.toContain(secret)
  })
})
