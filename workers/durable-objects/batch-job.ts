import { DurableObject } from 'cloudflare:workers'
import { canTransition, exceedsFailureThreshold, TERMINAL, userTransition, type JobStatus, type RequestedStatus } from '../../shared/jobs/job-status.ts'
import { accounts, resolveAccount } from '../runtime/config.ts'
import { DEFAULT_CHUNKS_IN_FLIGHT } from './account-scheduler.ts'
import { describeJob, summariseJob } from './batch-job/describe.ts'
import { JOB_SCHEMA, readInline, storeInline, type ChunkRow, type JobRow } from './batch-job/job-db.ts'
import { LISTING_SCHEMA, readListing } from './batch-job/listing.ts'
import { prepareJob } from './batch-job/prepare-job.ts'
import { chunkSubrequests } from './batch-job/preparation.ts'
import { LEASE_MS, nextAlarmAt, SUSPENDED_MAX_MS } from './batch-job/alarm-plan.ts'

export { LEASE_MS, SUSPENDED_MAX_MS }
import { buildReport } from './batch-job/reporting.ts'
import type { ChunkResult, ChunkTask, JobOutcome, JobSpec } from './batch-job/types.ts'

const ACTIVE: ReadonlySet<JobStatus> = new Set(['Active', 'Pausing'])

/** Queue message of one chunk: a reference, never the rows (they stay in the manifest). */
export interface ChunkMessage {
  jobId: string
  chunkId: number
  leaseId: string
  /** Subrequests the chunk may take (chunkSubrequests), so the consumer can run several in one invocation. */
  cost?: number
}

/**
 * One object per batch job (§6): its status machine, the manifest's chunks and their leases, the
 * counters and the report. Every status change goes through `transition`, the one guard.
 */
