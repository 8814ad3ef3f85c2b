import { DurableObject } from 'cloudflare:workers'
import type { JobStatus } from '../../shared/jobs/job-status.ts'

export interface JobIndexEntry {
  jobId: string
  status: JobStatus
  createdAt: number
}

/** One object per tenant: which jobs it has, newest first, with their status for `GET /v1/jobs` filters. */
export class TenantJobs extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    void ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
        job_id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL)`)
      this.ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (created_at DESC, job_id DESC)')
    })
  }

  /** Records a job or its new status (idempotent: the latest call wins). */
  put(entry: JobIndexEntry): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO jobs (job_id, status, created_at) VALUES (?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET status = excluded.status`,
      entry.jobId, entry.status, entry.createdAt,
    )
  }

  /** A page of job ids, newest first; `after` is the last entry of the previous page. */
  list(statuses: readonly string[] | null, limit: number, after: { createdAt: number; jobId: string } | null): JobIndexEntry[] {
    const where: string[] = []
    const args: (string | number)[] = []
    if (after) {
      where.push('(created_at < ? OR (created_at = ? AND job_id < ?))')
      args.push(after.createdAt, after.createdAt, after.jobId)
    }
    if (statuses && statuses.length > 0) {
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`)
      args.push(...statuses)
    }
    const sql = `SELECT job_id, status, created_at FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, job_id DESC LIMIT ?`
    return this.ctx.storage.sql
      .exec<{ job_id: string; status: JobStatus; created_at: number }>(sql, ...args, limit)
      .toArray()
      .map((r) => ({ jobId: r.job_id, status: r.status, createdAt: r.created_at }))
  }
}
