import { DurableObject } from 'cloudflare:workers'

/** How long an `Idempotency-Key` is remembered (§5). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
/** A call still "in progress" after this long is taken to have died, and the key may run again. */
export const IN_PROGRESS_LEASE_MS = 2 * 60 * 1000

export type BeginResult =
  | { state: 'new' }
  | { state: 'replay'; status: number; body: string }
  | { state: 'conflict' }
  | { state: 'in-progress' }

type Row = { request_hash: string; state: 'in_progress' | 'done'; status: number | null; body: string | null; created_at: number; updated_at: number }

/**
 * One object per tenant + `Idempotency-Key`: the record of a `POST /v1/batch` call, so that a
 * retried call returns the first answer instead of touching the provider again.
 */
export class IdempotencyStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    void ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS record (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
        status INTEGER,
        body TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL)`)
    })
  }

  /** Claims the key for a request, or says why it cannot run: replay, conflict or in progress. */
  async begin(requestHash: string, now = Date.now()): Promise<BeginResult> {
    let row = this.row()
    if (row && now - row.created_at >= IDEMPOTENCY_TTL_MS) {
      this.ctx.storage.sql.exec('DELETE FROM record')
      row = undefined
    }
    if (!row) {
      this.ctx.storage.sql.exec(
        `INSERT INTO record (id, request_hash, state, created_at, updated_at) VALUES (1, ?, 'in_progress', ?, ?)`,
        requestHash, now, now,
      )
      await this.ctx.storage.setAlarm(now + IDEMPOTENCY_TTL_MS)
      return { state: 'new' }
    }
    if (row.request_hash !== requestHash) return { state: 'conflict' }
    if (row.state === 'done') return { state: 'replay', status: row.status ?? 200, body: row.body ?? '' }
    if (now - row.updated_at > IN_PROGRESS_LEASE_MS) {
      this.ctx.storage.sql.exec('UPDATE record SET updated_at = ? WHERE id = 1', now)
      return { state: 'new' }
    }
    return { state: 'in-progress' }
  }

  /** Stores the answer of the call that claimed the key. */
  complete(requestHash: string, status: number, body: string, now = Date.now()): boolean {
    const row = this.row()
    if (!row || row.request_hash !== requestHash || row.state !== 'in_progress') return false
    this.ctx.storage.sql.exec(`UPDATE record SET state = 'done', status = ?, body = ?, updated_at = ? WHERE id = 1`, status, body, now)
    return true
  }

  /** Releases a claim whose call failed before it had an answer, so the client may retry at once. */
  abandon(requestHash: string): void {
    const row = this.row()
    if (row && row.request_hash === requestHash && row.state === 'in_progress') this.ctx.storage.sql.exec('DELETE FROM record')
  }

  /** Forgets the record once its 24 hours are over (an alarm that fires early re-arms itself). */
  override async alarm(): Promise<void> {
    const row = this.row()
    if (!row) return
    const expires = row.created_at + IDEMPOTENCY_TTL_MS
    if (Date.now() >= expires) this.ctx.storage.sql.exec('DELETE FROM record')
    else await this.ctx.storage.setAlarm(expires)
  }

  private row(): Row | undefined {
    return this.ctx.storage.sql.exec<Row>('SELECT request_hash, state, status, body, created_at, updated_at FROM record WHERE id = 1').toArray()[0]
  }
}