export class BatchJob extends DurableObject<Env> {
  private readonly sql: SqlStorage
  private driving: Promise<void> | null = null
  private finishing: Promise<void> | null = null
  private pumping: Promise<void> | null = null
  private pumpAgain = false
  /** The last spec text read and its parse: the spec never changes after creation, and every chunk needs it. */
  private specCache: { text: string; spec: JobSpec } | null = null

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    void ctx.blockConcurrencyWhile(async () => {
      for (const ddl of [...JOB_SCHEMA, LISTING_SCHEMA]) this.sql.exec(ddl)
    })
  }

  /** Creates the job once; calling again returns the existing job (creation is retried safely). */
  async create(spec: JobSpec, inline: string | undefined): Promise<{ jobId: string; status: JobStatus }> {
    const existing = this.row()
    if (existing) return { jobId: spec.jobId, status: existing.status }
    const size = inline !== undefined ? storeInline(this.sql, inline) : null
    this.sql.exec('INSERT INTO job (id, spec, status, priority, manifest_size) VALUES (1, ?, ?, ?, ?)', JSON.stringify(spec), 'New', spec.priority, size)
    await this.index('New')
    await this.ctx.storage.setAlarm(Date.now())
    return { jobId: spec.jobId, status: 'New' }
  }

  /** The §6 description as JSON text (the operation's JSON type is too deep for a typed RPC stub). */
  describe(tenant: string): string | null {
    const found = this.owned(tenant)
    return found ? JSON.stringify(describeJob(found.spec, found.row, Date.now(), readListing(this.sql))) : null
  }

  summary(tenant: string) {
    const found = this.owned(tenant)
    return found ? summariseJob(found.spec, found.row, Date.now()) : null
  }

  /** A user's status request (§6): confirm, cancel, pause or resume. */
  async requestStatus(tenant: string, requested: RequestedStatus, reason?: string): Promise<JobOutcome<{ status: JobStatus }>> {
    const found = this.owned(tenant)
    if (!found) return { ok: false, reason: 'not-found' }
    const to = userTransition(found.row.status, requested)
    if (to === null) return { ok: false, reason: 'invalid-state', status: found.row.status }
    if (requested === 'Ready') this.sql.exec('UPDATE job SET confirmed = 1 WHERE id = 1')
    // A user's pause or resume overrides a preemption: the scheduler will not resume it any more.
    if (requested === 'Paused' || requested === 'Active') this.sql.exec('UPDATE job SET preempted = 0 WHERE id = 1')
    if (to !== found.row.status) this.transition(to, reason ?? `requested ${requested}`)
    else if (reason) this.sql.exec('UPDATE job SET status_reason = ? WHERE id = 1', reason)
    await this.settle()
    return { ok: true, value: { status: this.row()!.status } }
  }

  async setPriority(tenant: string, priority: number): Promise<JobOutcome<{ priority: number }>> {
    if (!this.owned(tenant)) return { ok: false, reason: 'not-found' }
    this.sql.exec('UPDATE job SET priority = ? WHERE id = 1', priority)
    return { ok: true, value: { priority } }
  }

  /**
   * What a consumer runs for a chunk message, or null when it must not run: the chunk is done, the
   * message is stale, or the job stopped — then the lease is handed back at once so a cancel or
   * pause does not wait for it to expire.
   */
  async beginChunk(chunkId: number, leaseId: string): Promise<ChunkTask | null> {
    const row = this.row()
    const chunk = this.sql.exec<ChunkRow>('SELECT * FROM chunk WHERE id = ?', chunkId).toArray()[0]
    if (!row || !chunk || chunk.state !== 'leased' || chunk.lease_id !== leaseId) return null
    if (!ACTIVE.has(row.status) || row.status === 'Pausing') {
      this.sql.exec(`UPDATE chunk SET state = 'pending', lease_id = NULL, lease_until = NULL WHERE id = ?`, chunkId)
      await this.settle()
      return null
    }
    const spec = this.specOf(row)
    const location = spec.manifest.location
    return {
      jobId: spec.jobId, chunkId, account: spec.account, tenant: spec.tenant, operation: spec.operation,
      fields: spec.manifest.fields, firstRow: chunk.first_row, start: chunk.start_byte, end: chunk.end_byte,
      source: spec.manifest.inline || !location ? null : { bucket: location.bucket, key: location.key },
      leases: chunk.attempts,
    }
  }

  readInlineBytes(start: number, end: number): Uint8Array {
    return readInline(this.sql, start, end)
  }

  /**
   * Bytes of the manifest the job keeps (inline, or generated by listing) for its owner, with the
   * total size; null for another tenant, or when the manifest is an object on the account.
   */
  keptManifest(tenant: string, start: number, end: number): { size: number; bytes: Uint8Array } | null {
    const found = this.owned(tenant)
    if (!found || !found.spec.manifest.inline) return null
    const size = found.row.manifest_size ?? 0
    return { size, bytes: readInline(this.sql, Math.min(start, size), Math.min(end, size)) }
  }

  /**
   * Records a finished chunk once: a redelivered or re-driven duplicate is ignored. The first
   * completion wins whatever lease it ran under — also one whose lease expired and was re-driven
   * meanwhile (a slow consumer). That is deliberate: its tasks did run, so its lines are a true
   * report of them; refusing it would only make the re-driven run call the provider again (which it
   * skips when it has not begun: beginChunk sees the chunk done) and report a second pass (deletes
   * as `existed: false`). Counts stay exact either way; the cost is that a re-driven run already
   * under way may briefly hold one chunk slot more than `chunksInFlight`.
   */
  async completeChunk(chunkId: number, result: ChunkResult): Promise<{ accepted: boolean }> {
    const chunk = this.sql.exec<ChunkRow>('SELECT * FROM chunk WHERE id = ?', chunkId).toArray()[0]
    const row = this.row()
    if (!row || !chunk || chunk.state === 'done' || TERMINAL.has(row.status)) return { accepted: false }
    const codes = JSON.parse(row.failure_codes) as Record<string, number>
    for (const [code, n] of Object.entries(result.failureCodes)) codes[code] = (codes[code] ?? 0) + n
    this.sql.exec(
      `UPDATE chunk SET state = 'done', lease_id = NULL, lease_until = NULL, succeeded = ?, failed = ?, succeeded_lines = ?, failed_lines = ? WHERE id = ?`,
      result.succeeded, result.failed, result.succeededLines, result.failedLines, chunkId,
    )
    this.sql.exec('UPDATE job SET succeeded = succeeded + ?, failed = failed + ?, failure_codes = ? WHERE id = 1', result.succeeded, result.failed, JSON.stringify(codes))
    const now = this.row()!
    if (ACTIVE.has(now.status) && exceedsFailureThreshold(now.succeeded, now.failed)) {
      this.addFailureReason('FailureThresholdExceeded', `${now.failed} of ${now.succeeded + now.failed} tasks failed (more than 50% after at least 1,000)`)
      this.transition('Failing', 'the task failure rate exceeded 50%')
    }
    await this.settle()
    return { accepted: true }
  }

  reportManifest(tenant: string): string | null {
    if (!this.owned(tenant)) return null
    return this.sql.exec<{ body: string }>('SELECT body FROM report_manifest WHERE id = 1').toArray()[0]?.body ?? null
  }

  reportShard(tenant: string, idx: number): string | null {
    if (!this.owned(tenant)) return null
    return this.sql.exec<{ body: string }>('SELECT body FROM report_shard WHERE idx = ?', idx).toArray()[0]?.body ?? null
  }

  /** The account scheduler's request: a higher-priority job needs the slots this one holds. */
  async preempt(reason: string): Promise<void> {
    if (this.row()?.status !== 'Active') return
    this.sql.exec('UPDATE job SET preempted = 1 WHERE id = 1')
    this.transition('Pausing', reason)
    await this.settle()
  }

  /** The scheduler's all-clear after a preemption; a job the user paused meanwhile stays paused. */
  async resumeFromPreemption(): Promise<void> {
    const row = this.row()
    if (!row || row.preempted !== 1 || (row.status !== 'Pausing' && row.status !== 'Paused')) return
    this.sql.exec('UPDATE job SET preempted = 0 WHERE id = 1')
    this.transition('Active', 'resumed after preemption')
    await this.settle()
  }

  /**
   * The cron watchdog's nudge (§7): runs what the alarm runs — re-drives expired leases, fails a
   * job Suspended too long, finishes one whose last chunk landed — in case an alarm was lost.
   */
  async poke(): Promise<JobStatus | null> {
    if (!this.row()) return null
    await this.alarm()
    return this.row()!.status
  }

  /** Drives the job: preparation steps, dispatch, lease re-drive, finishing, and the Suspended limit. */
  override alarm(): Promise<void> {
    // One drive at a time: the watchdog's poke and the alarm must not prepare or report twice over.
    this.driving ??= this.drive().finally(() => {
      this.driving = null
    })
    return this.driving
  }

  private async drive(): Promise<void> {
    const row = this.row()
    if (!row) return
    if (row.status === 'New') this.transition('Preparing')
    const status = this.row()!.status
    if (status === 'Preparing') await this.prepare()
    else if (status === 'Suspended' && row.suspended_at !== null && Date.now() - row.suspended_at > SUSPENDED_MAX_MS) {
      this.addFailureReason('SuspendedTooLong', 'the job waited for confirmation for more than 14 days')
      this.transition('Failing', 'not confirmed within 14 days')
    } else if (ACTIVE.has(status) || status === 'Cancelling' || status === 'Failing' || status === 'Completing') this.redriveExpired()
    await this.settle()
  }

  // --- internals ---------------------------------------------------------------------------------

  /** The one guard of the status machine: every change of status goes through here. */
  private transition(to: JobStatus, reason?: string): boolean {
    const row = this.row()!
    if (!canTransition(row.status, to)) return false
    const now = Date.now()
    let activeMs = row.active_ms
    let activeSince = row.active_since
    if (ACTIVE.has(row.status) && !ACTIVE.has(to)) {
      activeMs += now - (activeSince ?? now)
      activeSince = null
    } else if (!ACTIVE.has(row.status) && ACTIVE.has(to)) activeSince = now
    this.sql.exec(
      'UPDATE job SET status = ?, status_reason = COALESCE(?, status_reason), active_ms = ?, active_since = ?, suspended_at = ?, terminated_at = ? WHERE id = 1',
      to, reason ?? null, activeMs, activeSince, to === 'Suspended' ? now : row.suspended_at, TERMINAL.has(to) ? now : null,
    )
    this.ctx.waitUntil(this.index(to).catch(() => {}))
    return true
  }

  /** Moves the job as far as its state allows, sends chunks, and arms the one alarm. */
  private async settle(): Promise<void> {
    let row = this.row()!
    if (row.status === 'Ready') {
      this.transition('Active')
      row = this.row()!
    }
    const leased = this.count('leased')
    const unfinished = leased + this.count('pending')
    if (ACTIVE.has(row.status) && row.prep_done && unfinished === 0) this.transition('Completing', 'every task ran')
    else if (row.status === 'Pausing' && leased === 0) this.transition('Paused', 'paused')
    row = this.row()!
    try {
      if (ACTIVE.has(row.status)) await this.pump()
      else if (!['New', 'Preparing', 'Suspended', 'Ready'].includes(row.status)) await this.scheduler().leave(this.jobId())
      if ((row.status === 'Completing' || row.status === 'Cancelling' || row.status === 'Failing') && leased === 0) {
        // One report build at a time, however many events reach this point together.
        this.finishing ??= this.finish(row.status).finally(() => {
          this.finishing = null
        })
        await this.finishing
      }
    } finally {
      // Re-armed even when a call above failed, so the job is never left without a driver.
      await this.arm()
    }
  }

  private async prepare(): Promise<void> {
    const spec = this.specOf(this.row()!)
    const out = await prepareJob(this.sql, spec, this.adapter(spec))
    if (out.kind === 'failed') {
      this.addFailureReason(out.code, out.message)
      this.transition('Failing', out.message)
    } else if (out.kind === 'prepared') {
      this.sql.exec('UPDATE job SET prep_done = 1 WHERE id = 1')
      const confirmed = !spec.confirmationRequired || this.row()!.confirmed === 1
      this.transition(confirmed ? 'Ready' : 'Suspended', confirmed ? 'manifest prepared' : 'awaiting confirmation')
    }
  }

  /**
   * Asks the account's scheduler for slots, leases that many pending chunks and sends them; a lost
   * send is re-driven when its lease expires. Pausing jobs only report what they still hold.
   */
  private pump(): Promise<void> {
    // Chunks completing together (a consumer invocation runs several) each ask for a pump: one runs
    // at a time, and one more round follows for those that asked meanwhile, so the scheduler sees
    // one request for all the slots they freed, and two rounds never lease on the same count.
    if (this.pumping) {
      this.pumpAgain = true
      return this.pumping
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false
          await this.pumpOnce()
        } while (this.pumpAgain)
      } finally {
        this.pumping = null
      }
    })()
    return this.pumping
  }

  private async pumpOnce(): Promise<void> {
    const row = this.row()!
    const spec = this.specOf(row)
    const leased = this.count('leased')
    const account = this.accountOf(spec)
    const capacity = account?.chunksInFlight ?? DEFAULT_CHUNKS_IN_FLIGHT
    const want = row.status === 'Active' ? Math.min(this.count('pending'), Math.max(0, capacity - leased)) : 0
    const grant = await this.scheduler().sync(spec.jobId, row.priority, leased, want, capacity)
    if (grant <= 0 || this.row()!.status !== 'Active') return
    const picked = this.sql.exec<{ id: number; rows: number }>(`SELECT id, rows FROM chunk WHERE state = 'pending' ORDER BY id LIMIT ?`, Math.min(grant, want)).toArray()
    const until = Date.now() + LEASE_MS
    const provider = account?.adapter.provider ?? ''
    const messages: ChunkMessage[] = picked.map(({ id, rows }) => {
      const leaseId = crypto.randomUUID()
      this.sql.exec(`UPDATE chunk SET state = 'leased', lease_id = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?`, leaseId, until, id)
      return { jobId: spec.jobId, chunkId: id, leaseId, cost: chunkSubrequests(provider, spec.operation.op, rows) }
    })
    if (messages.length > 0) await this.env.CHUNKS_QUEUE.sendBatch(messages.map((body) => ({ body })))
  }

  private redriveExpired(): void {
    this.sql.exec(`UPDATE chunk SET state = 'pending', lease_id = NULL, lease_until = NULL WHERE state = 'leased' AND lease_until <= ?`, Date.now())
  }

  private async finish(status: 'Completing' | 'Cancelling' | 'Failing'): Promise<void> {
    const row = this.row()!
    const spec = this.specOf(row)
    if (spec.report.enabled && row.succeeded + row.failed > 0 && !row.report_done) {
      try {
        await buildReport(this.sql, spec, this.adapter(spec)?.objects, new Date())
      } catch (err) {
        this.addFailureReason('ReportNotWritten', `the report could not be written: ${(err as Error).message}`)
      }
      this.sql.exec('UPDATE job SET report_done = 1 WHERE id = 1')
    }
    this.transition(status === 'Completing' ? 'Complete' : status === 'Cancelling' ? 'Cancelled' : 'Failed')
  }

  private async arm(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>(`SELECT MIN(lease_until) AS t FROM chunk WHERE state = 'leased'`).one().t
    const at = nextAlarmAt(this.row()!, next, Date.now())
    if (at === null) await this.ctx.storage.deleteAlarm()
    else await this.ctx.storage.setAlarm(at)
  }

  private accountOf(spec: JobSpec) {
    const all = accounts(this.env)
    if (!all.ok) return undefined
    const resolved = resolveAccount(all.value, this.env, spec.account)
    return resolved.ok ? resolved.account : undefined
  }

  private adapter(spec: JobSpec) {
    return this.accountOf(spec)?.adapter
  }

  private scheduler() {
    return this.env.SCHEDULERS.getByName(this.specOf(this.row()!).account)
  }

  private jobId(): string {
    return this.specOf(this.row()!).jobId
  }

  private addFailureReason(failureCode: string, failureReason: string): void {
    const reasons = JSON.parse(this.row()!.failure_reasons) as unknown[]
    reasons.push({ failureCode, failureReason: failureReason.slice(0, 256) })
    this.sql.exec('UPDATE job SET failure_reasons = ? WHERE id = 1', JSON.stringify(reasons))
  }

  private async index(status: JobStatus): Promise<void> {
    const spec = this.specOf(this.row()!)
    await this.env.TENANT_JOBS.getByName(spec.tenant).put({ jobId: spec.jobId, status, createdAt: spec.createdAt })
  }

  private count(state: ChunkRow['state']): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM chunk WHERE state = ?', state).one().n
  }

  private specOf(row: JobRow): JobSpec {
    if (this.specCache?.text !== row.spec) this.specCache = { text: row.spec, spec: JSON.parse(row.spec) as JobSpec }
    return this.specCache.spec
  }

  private row(): JobRow | undefined {
    return this.sql.exec<JobRow>('SELECT * FROM job WHERE id = 1').toArray()[0]
  }

  private owned(tenant: string): { spec: JobSpec; row: JobRow } | null {
    const row = this.row()
    if (!row) return null
    const spec = this.specOf(row)
    // Another tenant's job answers exactly like a job that does not exist.
    return spec.tenant === tenant ? { spec, row } : null
  }
}
