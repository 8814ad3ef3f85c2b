import { mayUseAccount, type ApiKeyEntry, type Principal } from '../../shared/auth/api-keys.ts'
import { parseWith } from '../../shared/schemas/issues.ts'
import { ScheduledJob } from '../../shared/schemas/schedule.ts'
import { ProblemError, type ProblemInit } from '../api/problem.ts'
import { createJob } from '../api/services/job-service.ts'
import type { DueRun, RunOutcome } from '../durable-objects/tenant-schedules.ts'
import { apiKeys } from '../runtime/config.ts'

/** Runs one tenant may start in one tick; the rest start on the next (a minute later). */
export const MAX_RUNS_PER_TENANT = 20
/** Subrequests one tick may make, under the 1,000 per invocation of the smallest paid limit. */
export const SUBREQUEST_BUDGET = 900
/** No new run starts after this: the tick ends before the next ones pile up behind it. */
export const RUN_DEADLINE_MS = 45 * 1000
/** What starting one run costs: the token claim, the job's creation and the record on the schedule. */
const RUN_COST = 3
/** Tenants served at once: a Worker has 6 simultaneous outgoing connections. */
const CONCURRENCY = 6

export interface ScheduleRunCounts {
  tenants: number
  /** Runs found due. */
  due: number
  /** Jobs created by this tick. */
  started: number
  /** Runs whose job existed already (a tick fired twice, or an earlier one died before recording). */
  existing: number
  /** Runs given up for good: the job could never be created (forbidden, unknown account, ...). */
  skipped: number
  /** Runs that failed for now and are tried again on the next tick. */
  retrying: number
  /** Due runs not tried in this tick (budget or deadline), and tenants whose schedules could not be read. */
  left: number
  errors: number
  /** Schedules whose run failed or was given up (at most 10), to look them up. */
  failedSchedules: string[]
}

/**
 * Starts the due run of every schedule of every API_KEYS tenant (§7). A run's job is created
 * through the same service as `POST /v1/jobs`, with a token derived from the schedule and the fire
 * time: a tick fired twice, two ticks racing, or a tick retried after dying halfway all find the
 * job the first one made. `controller.scheduledTime` is the clock, so a late tick still starts the
 * runs of its own minute.
 */
export async function runSchedules(env: Env, controller: Pick<ScheduledController, 'cron' | 'scheduledTime'>): Promise<ScheduleRunCounts> {
  const started = Date.now()
  const keys = apiKeys(env)
  if (!keys.ok) throw new Error(`schedule runs: ${keys.detail}`)
  const distinct = [...new Set(keys.value.map((k) => k.tenant))]
  // A random first tenant, so that when the budget ends a tick early it is not always the same ones that wait.
  const first = Math.floor(Math.random() * distinct.length)
  const queue = [...distinct.slice(first), ...distinct.slice(0, first)]
  const counts: ScheduleRunCounts = { tenants: distinct.length, due: 0, started: 0, existing: 0, skipped: 0, retrying: 0, left: 0, errors: 0, failedSchedules: [] }
  let budget = SUBREQUEST_BUDGET
  const afford = (cost: number) => budget >= cost && Date.now() - started <= RUN_DEADLINE_MS && ((budget -= cost), true)

  const worker = async () => {
    for (let tenant = queue.shift(); tenant !== undefined; tenant = queue.shift()) {
      if (!afford(1)) {
        counts.left++
        continue
      }
      let runs: DueRun[]
      try {
        runs = await env.TENANT_SCHEDULES.getByName(tenant).due(controller.scheduledTime, MAX_RUNS_PER_TENANT)
      } catch {
        counts.errors++
        counts.left++
        continue
      }
      counts.due += runs.length
      for (const run of runs) {
        if (afford(RUN_COST)) await startRun(env, keys.value, tenant, run, counts)
        else counts.left++
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))

  // A line per tick with something to say; a quiet minute logs nothing.
  if (counts.due > 0 || counts.errors > 0 || counts.left > 0) {
    const noisy = counts.errors > 0 || counts.retrying > 0
    const line = JSON.stringify({
      level: noisy ? 'warn' : 'info', msg: 'schedule runs', cron: controller.cron,
      scheduledTime: new Date(controller.scheduledTime).toISOString(), ms: Date.now() - started, ...counts,
    })
    if (noisy) console.warn(line)
    else console.log(line)
  }
  return counts
}

async function startRun(env: Env, keys: readonly ApiKeyEntry[], tenant: string, run: DueRun, counts: ScheduleRunCounts): Promise<void> {
  let outcome: RunOutcome
  const parsed = parseWith(ScheduledJob, JSON.parse(run.job))
  if (!parsed.success) {
    // Accepted once, refused now: the job schema changed since. Retrying cannot help.
    outcome = { error: { code: 'ValidationFailed', message: parsed.errors.map((e) => `job.${e.path} ${e.message}`).join('; ') }, skip: true }
  } else {
    const job = parsed.data
    try {
      const made = await createJob(env, runPrincipal(keys, tenant, run.principal, job.account), {
        ...job, clientRequestToken: run.token,
        description: job.description ?? `schedule ${run.scheduleId} run ${new Date(run.runAt).toISOString()}`,
      })
      outcome = { jobId: made.jobId }
      if (made.created) counts.started++
      else counts.existing++
    } catch (err) {
      if (err instanceof ProblemError) outcome = { error: { code: err.problem.code, message: describe(err.problem) }, skip: err.problem.status < 500 }
      else {
        // Only a generic message is kept and shown: an error's text may carry a provider's answer.
        counts.errors++
        outcome = { error: { code: 'InternalError', message: 'the job could not be created; tried again on the next tick' }, skip: false }
      }
    }
  }
  if (!('jobId' in outcome)) {
    counts[outcome.skip ? 'skipped' : 'retrying']++
    if (counts.failedSchedules.length < 10) counts.failedSchedules.push(run.scheduleId)
  }
  try {
    await env.TENANT_SCHEDULES.getByName(tenant).record(run.scheduleId, run.runAt, outcome)
  } catch {
    // Unrecorded, the run is found due again next tick, and its token finds the job this one made.
    counts.errors++
  }
}

/**
 * A run's rights: the account, if the key that made the schedule could use it and some key of the
 * tenant still can — a run never has more rights than its creator had, nor than the tenant has now.
 */
function runPrincipal(keys: readonly ApiKeyEntry[], tenant: string, creator: Principal, account: string): Principal {
  const allowed = creator.tenant === tenant && mayUseAccount(creator, account) && keys.some((k) => k.tenant === tenant && mayUseAccount(k, account))
  return { tenant, accounts: allowed ? [account] : [] }
}

function describe(problem: ProblemInit): string {
  const parts = [problem.title, problem.detail, ...(problem.errors ?? []).map((e) => `${e.path} ${e.message}`)]
  return parts.filter(Boolean).join('; ')
}
