import { env } from 'cloudflare:workers'
import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { expect, vi } from 'vitest'
import type { BatchJob, ChunkMessage } from '../../workers/durable-objects/batch-job.ts'
import { handleChunkBatch } from '../../workers/queue/chunk-consumer.ts'
import { listObjectStoreObjects, objectStoreRequestLog, seedObjectStoreBucket } from '../emulators/control.ts'
import { S3_EMULATOR_URL as S3 } from '../fixtures/emulator-ports.ts'
import { call, unique } from '../helpers.ts'
import { createJob, describeJob, until } from './job-helpers.ts'

// Jobs whose chunk messages a test delivers itself: the job object's CHUNKS_QUEUE is replaced by a
// recorder, so the test decides when (and how often, and through which consumer) each message
// arrives, and moves time by rewriting leases in the object's storage, never by sleeping.

export const QUEUE = 'batchgate-chunks'
const row = (bucket: string, key: string) => `${bucket},${encodeURIComponent(key)}\n`

export type ChunkRow = { id: number; state: string; lease_id: string | null; lease_until: number | null; attempts: number; rows: number; succeeded: number | null }

/**
 * A job of `n` objects on the S3 emulator (a bucket for the data, one for the manifest object, one
 * for reports) created with confirmation required, its chunk messages recorded in `sent` from the
 * confirmation on. `destination` is where a copy or move puts its objects (another bucket).
 */
/**
 * Points the job object's chunk queue at a recorder: the messages it sends are kept (in the
 * returned array), not delivered, so a test can hand them to the consumer as it pleases.
 */
export async function recordChunkQueue(jobId: string): Promise<ChunkMessage[]> {
  const sent: ChunkMessage[] = []
  const recorder = {
    send: async (body: ChunkMessage) => void sent.push(body),
    sendBatch: async (messages: Iterable<{ body: ChunkMessage }>) => void sent.push(...[...messages].map((m) => m.body)),
  }
  await runInDurableObject(env.JOBS.getByName(jobId), (instance: BatchJob) => {
    const real = (instance as unknown as { env: Env }).env
    ;(instance as unknown as { env: Env }).env = new Proxy(real, { get: (target, p) => (p === 'CHUNKS_QUEUE' ? recorder : Reflect.get(target, p)) })
  })
  return sent
}

