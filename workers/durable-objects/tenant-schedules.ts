import { DurableObject } from 'cloudflare:workers'
import type { Principal } from '../../shared/auth/api-keys.ts'
import { sha256Hex } from '../../shared/crypto/hash.ts'
import { CronSchedule } from '../../shared/schedules/cron.ts'
import { MAX_SCHEDULES_PER_TENANT } from '../../shared/schemas/schedule.ts'

export interface ScheduleRunError {
  code: string
  message: string
  /** The fire time the error is about. */
  runAt: number
  /** True when that run was given up; false when the next tick tries it again. */
  skipped: boolean
}

/** A schedule as stored; `job` is the validated job body as JSON text (it is only ever sent on). */
export interface ScheduleRecord {
  id: string
  cron: string
  job: string
  createdAt: number
  /** The next fire time to start: in the past while a due run waits for a tick. */
  nextRunAt: number | null
  lastRunAt: number | null
  lastJobId: string | null
  lastError: ScheduleRunError | null
}

/** One run a tick should start: the token makes starting it twice create one job. */
export interface DueRun {
  scheduleId: string
  runAt: number
  token: string
  job: string
  /** The rights of the key that made the schedule: a run never uses more. */
  principal: Principal
}

export type RunOutcome = { jobId: string } | { error: { code: string; message: string }; skip: boolean }

interface Row extends Record<string, SqlStorageValue> {
  id: string
  cron: string
  job: string
  principal: string
  token_salt: string
  created_at: number
  next_run_at: number | null
  last_run_at: number | null
  last_job_id: string | null
  last_error: string | null
}

/**
 * One object per tenant: its schedules (§7) and, for each, the fire time of the last run started.
 * `next_run_at` is the earliest fire time not yet started, so a tick with nothing due is one indexed
 * query; when several fire times have passed since (cron was down), only the latest is started.
 */
export class TenantSchedules extends DurableObject<Env> {
  readonly #crons = new Map<string, CronSchedule>()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    void ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS schedule (
        id TEXT PRIMARY KEY, cron TEXT NOT NULL, job TEXT NOT NULL, principal TEXT NOT NULL, token_salt TEXT NOT NULL,
        created_at INTEGER NOT NULL, next_run_at INTEGER, last_run_at INTEGER, last_job_id TEXT, last_error TEXT)`)
      this.ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS schedule_by_due ON schedule (next_run_at)')
    })
  }

  create(input: { cron: string; job: string; principal: Principal }, now = Date.now()): { ok: true; schedule: ScheduleRecord } | { ok: false; reason: 'limit' } {
    const count = this.ctx.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM schedule').one().n
    if (count >= MAX_SCHEDULES_PER_TENANT) return { ok: false, reason: 'limit' }
    const id = crypto.randomUUID()
    // The first fire time at or after creation: a schedule made at 03:00:30 does not run for 03:00.
    const next = this.#cron(input.cron).nextAfter(now - 1)
    this.ctx.storage.sql.exec(
      `INSERT INTO schedule (id, cron, job, principal, token_salt, created_at, next_run_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      id, input.cron, input.job, JSON.stringify({ tenant: input.principal.tenant, accounts: input.principal.accounts }), crypto.randomUUID(), now, next,
    )
    return { ok: true, schedule: this.#record(this.#row(id)!, now) }
  }

  list(now = Date.now()): ScheduleRecord[] {
    return this.ctx.storage.sql.exec<Row>('SELECT * FROM schedule ORDER BY created_at, id').toArray().map((r) => this.#record(r, now))
  }

  get(id: string, now = Date.now()): ScheduleRecord | null {
    const row = this.#row(id)
    return row ? this.#record(row, now) : null
  }

  remove(id: string): boolean {
    return this.ctx.storage.sql.exec('DELETE FROM schedule WHERE id = ?', id).rowsWritten > 0
  }

  /** Runs due at `now`, oldest first, at most `limit` (the rest wait for the next tick). */
  async due(now: number, limit: number): Promise<DueRun[]> {
    const rows = this.ctx.storage.sql
      .exec<Row>('SELECT * FROM schedule WHERE next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at, id LIMIT ?', now, limit)
      .toArray()
    const runs: DueRun[] = []
    for (const row of rows) {
      // next_run_at is itself a fire time at or before now, so the latest one is never earlier.
      const runAt = this.#cron(row.cron).latestAtOrBefore(now) ?? (row.next_run_at as number)
      // The salt keeps a run's token unguessable, so no job created by hand can take it first.
      const token = `sched-${(await sha256Hex(`${row.token_salt}:${row.id}:${runAt}`)).slice(0, 40)}`
      runs.push({ scheduleId: row.id, runAt, token, job: row.job, principal: JSON.parse(row.principal) as Principal })
    }
    return runs
  }

  /**
   * What became of the run for `runAt`. A started or given-up run moves the schedule on to its next
   * fire time; a run to retry only records the error. Results for a run older than the last one
   * recorded are stale (two ticks raced) and change nothing; false when the schedule is gone.
   */
  record(id: string, runAt: number, outcome: RunOutcome): boolean {
    const row = this.#row(id)
    if (!row) return false
    const last = row.last_run_at
    if ('jobId' in outcome) {
      if (last !== null && runAt < last) return true
      this.ctx.storage.sql.exec(
        'UPDATE schedule SET last_run_at = ?, last_job_id = ?, last_error = NULL, next_run_at = ? WHERE id = ?',
        runAt, outcome.jobId, this.#cron(row.cron).nextAfter(runAt), id,
      )
      return true
    }
    if (last !== null && runAt <= last) return true
    const error = JSON.stringify({ ...outcome.error, runAt, skipped: outcome.skip } satisfies ScheduleRunError)
    if (outcome.skip)
      this.ctx.storage.sql.exec('UPDATE schedule SET last_run_at = ?, last_error = ?, next_run_at = ? WHERE id = ?', runAt, error, this.#cron(row.cron).nextAfter(runAt), id)
    else this.ctx.storage.sql.exec('UPDATE schedule SET last_error = ? WHERE id = ?', error, id)
    return true
  }

  #row(id: string): Row | undefined {
    return this.ctx.storage.sql.exec<Row>('SELECT * FROM schedule WHERE id = ?', id).toArray()[0]
  }

  #record(row: Row, now: number): ScheduleRecord {
    const next = row.next_run_at
    return {
      id: row.id, cron: row.cron, job: row.job, createdAt: row.created_at,
      // A due run starts for the latest fire time, so that is the one to show.
      nextRunAt: next !== null && next <= now ? (this.#cron(row.cron).latestAtOrBefore(now) ?? next) : next,
      lastRunAt: row.last_run_at, lastJobId: row.last_job_id,
      lastError: row.last_error === null ? null : (JSON.parse(row.last_error) as ScheduleRunError),
    }
  }

  #cron(expression: string): CronSchedule {
    let cron = this.#crons.get(expression)
    if (!cron) {
      // Bounded: deleted schedules leave their expressions behind.
      if (this.#crons.size >= 2 * MAX_SCHEDULES_PER_TENANT) this.#crons.clear()
      this.#crons.set(expression, (cron = CronSchedule.parse(expression)))
    }
    return cron
  }
}
