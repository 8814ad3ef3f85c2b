import { DurableObject } from 'cloudflare:workers'

export type TokenClaim = { state: 'created'; jobId: string } | { state: 'existing'; jobId: string } | { state: 'conflict' }

/**
 * One object per tenant + `clientRequestToken`: the job it created and the hash of the request.
 * Calls to one object run one at a time, so concurrent identical creations produce one job.
 */
export class JobTokens extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    void ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS token (
        id INTEGER PRIMARY KEY CHECK (id = 1), job_id TEXT NOT NULL, request_hash TEXT NOT NULL, created_at INTEGER NOT NULL)`)
    })
  }

  /** Binds the token to `jobId` unless it is bound already (same request → existing, other → conflict). */
  claim(requestHash: string, jobId: string): TokenClaim {
    const row = this.ctx.storage.sql.exec<{ job_id: string; request_hash: string }>('SELECT job_id, request_hash FROM token WHERE id = 1').toArray()[0]
    if (row) return row.request_hash === requestHash ? { state: 'existing', jobId: row.job_id } : { state: 'conflict' }
    this.ctx.storage.sql.exec('INSERT INTO token (id, job_id, request_hash, created_at) VALUES (1, ?, ?, ?)', jobId, requestHash, Date.now())
    return { state: 'created', jobId }
  }
}