export async function heldJob(name: string, operation: { op: 'delete' | 'move' | 'copy' }, n: number) {
  const keys = Array.from({ length: n }, (_, i) => (i % 250 === 3 ? `${name}/k ${i}+é,"q"` : `${name}/k${i}`))
  const [bucket, destination, manifests, reports] = [unique(name), unique(`${name}-to`), unique(`${name}-m`), unique(`${name}-r`)]
  await seedObjectStoreBucket(S3, bucket, keys.map((key) => ({ key, body: `body of ${key}` })))
  await seedObjectStoreBucket(S3, destination, [])
  await seedObjectStoreBucket(S3, manifests, [{ key: 'm.csv', body: keys.map((k) => row(bucket, k)).join('') }])
  await seedObjectStoreBucket(S3, reports, [])
  const op = operation.op === 'delete' ? operation : { ...operation, destination: { bucket: destination } }
  const jobId = await createJob({
    account: 's3', operation: op, confirmationRequired: true,
    manifest: { location: { bucket: manifests, key: 'm.csv' }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
    report: { enabled: true, bucket: reports, prefix: '', scope: 'AllTasks' },
  })
  await until(jobId, ['Suspended'])
  const sent = await recordChunkQueue(jobId)
  const stub = env.JOBS.getByName(jobId)
  expect((await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Ready' } })).status).toBe(200)
  expect(sent.length).toBeGreaterThan(0)

  const sql = <T extends Record<string, SqlStorageValue>>(query: string, ...args: (string | number)[]) =>
    runInDurableObject(stub, (_: BatchJob, state) => state.storage.sql.exec<T>(query, ...args).toArray())
  return {
    keys, bucket, destination, reports, jobId, stub, sent, sql,
    chunks: () => sql<ChunkRow>('SELECT id, state, lease_id, lease_until, attempts, rows, succeeded FROM chunk ORDER BY id'),
    /** Every request the S3 emulator received on the data bucket. */
    log: () => objectStoreRequestLog(S3, bucket),
    objects: async (b: string) => (await listObjectStoreObjects(S3, b)).map((o) => o.key).sort(),
    /** Moves time past the leases of `ids` (all leased chunks when absent), then runs the job's alarm as it would fire late. */
    async expireLeases(ids?: number[]) {
      const past = Date.now() - 1
      if (ids) for (const id of ids) await sql(`UPDATE chunk SET lease_until = ? WHERE id = ? AND state = 'leased'`, past, id)
      else await sql(`UPDATE chunk SET lease_until = ? WHERE state = 'leased'`, past)
      return runDurableObjectAlarm(stub)
    },
  }
}

let seq = 0
/** Delivers message bodies as one batch to the chunk consumer with `env` (the real one unless a test replaces a binding). */
export async function deliver(bodies: unknown[], attempts = 1, through: Env = env) {
  const messages = bodies.map((body) => ({ id: `msg-${seq++}`, timestamp: new Date(), attempts, body }))
  const batch = createMessageBatch(QUEUE, messages)
  const retries = batch.messages.map((m) => vi.spyOn(m, 'retry'))
  const ctx = createExecutionContext()
  await handleChunkBatch(batch, through, ctx)
  const result = await getQueueResult(batch, ctx)
  return { ids: messages.map((m) => m.id), result, retried: retries.map((r) => r.mock.calls.length > 0) }
}

export function expectAllAcked({ ids, result }: Awaited<ReturnType<typeof deliver>>) {
  expect([...result.explicitAcks].sort()).toEqual([...ids].sort())
  expect(result.retryMessages).toEqual([])
}

/** Delivers every recorded message from `from` on, one at a time, until the job sends no more. */
export async function drain(sent: ChunkMessage[], from: number) {
  let next = from
  while (next < sent.length) expectAllAcked(await deliver([sent[next++]]))
  return next
}

/**
 * The Worker's env with a job object whose `completeChunk` never returns: the consumer's invocation
 * dies after its provider calls and before the chunk is recorded (as when its isolate is torn down).
 */
export function consumerThatDies(): Env {
  const jobs = {
    getByName(name: string) {
      const real = env.JOBS.getByName(name)
      return {
        beginChunk: (chunkId: number, leaseId: string) => real.beginChunk(chunkId, leaseId),
        readInlineBytes: (start: number, end: number) => real.readInlineBytes(start, end),
        completeChunk: async () => {
          throw new Error('the consumer died before recording its chunk')
        },
      }
    },
  }
  return new Proxy(env, { get: (target, p) => (p === 'JOBS' ? jobs : Reflect.get(target, p)) })
}

/** The report's rows (bucket, key, status, error code, message) through the report routes, checked to name each key once. */
export async function reportRows(jobId: string, keys: string[]) {
  const manifest = (await call(`/v1/jobs/${jobId}/report`)).json
  const rows: { key: string; status: string; errorCode: string; message: string }[] = []
  for (let n = 0; n < manifest.results.length; n++) {
    const shard = (await call(`/v1/jobs/${jobId}/report/${n}`)).text
    for (const line of shard.trimEnd().split('\n')) {
      const f = parseLine(line)
      rows.push({ key: decodeURIComponent(f[1]!), status: f[3]!, errorCode: f[4]!, message: f[6]! })
    }
  }
  expect(rows.map((r) => r.key).sort()).toEqual([...keys].sort())
  return rows
}

/** One RFC 4180 line (no line breaks inside fields: keys are URL-encoded) into its fields. */
function parseLine(line: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted && c === '"' && line[i + 1] === '"') (field += '"'), i++
    else if (c === '"') quoted = !quoted
    else if (c === ',' && !quoted) fields.push(field), (field = '')
    else field += c
  }
  fields.push(field)
  return fields
}

export { describeJob, until }
