import type { Principal } from '../../../shared/auth/api-keys.ts'
import { MAX_SCHEDULES_PER_TENANT, type CreateScheduleRequest, type Schedule } from '../../../shared/schemas/schedule.ts'
import type { ScheduleRecord } from '../../durable-objects/tenant-schedules.ts'
import { planJob } from '../../runtime/job-plan.ts'
import { ProblemError, problems } from '../problem.ts'
import { planRefusal } from './job-service.ts'

/** The /v1/schedules actions (§7); a schedule's runs are started by workers/cron/schedule-runs.ts. */

const SCHEDULE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const scheduleNotFound = () => problems.notFound('The schedule')

const schedulesOf = (env: Env, tenant: string) => env.TENANT_SCHEDULES.getByName(tenant)
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())

export function scheduleView(r: ScheduleRecord): Schedule {
  return {
    id: r.id, cron: r.cron, job: JSON.parse(r.job) as Record<string, unknown>, createdAt: iso(r.createdAt)!,
    nextRunAt: iso(r.nextRunAt), lastRunAt: iso(r.lastRunAt), lastJobId: r.lastJobId,
    lastError: r.lastError && { ...r.lastError, runAt: iso(r.lastError.runAt)! },
  }
}

/**
 * Creates a schedule after the checks a job creation makes (the key's accounts, the account, the
 * operation on its provider), so that a schedule that could never start a run is refused now
 * rather than failing at 3 a.m. The key's rights are kept with it: its runs use no more.
 */
export async function createSchedule(env: Env, principal: Principal, body: CreateScheduleRequest): Promise<Schedule> {
  const { job } = body
  const plan = planJob(env, principal, { ...job, clientRequestToken: 'schedule' })
  if (!plan.ok) throw planRefusal(plan, job.account, 'job')
  const made = await schedulesOf(env, principal.tenant).create({ cron: body.cron, job: JSON.stringify(job), principal })
  if (!made.ok)
    throw new ProblemError({ status: 409, code: 'TooManySchedules', title: 'The tenant has too many schedules', detail: `at most ${MAX_SCHEDULES_PER_TENANT}; delete one first` })
  return scheduleView(made.schedule)
}

export async function listSchedules(env: Env, tenant: string): Promise<Schedule[]> {
  return (await schedulesOf(env, tenant).list()).map(scheduleView)
}

export async function getSchedule(env: Env, tenant: string, id: string): Promise<Schedule> {
  // Ids that cannot be ours answer 404 without touching storage; another tenant's are simply not in this one's object.
  const found = SCHEDULE_ID.test(id) ? await schedulesOf(env, tenant).get(id) : null
  if (!found) throw scheduleNotFound()
  return scheduleView(found)
}

export async function deleteSchedule(env: Env, tenant: string, id: string): Promise<void> {
  if (!SCHEDULE_ID.test(id) || !(await schedulesOf(env, tenant).remove(id))) throw scheduleNotFound()
}
