import * as z from 'zod'
import { executeOperations, type EngineOptions } from '../../shared/engine/engine.ts'
import { taskOperation } from '../../shared/jobs/task-operation.ts'
import { decodeManifestRange, parseManifestRecords } from '../../shared/manifest/manifest-csv.ts'
import { reportCsvRow, type TaskResult } from '../../shared/report/report-csv.ts'
import { parseWith } from '../../shared/schemas/issues.ts'
import type { Operation } from '../../shared/schemas/operation.ts'
import type { BatchJob } from '../durable-objects/batch-job.ts'
import { MAX_WINDOW_BYTES } from '../durable-objects/batch-job/preparation.ts'
import type { ChunkResult, ChunkTask } from '../durable-objects/batch-job/types.ts'
import { accounts, resolveAccount } from '../runtime/config.ts'

const ChunkMessageSchema = z.strictObject({
  jobId: z.string().min(1).max(64),
  chunkId: z.number().int().min(1),
  leaseId: z.string().min(1).max(64),
  cost: z.number().int().min(1).max(100_000).optional(),
})
type ChunkMessageBody = z.infer<typeof ChunkMessageSchema>

/**
 * Subrequests one invocation may make (Workers' per-invocation limit). wrangler.toml lets an
 * invocation take several chunk messages; the consumer runs together only as many as their `cost`
 * (the job object's estimate) fits in this, and sends the rest back to the queue as new messages.
 * A message without a cost (sent before costs existed) is counted as the whole budget.
 */
export const SUBREQUEST_BUDGET = 1000

/**
 * A job waits out throttling where an HTTP caller cannot: at least 8 tries per task and two minutes
 * of budget per chunk (S3 Batch Operations redrives temporary failures before a job completes).
 */
export function jobEngineOptions(engine: EngineOptions): EngineOptions {
  return { ...engine, retry: { ...engine.retry, maxAttempts: Math.max(engine.retry.maxAttempts, 8), budgetMs: Math.max(engine.retry.budgetMs, 120_000) } }
}

/** Report message prefix of a task that still failed retriably after the job's retries. */
export const TEMPORARY = 'TemporaryFailure (retriable; still failing when the job’s retries ran out):'

/** Seconds before a failed chunk message is delivered again: capped exponential. */
export const retryDelaySeconds = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 8))

/**
 * The chunk queue's consumer: validates each message, runs the chunk through the same engine as
 * `POST /v1/batch`, and records the outcome in the job object, which ignores a chunk it already
 * has — so redelivery never double-counts. A message that cannot be valid is logged and acked.
 *
 * The chunks of one batch run concurrently (each message acked or retried on its own), up to the
 * subrequest budget: the provider calls of one chunk wait on the network, not on this isolate, so
 * several in flight keep both busy. Copies of one chunk in the same batch run one after another
 * (the later ones then find it done), never side by side.
 */
export async function handleChunkBatch(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
  const groups = new Map<string, Array<{ message: Message<unknown>; body: ChunkMessageBody }>>()
  const deferred: Array<{ message: Message<unknown>; body: ChunkMessageBody }> = []
  let spent = 0
  for (const message of batch.messages) {
    const parsed = parseWith(ChunkMessageSchema, message.body)
    if (!parsed.success) {
      console.error(JSON.stringify({ level: 'error', msg: 'malformed chunk message dropped', queue: batch.queue, errors: parsed.errors }))
      message.ack()
      continue
    }
    const body = parsed.data
    const key = `${body.jobId}\u0000${body.chunkId}`
    const group = groups.get(key)
    if (group) {
      group.push({ message, body })
      continue
    }
    const cost = body.cost ?? SUBREQUEST_BUDGET
    // The first chunk always runs, whatever its cost; later ones only within the budget.
    if (groups.size > 0 && spent + cost > SUBREQUEST_BUDGET) {
      deferred.push({ message, body })
      continue
    }
    spent += cost
    groups.set(key, [{ message, body }])
  }
  await Promise.all([
    deferred.length > 0 ? sendBack(env, deferred) : undefined,
    ...[...groups.values()].map(async (group) => {
      for (const { message, body } of group) await runMessage(env, message, body)
    }),
  ])
}

async function runMessage(env: Env, message: Message<unknown>, body: ChunkMessageBody): Promise<void> {
  try {
    await runChunk(env, body, message.attempts)
    message.ack()
  } catch (err) {
    console.error(JSON.stringify({ level: 'warn', msg: 'chunk failed; retrying', jobId: body.jobId, chunkId: body.chunkId, error: (err as Error).message }))
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
  }
}

/**
 * Chunks over the budget go back to the queue as new messages (their lease still holds), so that
 * waiting for room costs them no delivery attempt; if that send fails they are retried instead.
 */
