import { JOB_STATUSES, TERMINAL, type JobStatus } from '../../shared/jobs/job-status.ts'
import type { JobIndexEntry } from '../durable-objects/tenant-jobs.ts'
import { apiKeys } from '../runtime/config.ts'
import { runSchedules } from './schedule-runs.ts'
import { SCHEDULE_RUNS_CRON, WATCHDOG_CRON } from './schedules.ts'

/** Jobs poked in one run; the rest wait for the next run (the log line says how many). */
export const MAX_POKES_PER_RUN = 500
/**
 * Subrequests one run may make — index pages, pokes and index repairs all count — kept under the
 * 1,000 per invocation of the smallest paid limit (Queues need a paid plan anyway).
 */
export const SUBREQUEST_BUDGET = 900
/** No new poke starts after this: a run ends before the next one (every 5 minutes) begins. */
export const RUN_DEADLINE_MS = 4 * 60 * 1000
const PAGE_SIZE = 100
/** Pokes in flight at once: a Worker has 6 simultaneous outgoing connections; more would only queue. */
const CONCURRENCY = 6
/** Every status from which a job still has something to do, or may be listed stale (a lost index update). */
const WATCHED: readonly JobStatus[] = JOB_STATUSES.filter((s) => !TERMINAL.has(s))

/** `scheduled()`: one branch per expression of `schedules.ts`; a trigger with no handler is a deploy mistake. */
export async function handleScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  switch (controller.cron) {
    case WATCHDOG_CRON:
      await runWatchdog(env, controller)
      return
    case SCHEDULE_RUNS_CRON:
      await runSchedules(env, controller)
      return
    default:
      throw new Error(`no handler for the cron expression ${JSON.stringify(controller.cron)}`)
  }
}

export interface WatchdogCounts {
  tenants: number
  poked: number
  /** Status of each poked job after its poke; `missing` when the index names a job that does not exist. */
  byStatus: Partial<Record<JobStatus | 'missing', number>>
  /** Pokes that threw, and index pages that could not be read (that tenant is skipped this run). */
  errors: number
  /** Ids of jobs whose poke threw (at most 10), to look them up. */
  erroredJobs: string[]
  /** Index entries set to the terminal status their poke returned. */
  indexRepaired: number
  /** Watched jobs not poked in this run. */
  left: number
  /** False when the subrequest budget ran out before every index page was read: `left` is then a lower bound. */
  leftExact: boolean
}

/**
 * The §7 watchdogs, as a backstop for lost or failed alarms: every watched job of every tenant is
 * poked, and `BatchJob.poke()` runs what its alarm runs — re-drives chunks whose lease expired,
 * fails a job Suspended for over 14 days, finishes one whose last chunk landed.
 *
 * Idempotency records (§5) are not handled here: each `IdempotencyStore` forgets its record by its
 * own alarm 24 hours after it was made, and objects cannot be enumerated from a Worker, so there is
 * nothing for cron to find. That alarm is how §7's "expire idempotency records" is met.
 *
 * Tenants are the distinct tenants of API_KEYS; a tenant whose keys were all removed is no longer
 * watched. Tenants are visited one index page each in turn, so one tenant's many jobs cannot starve
 * the others; within a tenant the index goes newest first, so past the cap a tenant's oldest jobs
 * wait until its newer ones end.
 */
export async function runWatchdog(env: Env, controller: Pick<ScheduledController, 'cron' | 'scheduledTime'>): Promise<WatchdogCounts> {
  const started = Date.now()
  const keys = apiKeys(env)
  if (!keys.ok) throw new Error(`watchdog: ${keys.detail}`)
  const distinct = [...new Set(keys.value.map((k) => k.tenant))]
  // Start at a random tenant, so that when the cap stops a run early, it is not always the same
  // tenants that wait for the next one.
  const first = Math.floor(Math.random() * distinct.length)
  const tenants = [...distinct.slice(first), ...distinct.slice(0, first)]
  let budget = SUBREQUEST_BUDGET
  const take = () => {
    if (budget === 0) return false
    budget--
    return true
  }
  const counts: WatchdogCounts = { tenants: tenants.length, poked: 0, byStatus: {}, errors: 0, erroredJobs: [], indexRepaired: 0, left: 0, leftExact: true }
  const jobs = watchedJobs(env, tenants, take, counts)

  const worker = async () => {
    for (let next = await jobs.next(); !next.done; next = await jobs.next()) {
      if (counts.poked >= MAX_POKES_PER_RUN || Date.now() - started > RUN_DEADLINE_MS || !take()) {
        counts.left++
        return
      }
      counts.poked++
      await pokeOne(env, next.value, counts, take)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  // Count what is left with the budget that remains (an index page is one subrequest per 100 jobs).
  for await (const _ of jobs) counts.left++

  const line = JSON.stringify({
    level: counts.errors > 0 ? 'warn' : 'info', msg: 'watchdog run', cron: controller.cron,
    scheduledTime: new Date(controller.scheduledTime).toISOString(), ms: Date.now() - started, ...counts,
  })
  if (counts.errors > 0) console.warn(line)
  else console.log(line)
  return counts
}

async function pokeOne(env: Env, entry: JobIndexEntry & { tenant: string }, counts: WatchdogCounts, take: () => boolean): Promise<void> {
  try {
    const status = await env.JOBS.getByName(entry.jobId).poke()
    const key = status ?? 'missing'
    counts.byStatus[key] = (counts.byStatus[key] ?? 0) + 1
    // The job updates the index itself, but without retry and possibly out of order; a terminal
    // status can never be stale, so writing it here is safe and stops the job being watched.
    if (status && TERMINAL.has(status) && take()) {
      await env.TENANT_JOBS.getByName(entry.tenant).put({ jobId: entry.jobId, status, createdAt: entry.createdAt })
      counts.indexRepaired++
    }
  } catch {
    // Only the id is logged: an error's text may carry a provider's message or request.
    counts.errors++
    if (counts.erroredJobs.length < 10) counts.erroredJobs.push(entry.jobId)
  }
}

/** Watched jobs of every tenant, one index page per tenant in turn, while the budget allows. */
async function* watchedJobs(env: Env, tenants: string[], take: () => boolean, counts: WatchdogCounts) {
  let open = tenants.map((tenant) => ({ tenant, after: null as { createdAt: number; jobId: string } | null }))
  while (open.length > 0) {
    const more: typeof open = []
    for (const cursor of open) {
      if (!take()) {
        counts.leftExact = false
        return
      }
      let page: JobIndexEntry[]
      try {
        page = await env.TENANT_JOBS.getByName(cursor.tenant).list(WATCHED, PAGE_SIZE, cursor.after)
      } catch {
        counts.errors++
        counts.leftExact = false
        continue
      }
      for (const entry of page) yield { ...entry, tenant: cursor.tenant }
      const last = page[page.length - 1]
      if (page.length === PAGE_SIZE && last) more.push({ tenant: cursor.tenant, after: { createdAt: last.createdAt, jobId: last.jobId } })
    }
    open = more
  }
}
