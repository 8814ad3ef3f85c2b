import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { MAX_SCHEDULES_PER_TENANT } from '../../shared/schemas/schedule.ts'
import { unique } from '../helpers.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
/** 2030-01-01T02:00:00Z: every test passes its times explicitly. */
const T0 = Date.UTC(2030, 0, 1, 2, 0, 0)
const AT_3 = T0 + HOUR

const job = JSON.stringify({ account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false } })
const principal = { tenant: 'acme', accounts: ['*'] }

async function tenantWith(cron = '0 3 * * *', createdAt = T0) {
  const stub = env.TENANT_SCHEDULES.getByName(unique('tenant'))
  const made = await stub.create({ cron, job, principal }, createdAt)
  if (!made.ok) throw new Error('not created')
  return { stub, schedule: made.schedule }
}

describe('TenantSchedules', () => {
  it('keeps a schedule with its first fire time at or after creation, lists, gets and removes it', async () => {
    const { stub, schedule } = await tenantWith()
    expect(schedule).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), cron: '0 3 * * *', job, createdAt: T0, nextRunAt: AT_3, lastRunAt: null, lastJobId: null, lastError: null })
    expect(await stub.list(T0)).toEqual([schedule])
    expect(await stub.get(schedule.id, T0)).toEqual(schedule)
    expect(await stub.remove(schedule.id)).toBe(true)
    expect(await stub.get(schedule.id, T0)).toBeNull()
    expect(await stub.remove(schedule.id)).toBe(false)
    expect(await stub.list(T0)).toEqual([])
  })

  it('does not run a schedule for a fire time before it was created', async () => {
    const { stub, schedule } = await tenantWith('0 3 * * *', AT_3 + 30_000)
    expect(schedule.nextRunAt).toBe(AT_3 + DAY)
    expect(await stub.due(AT_3 + MIN, 10)).toEqual([])
  })

  it('answers a due run with a token derived from the schedule and the fire time, the same on every ask', async () => {
    const { stub, schedule } = await tenantWith()
    expect(await stub.due(AT_3 - 1, 10)).toEqual([])
    const [run] = await stub.due(AT_3, 10)
    expect(run).toEqual({ scheduleId: schedule.id, runAt: AT_3, token: expect.stringMatching(/^sched-[0-9a-f]{40}$/), job, principal })
    expect(run!.token.length).toBeLessThanOrEqual(64)
    // A tick fired twice, or late within the same minute, asks for the same run.
    expect(await stub.due(AT_3 + 30_000, 10)).toEqual([run])
    // Another schedule with the same cron, and the next day's run, get other tokens.
    const other = (await stub.create({ cron: '0 3 * * *', job, principal }, T0)) as { ok: true; schedule: { id: string } }
    const runs = await stub.due(AT_3, 10)
    expect(runs.map((r) => r.scheduleId).sort()).toEqual([schedule.id, other.schedule.id].sort())
    expect(new Set(runs.map((r) => r.token)).size).toBe(2)
    const [tomorrow] = await stub.due(AT_3 + DAY, 1)
    expect(tomorrow!.token).not.toBe(run!.token)
  })

  it('moves on to the next fire time once a run started, and shows that run', async () => {
    const { stub, schedule } = await tenantWith()
    expect(await stub.record(schedule.id, AT_3, { jobId: 'job-1' })).toBe(true)
    expect(await stub.due(AT_3 + 5 * MIN, 10)).toEqual([])
    expect(await stub.get(schedule.id, AT_3 + 5 * MIN)).toMatchObject({ nextRunAt: AT_3 + DAY, lastRunAt: AT_3, lastJobId: 'job-1', lastError: null })
    expect(await stub.due(AT_3 + DAY, 10)).toEqual([expect.objectContaining({ runAt: AT_3 + DAY })])
  })

  it('offers only the latest of many missed fire times, once', async () => {
    const { stub, schedule } = await tenantWith()
    const late = AT_3 + 10 * DAY + 7 * MIN
    const runs = await stub.due(late, 10)
    expect(runs).toEqual([expect.objectContaining({ scheduleId: schedule.id, runAt: AT_3 + 10 * DAY })])
    // While it waits for a tick, the schedule shows that run as the next one.
    expect((await stub.get(schedule.id, late))!.nextRunAt).toBe(AT_3 + 10 * DAY)
    await stub.record(schedule.id, AT_3 + 10 * DAY, { jobId: 'job-late' })
    expect(await stub.due(late, 10)).toEqual([])
    expect((await stub.get(schedule.id, late))!.nextRunAt).toBe(AT_3 + 11 * DAY)
  })

  it('keeps a run due after a failure to retry, and moves past one given up', async () => {
    const { stub, schedule } = await tenantWith()
    await stub.record(schedule.id, AT_3, { error: { code: 'InternalError', message: 'try again' }, skip: false })
    expect(await stub.get(schedule.id, AT_3)).toMatchObject({ nextRunAt: AT_3, lastRunAt: null, lastError: { code: 'InternalError', message: 'try again', runAt: AT_3, skipped: false } })
    expect(await stub.due(AT_3 + MIN, 10)).toHaveLength(1)

    await stub.record(schedule.id, AT_3, { error: { code: 'AccountForbidden', message: 'no' }, skip: true })
    expect(await stub.get(schedule.id, AT_3 + MIN)).toMatchObject({ nextRunAt: AT_3 + DAY, lastRunAt: AT_3, lastJobId: null, lastError: { code: 'AccountForbidden', skipped: true } })
    expect(await stub.due(AT_3 + MIN, 10)).toEqual([])

    // The next run that starts clears the error.
    await stub.record(schedule.id, AT_3 + DAY, { jobId: 'job-2' })
    expect(await stub.get(schedule.id, AT_3 + DAY)).toMatchObject({ lastRunAt: AT_3 + DAY, lastJobId: 'job-2', lastError: null })
  })

  it('ignores what a slower tick reports about an older run, and reports for a removed schedule', async () => {
    const { stub, schedule } = await tenantWith()
    await stub.record(schedule.id, AT_3 + DAY, { jobId: 'job-new' })
    await stub.record(schedule.id, AT_3, { jobId: 'job-old' })
    await stub.record(schedule.id, AT_3 + DAY, { error: { code: 'InternalError', message: 'late failure' }, skip: false })
    expect(await stub.get(schedule.id, AT_3 + DAY)).toMatchObject({ lastRunAt: AT_3 + DAY, lastJobId: 'job-new', lastError: null, nextRunAt: AT_3 + 2 * DAY })
    await stub.remove(schedule.id)
    expect(await stub.record(schedule.id, AT_3 + 2 * DAY, { jobId: 'job-gone' })).toBe(false)
  })

  it('answers due runs oldest first and at most the limit asked', async () => {
    const stub = env.TENANT_SCHEDULES.getByName(unique('tenant'))
    for (const cron of ['0 3 * * *', '0 2 * * *', '30 2 * * *']) await stub.create({ cron, job, principal }, T0 - HOUR)
    const runs = await stub.due(AT_3, 2)
    expect(runs.map((r) => r.runAt)).toEqual([T0, T0 + 30 * MIN])
  })

  it(`refuses a schedule beyond ${MAX_SCHEDULES_PER_TENANT} per tenant`, async () => {
    const stub = env.TENANT_SCHEDULES.getByName(unique('tenant'))
    for (let i = 0; i < MAX_SCHEDULES_PER_TENANT; i++) expect((await stub.create({ cron: '0 3 * * *', job, principal }, T0)).ok).toBe(true)
    expect(await stub.create({ cron: '0 3 * * *', job, principal }, T0)).toEqual({ ok: false, reason: 'limit' })
    const first = (await stub.list(T0))[0]!
    await stub.remove(first.id)
    expect((await stub.create({ cron: '0 3 * * *', job, principal }, T0)).ok).toBe(true)
  })
})
