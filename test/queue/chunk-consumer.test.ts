import { env } from 'cloudflare:workers'
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BatchJob, ChunkMessage } from '../../workers/durable-objects/batch-job.ts'
import worker from '../../workers/index.ts'
import { retryDelaySeconds } from '../../workers/queue/chunk-consumer.ts'
import { addFault, clearFaults, listObjectStoreObjects, objectStoreRequestLog, patchObjectStoreBucket, seedObjectStoreBucket } from '../emulators/control.ts'
import { S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { call, unique } from '../helpers.ts'
import { recordChunkQueue } from '../api/jobs-chaos-helpers.ts'

// The chunk queue's consumer, driven message by message: the job object's CHUNKS_QUEUE is replaced
// by a recorder, so that no chunk reaches the real queue and each test delivers the job's own
// messages — twice, concurrently, late or stale — through the Worker's queue() handler.

const S3 = S3_EMULATOR_URL
const QUEUE = 'batchgate-chunks'

/** Jobs a test created: those it leaves running are cancelled, so they free their account's chunk slots. */
const created: string[] = []

afterEach(async () => {
  vi.restoreAllMocks()
  for (const jobId of created.splice(0)) await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Cancelled' } })
})

async function until(jobId: string, statuses: string[], timeout = 20_000) {
  return vi.waitFor(
    async () => {
      const job = (await call(`/v1/jobs/${jobId}`)).json
      if (!statuses.includes(job.status)) throw new Error(`job still ${job.status}`)
      return job
    },
    { timeout, interval: 50 },
  )
}

const describeJob = async (jobId: string) => (await call(`/v1/jobs/${jobId}`)).json

/**
 * A confirmed delete job of `n` keys on the S3 emulator whose chunk messages are recorded in
 * `sent` instead of being sent. The manifest is an object of its own bucket, so that faults on
 * it never touch the data bucket.
 */
async function heldJob(name: string, n = 2500) {
  const keys = Array.from({ length: n }, (_, i) => `${name}/${i}`)
  const bucket = unique(name)
  const manifests = unique(`${name}-m`)
  const reports = unique(`${name}-r`)
  await seedObjectStoreBucket(S3, bucket, keys.map((key) => ({ key, body: 'x' })))
  await seedObjectStoreBucket(S3, manifests, [{ key: 'm.csv', body: keys.map((k) => `${bucket},${encodeURIComponent(k)}\n`).join('') }])
  await seedObjectStoreBucket(S3, reports, [])
  const res = await call('/v1/jobs', {
    body: {
      clientRequestToken: unique('tok'), account: 's3', operation: { op: 'delete' }, confirmationRequired: true,
      manifest: { location: { bucket: manifests, key: 'm.csv' }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: reports, prefix: '', scope: 'AllTasks' },
    },
  })
  expect(res.status).toBe(201)
  const jobId: string = res.json.jobId
  created.push(jobId)
  await until(jobId, ['Suspended'])
  const sent = await recordChunkQueue(jobId)
  const stub = env.JOBS.getByName(jobId)
  const confirmed = await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Ready' } })
  expect(confirmed.status).toBe(200)
  expect(sent.length).toBeGreaterThan(0)
  expect(sent.every((m) => m.jobId === jobId)).toBe(true)
  const chunks = () =>
    runInDurableObject(stub, (_: BatchJob, state) =>
      state.storage.sql.exec<{ id: number; state: string; lease_id: string | null; attempts: number }>('SELECT id, state, lease_id, attempts FROM chunk ORDER BY id').toArray(),
    )
  const deletes = async () => (await objectStoreRequestLog(S3, bucket)).filter((e) => e.operation === 'DeleteObjects')
  const remaining = async () => (await listObjectStoreObjects(S3, bucket)).length
  return { keys, bucket, manifests, jobId, stub, sent, chunks, deletes, remaining }
}

let seq = 0
/** Delivers one batch of message bodies to the Worker's queue() handler; returns their ids and the ack/retry outcome. */
async function deliver(bodies: unknown[], attempts = 1, workerEnv: Env = env) {
  const messages = bodies.map((body) => ({ id: `msg-${seq++}`, timestamp: new Date(), attempts, body }))
  const batch = createMessageBatch(QUEUE, messages)
  // getQueueResult() does not keep retry() options, so they are observed here.
  const retries = batch.messages.map((m) => vi.spyOn(m, 'retry'))
  const ctx = createExecutionContext()
  await worker.queue(batch, workerEnv, ctx)
  const result = await getQueueResult(batch, ctx)
  return { ids: messages.map((m) => m.id), result, retryOptions: retries.map((r) => r.mock.calls.map((c) => c[0])) }
}

function expectAllAcked({ ids, result }: Awaited<ReturnType<typeof deliver>>) {
  expect([...result.explicitAcks].sort()).toEqual([...ids].sort())
  expect(result.retryMessages).toEqual([])
  expect(result.retryBatch.retry).toBe(false)
}

/** Delivers every recorded message not delivered yet, until the job stops sending. */
async function drain(sent: ChunkMessage[], from: number) {
  let next = from
  while (next < sent.length) expectAllAcked(await deliver([sent[next++]]))
  return next
}

async function reportKeys(jobId: string) {
  const manifest = (await call(`/v1/jobs/${jobId}/report`)).json
  const keys: string[] = []
  for (let n = 0; n < manifest.results.length; n++) {
    const shard = (await call(`/v1/jobs/${jobId}/report/${n}`)).text
    for (const line of shard.trimEnd().split('\n')) keys.push(decodeURIComponent(line.split(',')[1]!))
  }
  return keys
}

describe('chunk queue consumer', () => {
  it('counts a chunk delivered twice in one batch once, acks both, and runs it once', async () => {
    const job = await heldJob('twice')
    const first = job.sent[0]!
    expectAllAcked(await deliver([first, first]))
    expect((await describeJob(job.jobId)).progressSummary).toMatchObject({ numberOfTasksSucceeded: 1000, numberOfTasksFailed: 0 })
    expect((await job.deletes()).map((e) => e.ops)).toEqual([1000])
    expect(await job.remaining()).toBe(1500)
    expect((await job.chunks())[0]).toMatchObject({ id: first.chunkId, state: 'done', lease_id: null, attempts: 1 })

    // The rest of the job, then every message once more: nothing runs, nothing is counted again.
    await drain(job.sent, 1)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    const calls = (await job.deletes()).length
    expectAllAcked(await deliver(job.sent))
    expect((await job.deletes()).length).toBe(calls)
    expect((await describeJob(job.jobId)).progressSummary).toEqual(done.progressSummary)
    const keys = await reportKeys(job.jobId)
    expect(keys.sort()).toEqual([...job.keys].sort())
  })

  it('counts a chunk redelivered concurrently once', async () => {
    const job = await heldJob('concurrent')
    const first = job.sent[0]!
    const outcomes = await Promise.all([deliver([first]), deliver([first]), deliver([first], 2)])
    for (const o of outcomes) expectAllAcked(o)
    expect((await describeJob(job.jobId)).progressSummary).toMatchObject({ numberOfTasksSucceeded: 1000, numberOfTasksFailed: 0 })
    expect(await job.remaining()).toBe(1500)
    await drain(job.sent, 1)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    const keys = await reportKeys(job.jobId)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys).toHaveLength(2500)
  })

  it('acks a message for a chunk that is already done without running anything', async () => {
    const job = await heldJob('late')
    const first = job.sent[0]!
    expectAllAcked(await deliver([first]))
    const before = { calls: (await job.deletes()).length, progress: (await describeJob(job.jobId)).progressSummary }
    // Put the object back: a chunk run again would delete it.
    await patchObjectStoreBucket(S3, job.bucket, { upsert: [{ key: job.keys[0]!, body: 'x' }] })
    expectAllAcked(await deliver([first], 3))
    expect((await job.deletes()).length).toBe(before.calls)
    expect((await describeJob(job.jobId)).progressSummary).toEqual(before.progress)
    expect((await listObjectStoreObjects(S3, job.bucket)).map((o) => o.key)).toContain(job.keys[0])
  })

  it('acks a message with a stale lease without running it; the current lease still runs', async () => {
    const job = await heldJob('stale')
    const first = job.sent[0]!
    expectAllAcked(await deliver([{ ...first, leaseId: crypto.randomUUID() }]))
    expect(await job.deletes()).toEqual([])
    expect((await job.chunks())[0]).toMatchObject({ state: 'leased', lease_id: first.leaseId })
    expectAllAcked(await deliver([first]))
    expect((await describeJob(job.jobId)).progressSummary.numberOfTasksSucceeded).toBe(1000)
  })

  it('acks and logs malformed messages, never retrying them, and acks a message for a job that does not exist', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const id = crypto.randomUUID()
    const malformed = [
      null,
      'not json',
      42,
      [],
      {},
      { jobId: id },
      { jobId: id, chunkId: 1 },
      { jobId: id, chunkId: '1', leaseId: 'l' },
      { jobId: id, chunkId: 0, leaseId: 'l' },
      { jobId: id, chunkId: 1.5, leaseId: 'l' },
      { jobId: '', chunkId: 1, leaseId: 'l' },
      { jobId: id, chunkId: 1, leaseId: 'x'.repeat(65) },
      { jobId: id, chunkId: 1, leaseId: 'l', rows: ['demo,a'] },
    ]
    const outcome = await deliver(malformed, 1)
    expectAllAcked(outcome)
    const dropped = errors.mock.calls.map((c) => String(c[0])).filter((line) => line.includes('malformed chunk message'))
    expect(dropped).toHaveLength(malformed.length)
    for (const line of dropped) expect(JSON.parse(line)).toMatchObject({ level: 'error', queue: QUEUE })
    // The same messages on their last delivery: still acked, not retried.
    expectAllAcked(await deliver(malformed.slice(0, 3), 10))

    errors.mockClear()
    expectAllAcked(await deliver([{ jobId: crypto.randomUUID(), chunkId: 1, leaseId: crypto.randomUUID() }]))
    expect(errors).not.toHaveBeenCalled()
  })

  it('retries, with backoff, a chunk whose manifest cannot be read, and counts it once it can', async () => {
    const job = await heldJob('unreadable')
    const first = job.sent[0]!
    await addFault(S3, { bucket: job.manifests, kind: 'http', status: 500, times: -1 })
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const failed = await deliver([first], 3)
    await clearFaults(S3, job.manifests)
    expect(failed.result.explicitAcks).toEqual([])
    expect(failed.result.retryMessages).toEqual([{ msgId: failed.ids[0] }])
    expect(failed.retryOptions).toEqual([[{ delaySeconds: retryDelaySeconds(3) }]])
    expect(retryDelaySeconds(3)).toBeGreaterThan(0)
    expect(errors.mock.calls.map((c) => JSON.parse(String(c[0])))).toContainEqual(expect.objectContaining({ msg: 'chunk failed; retrying', jobId: job.jobId, chunkId: first.chunkId }))
    expect(await job.deletes()).toEqual([])
    expect((await job.chunks())[0]).toMatchObject({ state: 'leased', lease_id: first.leaseId })
    expect((await describeJob(job.jobId)).progressSummary.numberOfTasksSucceeded).toBe(0)

    expectAllAcked(await deliver([first], 4))
    expect((await describeJob(job.jobId)).progressSummary.numberOfTasksSucceeded).toBe(1000)
  })

  it('runs the chunks of one batch side by side, acking each', async () => {
    const job = await heldJob('together')
    expect(job.sent).toHaveLength(3)
    expect(job.sent.map((m) => m.cost)).toEqual([4, 4, 4])
    // Every DeleteObjects is held 1 s at the emulator: one after another, the second and third
    // would arrive a second or more after the first; side by side they all arrive at once.
    await addFault(S3, { bucket: job.bucket, kind: 'delay', ms: 1000, times: 3 })
    expectAllAcked(await deliver(job.sent))
    const deletes = await job.deletes()
    expect(deletes.map((e) => e.ops).sort()).toEqual([1000, 1000, 500])
    const arrivals = deletes.map((e) => e.at)
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(900)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    expect(await job.remaining()).toBe(0)
  })

  it('runs only what fits the subrequest budget and sends the rest back as new messages, which run later', async () => {
    const job = await heldJob('budget')
    const [a, b, c] = job.sent as [ChunkMessage, ChunkMessage, ChunkMessage]
    const resent: unknown[] = []
    const recording = new Proxy(env, {
      get: (target, p) => (p === 'CHUNKS_QUEUE' ? { sendBatch: async (ms: Iterable<{ body: unknown }>) => void resent.push(...[...ms].map((m) => m.body)) } : Reflect.get(target, p)),
    })
    // 600 + 600 is over the budget: the first runs, the second goes back to the queue; a message
    // without a cost counts as the whole budget, so it goes back too.
    const { cost: _cost, ...noCost } = c
    expectAllAcked(await deliver([{ ...a, cost: 600 }, { ...b, cost: 600 }, noCost], 1, recording))
    expect(resent).toEqual([{ ...b, cost: 600 }, noCost])
    expect((await job.deletes()).map((e) => e.ops)).toEqual([1000])
    expect((await job.chunks()).map((ch) => ch.state)).toEqual(['done', 'leased', 'leased'])
    // Sent back, they run as any message does (their leases still hold).
    expectAllAcked(await deliver(resent))
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
  })

  it('hands back the lease of a message that arrives while the job is pausing, and runs the chunk after the resume', async () => {
    const job = await heldJob('paused')
    const leased = [...job.sent]
    const pause = await call(`/v1/jobs/${job.jobId}/status`, { body: { requestedStatus: 'Paused' } })
    expect(pause.json.status).toBe('Pausing')
    expectAllAcked(await deliver(leased))
    expect(await job.deletes()).toEqual([])
    expect((await job.chunks()).every((c) => c.state === 'pending' && c.lease_id === null)).toBe(true)
    const paused = await until(job.jobId, ['Paused'])
    expect(paused.progressSummary).toMatchObject({ numberOfTasksSucceeded: 0, numberOfTasksFailed: 0 })

    const resumed = await call(`/v1/jobs/${job.jobId}/status`, { body: { requestedStatus: 'Active' } })
    expect(resumed.json.status).toBe('Active')
    const fresh = job.sent.slice(leased.length)
    expect(fresh.length).toBeGreaterThan(0)
    expect(fresh.every((m) => !leased.some((old) => old.leaseId === m.leaseId))).toBe(true)
    // The messages of the old leases arrive again: stale, so nothing runs.
    expectAllAcked(await deliver(leased))
    expect(await job.deletes()).toEqual([])
    await drain(job.sent, leased.length)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    expect((await job.deletes()).map((e) => e.ops).sort()).toEqual([1000, 1000, 500])
  })
})