async function sendBack(env: Env, deferred: ReadonlyArray<{ message: Message<unknown>; body: ChunkMessageBody }>): Promise<void> {
  try {
    await env.CHUNKS_QUEUE.sendBatch(deferred.map(({ body }) => ({ body })))
    for (const { message } of deferred) message.ack()
  } catch {
    for (const { message } of deferred) message.retry()
  }
}

async function runChunk(env: Env, msg: ChunkMessageBody, deliveries: number): Promise<void> {
  const job = env.JOBS.getByName(msg.jobId)
  const task = await job.beginChunk(msg.chunkId, msg.leaseId)
  if (!task) return
  const all = accounts(env)
  const resolved = all.ok ? resolveAccount(all.value, env, task.account) : undefined
  if (!resolved?.ok) throw new Error(`account ${task.account} is not usable`)
  const { adapter } = resolved.account
  // A chunk leased again (its consumer died or was too slow) or a message delivered again may have
  // had its tasks applied already: its operations start as retries, so that the adapters check
  // state (a move whose source is gone but whose destination is there was done) before failing them.
  const engine = { ...jobEngineOptions(resolved.account.engine), firstAttempt: task.leases > 1 || deliveries > 1 ? 2 : 1 }
  // Only a single record longer than preparation's largest window makes a chunk this long (§6: a
  // row that cannot be parsed is a failed task): fail it from its first KiB instead of reading it.
  if (task.end - task.start > MAX_WINDOW_BYTES) return job.completeChunk(task.chunkId, await oversizedRow(task, adapter, job)).then(() => {})
  const bytes = task.source
    ? await adapter.objects!.readRange(task.source.bucket, task.source.key, task.start, task.end)
    : await job.readInlineBytes(task.start, task.end)
  await job.completeChunk(task.chunkId, await runTasks(task, decodeManifestRange(bytes, task.start, task.firstRow), adapter, engine))
}

async function oversizedRow(task: ChunkTask, adapter: Parameters<typeof executeOperations>[0], job: DurableObjectStub<BatchJob>): Promise<ChunkResult> {
  const head = task.source ? await adapter.objects!.readRange(task.source.bucket, task.source.key, task.start, task.start + 1024) : await job.readInlineBytes(task.start, task.start + 1024)
  const text = new TextDecoder().decode(head)
  const message = `row ${task.firstRow}: the row is longer than ${MAX_WINDOW_BYTES} bytes (${task.end - task.start}): ${text}…`
  const failedLines = reportCsvRow({ bucket: '', key: '', status: 'failed', errorCode: 'InvalidManifestRow', httpStatus: 400, message })
  return { succeeded: 0, failed: 1, succeededLines: '', failedLines, failureCodes: { InvalidManifestRow: 1 } }
}

/** Parses the chunk's rows, runs the valid ones, and turns every row into exactly one report line. */
async function runTasks(task: ChunkTask, range: { text: string; notUtf8?: ReadonlySet<number> }, adapter: Parameters<typeof executeOperations>[0], engine: EngineOptions): Promise<ChunkResult> {
  const records = parseManifestRecords(range.text, task.fields, task.firstRow, range.notUtf8)
  const ops: Operation[] = []
  for (const r of records) if (r.ok) ops.push(taskOperation(task.operation, r.task))
  // Tasks still failing retriably when the retries ran out (S3 Batch's TemporaryFailure): their
  // report line says so, so that they can be told from a provider's final refusal.
  const exhausted = new Set<number>()
  const results = await executeOperations(adapter, ops, { ...engine, onExhausted: (i) => exhausted.add(i) })
  const out: ChunkResult = { succeeded: 0, failed: 0, succeededLines: '', failedLines: '', failureCodes: {} }
  const fail = (code: string) => {
    out.failed++
    out.failureCodes[code] = (out.failureCodes[code] ?? 0) + 1
  }
  // results[i] answers ops[i], the i-th valid record.
  let i = 0
  for (const r of records) {
    if (!r.ok) {
      fail('InvalidManifestRow')
      out.failedLines += reportCsvRow({ bucket: '', key: '', status: 'failed', errorCode: 'InvalidManifestRow', httpStatus: 400, message: `row ${r.error.row}: ${r.error.reason}: ${r.error.text}` })
      continue
    }
    const index = i++
    const result = results[index]!
    const ok = result.status >= 200 && result.status < 300
    const row: TaskResult = { bucket: r.task.bucket, key: r.task.key, status: ok ? 'succeeded' : 'failed', httpStatus: result.status }
    if (r.task.versionId) row.versionId = r.task.versionId
    if (result.error) {
      row.errorCode = result.error.code
      row.message = exhausted.has(index) ? `${TEMPORARY} ${result.error.message}` : result.error.message
    }
    if (ok) {
      out.succeeded++
      out.succeededLines += reportCsvRow(row)
    } else {
      fail(result.error?.code ?? 'ProviderError')
      out.failedLines += reportCsvRow(row)
    }
  }
  return out
}
