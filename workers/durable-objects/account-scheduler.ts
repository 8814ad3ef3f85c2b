import { DurableObject } from 'cloudflare:workers'

/** Chunks in flight per account unless the account sets `chunksInFlight`: gentle on a provider. */
export const DEFAULT_CHUNKS_IN_FLIGHT = 8

type Entry = { job_id: string; priority: number; held: number; waiting: number; preempted: number }

/**
 * One object per account: bounds the chunks in flight across all its jobs and gives slots to
 * higher-priority jobs first. A running job that stands in the way of a higher-priority one is
 * asked to pause (Pausing → Paused) and resumed once nothing of higher priority waits.
 */
export class AccountScheduler extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    void ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS entry (
        job_id TEXT PRIMARY KEY, priority INTEGER NOT NULL, held INTEGER NOT NULL,
        waiting INTEGER NOT NULL CHECK (waiting IN (0, 1)), preempted INTEGER NOT NULL DEFAULT 0 CHECK (preempted IN (0, 1)))`)
    })
  }

  /**
   * A job's report of the chunks it holds and how many more it wants; answers how many more it may
   * send now. Never more than the capacity in all, and nothing while a higher-priority job waits.
   */
  sync(jobId: string, priority: number, held: number, want: number, capacity: number): number {
    const sql = this.ctx.storage.sql
    sql.exec(
      `INSERT INTO entry (job_id, priority, held, waiting) VALUES (?, ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET priority = excluded.priority, held = excluded.held, waiting = excluded.waiting`,
      jobId, priority, held, want > 0 ? 1 : 0,
    )
    const used = sql.exec<{ n: number }>('SELECT COALESCE(SUM(held), 0) AS n FROM entry').one().n
    const higherWaiting = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM entry WHERE waiting = 1 AND priority > ? AND preempted = 0', priority).one().n > 0
    const grant = higherWaiting ? 0 : Math.max(0, Math.min(want, capacity - used))
    if (want > 0 && grant < want && !higherWaiting) this.preemptBelow(priority)
    if (want === 0) {
      this.resumeEligible()
      this.wakeWaiting(jobId)
    }
    if (grant > 0) sql.exec('UPDATE entry SET held = held + ?, waiting = ? WHERE job_id = ?', grant, want > grant ? 1 : 0, jobId)
    return grant
  }

  /** The job holds nothing and wants nothing any more (paused, ending or ended). */
  leave(jobId: string): void {
    const preempted = this.ctx.storage.sql.exec<{ preempted: number }>('SELECT preempted FROM entry WHERE job_id = ?', jobId).toArray()[0]?.preempted === 1
    // A preempted job keeps its place so that it is resumed; any other leaves the table.
    if (preempted) this.ctx.storage.sql.exec('UPDATE entry SET held = 0, waiting = 0 WHERE job_id = ?', jobId)
    else this.ctx.storage.sql.exec('DELETE FROM entry WHERE job_id = ?', jobId)
    this.resumeEligible()
    this.wakeWaiting(jobId)
  }

  /** Slots may have freed: nudge the highest-priority waiting jobs so they ask again now, not at their next alarm. */
  private wakeWaiting(except: string): void {
    const waiting = this.ctx.storage.sql.exec<Entry>('SELECT * FROM entry WHERE waiting = 1 AND preempted = 0 AND job_id != ? ORDER BY priority DESC LIMIT 4', except).toArray()
    for (const w of waiting) this.ctx.waitUntil(this.env.JOBS.getByName(w.job_id).poke().catch(() => null))
  }

  entries(): Entry[] {
    return this.ctx.storage.sql.exec<Entry>('SELECT * FROM entry ORDER BY priority DESC, job_id').toArray()
  }

  private preemptBelow(priority: number): void {
    const victims = this.ctx.storage.sql.exec<Entry>('SELECT * FROM entry WHERE priority < ? AND held > 0 AND preempted = 0', priority).toArray()
    for (const v of victims) {
      this.ctx.storage.sql.exec('UPDATE entry SET preempted = 1 WHERE job_id = ?', v.job_id)
      this.ctx.waitUntil(this.env.JOBS.getByName(v.job_id).preempt(`preempted by a job of priority ${priority}`).catch(() => {}))
    }
  }

  /** Resumes preempted jobs that no waiting higher-priority job stands before any more. */
  private resumeEligible(): void {
    const sql = this.ctx.storage.sql
    for (const p of sql.exec<Entry>('SELECT * FROM entry WHERE preempted = 1 ORDER BY priority DESC').toArray()) {
      const blocked = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM entry WHERE waiting = 1 AND preempted = 0 AND priority > ?', p.priority).one().n > 0
      if (blocked) continue
      sql.exec('UPDATE entry SET preempted = 0 WHERE job_id = ?', p.job_id)
      this.ctx.waitUntil(this.env.JOBS.getByName(p.job_id).resumeFromPreemption().catch(() => {}))
    }
  }
}
