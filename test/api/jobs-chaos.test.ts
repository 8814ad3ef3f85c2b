import { runDurableObjectAlarm } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TEMPORARY } from '../../workers/queue/chunk-consumer.ts'
import { addFault, clearFaults, listFaults } from '../emulators/control.ts'
import { S3_EMULATOR_URL as S3 } from '../fixtures/emulator-ports.ts'
import { call } from '../helpers.ts'
import { consumerThatDies, deliver, describeJob, drain, expectAllAcked, heldJob, reportRows, until } from './jobs-chaos-helpers.ts'

// Infrastructure faults during a job (issue 7): a consumer that dies mid-chunk, a lease that expires
// under a slow consumer (its late completion and the re-driven run racing), and an alarm that fires
// late or twice. Messages are delivered by the test (jobs-chaos-helpers.ts); time moves by rewriting
// leases in the job object's storage and running its alarm with runDurableObjectAlarm. After each,
// the job completes with exact counts and a report naming every task once.
// Redelivered messages (twice, concurrently, late, stale): test/queue/chunk-consumer.test.ts;
// eviction and cron: jobs-chaos-infra.test.ts.

const created: string[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const jobId of created.splice(0)) await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Cancelled' } })
})

const progress = async (jobId: string) => (await describeJob(jobId)).progressSummary
const quiet = () => vi.spyOn(console, 'error').mockImplementation(() => {})

describe('a consumer that dies mid-chunk', () => {
  it('runs the chunk again once its lease expires, counts it once, and reports moves the dead run applied as moved', { timeout: 60_000 }, async () => {
    const job = await heldJob('chaos-dies', { op: 'move' }, 1000)
    created.push(job.jobId)
    const [first, second] = job.sent as [(typeof job.sent)[0], (typeof job.sent)[0]]
    quiet()

    // Chunk 1: its 400 moves are applied, then the invocation dies before recording the chunk.
    const died = await deliver([first], 1, consumerThatDies())
    expect(died.retried).toEqual([true])
    expect((await job.objects(job.destination)).length).toBe(400)
    expect((await job.chunks())[0]).toMatchObject({ state: 'leased', lease_id: first.leaseId, attempts: 1 })
    expect(await progress(job.jobId)).toMatchObject({ numberOfTasksSucceeded: 0, numberOfTasksFailed: 0 })

    // Its lease runs out; the (late) alarm re-drives the chunk under a new lease, and that run finds
    // every source gone and every destination there: moved, not NoSuchKey.
    const before = job.sent.length
    expect(await job.expireLeases([first.chunkId])).toBe(true)
    const redriven = job.sent.slice(before)
    expect(redriven.map((m) => m.chunkId)).toEqual([first.chunkId])
    expect(redriven[0]!.leaseId).not.toBe(first.leaseId)
    expectAllAcked(await deliver(redriven))
    expect(await progress(job.jobId)).toMatchObject({ numberOfTasksSucceeded: 400, numberOfTasksFailed: 0 })
    // The queue retries the dead invocation's message: its lease is stale, nothing runs.
    const copies = (await job.log()).filter((e) => e.operation === 'CopyObject').length
    expectAllAcked(await deliver([first], 2))
    expect((await job.log()).filter((e) => e.operation === 'CopyObject').length).toBe(copies)

    // Chunk 2 dies too, and the queue redelivers the same message before its lease ends: the second
    // delivery runs it again (as retries) and counts it once.
    expect((await deliver([second], 1, consumerThatDies())).retried).toEqual([true])
    expectAllAcked(await deliver([second], 2))
    expect(await progress(job.jobId)).toMatchObject({ numberOfTasksSucceeded: 800, numberOfTasksFailed: 0 })

    await drain(job.sent, job.sent.indexOf(second) + 1)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 1000, numberOfTasksSucceeded: 1000, numberOfTasksFailed: 0 })
    expect(await job.objects(job.bucket)).toEqual([])
    expect((await job.objects(job.destination)).length).toBe(1000)
    const rows = await reportRows(job.jobId, job.keys)
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true)
    expect((await job.chunks()).map((c) => [c.state, c.attempts])).toEqual([['done', 2], ['done', 1], ['done', 1]])
  })
})

describe('a lease that expires under a slow consumer', () => {
  /**
   * Delivers chunk 1 through a consumer whose provider call is held for `ms` (under the s3 test
   * account's 1.5 s call timeout, so the call is not retried), and expires its lease meanwhile.
   */
  async function slowFirstChunk(name: string, ms: number) {
    const job = await heldJob(name, { op: 'delete' }, 2500)
    created.push(job.jobId)
    const first = job.sent[0]!
    await addFault(S3, { bucket: job.bucket, kind: 'delay', ms, times: 1 })
    const slow = deliver([first])
    // Once the held call is in the emulator (the rule taken), the lease runs out and the alarm re-drives the chunk.
    const before = job.sent.length
    expect(await job.expireLeases([first.chunkId])).toBe(true)
    const redriven = job.sent.slice(before)
    expect(redriven.map((m) => m.chunkId)).toEqual([first.chunkId])
    return { job, first, slow, redriven: redriven[0]! }
  }

  /** Delivers the other chunks' messages (and chunk 1's again: done, so nothing runs) and checks the end. */
  async function expectExact(job: Awaited<ReturnType<typeof heldJob>>) {
    await drain(job.sent, 1)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    expect(await job.objects(job.bucket)).toEqual([])
    expect((await reportRows(job.jobId, job.keys)).every((r) => r.status === 'succeeded')).toBe(true)
  }

  it('takes the slow run’s late completion once; the re-driven message then finds the chunk done and runs nothing', { timeout: 60_000 }, async () => {
    const { job, slow, redriven } = await slowFirstChunk('chaos-late', 1000)
    expectAllAcked(await slow)
    expect(await progress(job.jobId)).toMatchObject({ numberOfTasksSucceeded: 1000 })
    expectAllAcked(await deliver([redriven]))
    expect((await job.log()).filter((e) => e.operation === 'DeleteObjects').map((e) => e.ops)).toEqual([1000])
    expect(await progress(job.jobId)).toMatchObject({ numberOfTasksSucceeded: 1000, numberOfTasksFailed: 0 })
    await expectExact(job)
  })

  it('takes the re-driven run’s completion once when it finishes first, and ignores the slow run’s', { timeout: 60_000 }, async () => {
    const { job, slow, redriven } = await slowFirstChunk('chaos-race', 1200)
    expectAllAcked(await deliver([redriven]))
    expect(await progress(job.jobId)).toMatchObject({ numberOfTasksSucceeded: 1000 })
    expectAllAcked(await slow)
    // Both runs called the provider; the chunk counts once, and its report lines are the first run's to finish.
    expect((await job.log()).filter((e) => e.operation === 'DeleteObjects').map((e) => e.ops)).toEqual([1000, 1000])
    expect(await progress(job.jobId)).toMatchObject({ numberOfTasksSucceeded: 1000, numberOfTasksFailed: 0 })
    await expectExact(job)
  })
})

describe('the job’s alarm', () => {
  it('fires late, after every lease expired: each chunk is re-driven once, the old messages run nothing, counts exact', { timeout: 60_000 }, async () => {
    const job = await heldJob('chaos-alarm-late', { op: 'delete' }, 2500)
    created.push(job.jobId)
    const old = [...job.sent]
    expect(await job.expireLeases()).toBe(true)
    const fresh = job.sent.slice(old.length)
    expect(fresh.map((m) => m.chunkId).sort()).toEqual(old.map((m) => m.chunkId).sort())
    expectAllAcked(await deliver(old))
    expect(await job.log()).toEqual([])
    await drain(job.sent, old.length)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    expect((await job.log()).filter((e) => e.operation === 'DeleteObjects').map((e) => e.ops).sort()).toEqual([1000, 1000, 500])
    expect((await job.chunks()).map((c) => c.attempts)).toEqual([2, 2, 2])
    await reportRows(job.jobId, job.keys)
  })

  it('fires twice in a row, and beside the watchdog, without leasing or sending anything twice', { timeout: 60_000 }, async () => {
    const job = await heldJob('chaos-alarm-twice', { op: 'delete' }, 2500)
    created.push(job.jobId)
    const leased = await job.chunks()
    const sent = job.sent.length
    await runDurableObjectAlarm(job.stub)
    await runDurableObjectAlarm(job.stub)
    await Promise.all([runDurableObjectAlarm(job.stub), job.stub.poke(), job.stub.poke()])
    expect(job.sent.length).toBe(sent)
    expect(await job.chunks()).toEqual(leased)

    // Between deliveries too: a chunk done, then two alarms — nothing is re-driven or counted twice.
    expectAllAcked(await deliver([job.sent[0]]))
    await Promise.all([runDurableObjectAlarm(job.stub), job.stub.poke()])
    await runDurableObjectAlarm(job.stub)
    expect(job.sent.length).toBe(sent)
    await drain(job.sent, 1)
    const done = await until(job.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    // Alarms after the end change nothing.
    await Promise.all([runDurableObjectAlarm(job.stub), job.stub.poke()])
    expect((await describeJob(job.jobId)).progressSummary).toEqual(done.progressSummary)
    expect((await job.chunks()).map((c) => c.attempts)).toEqual([1, 1, 1])
    await reportRows(job.jobId, job.keys)
  })
})

describe('a task that still fails retriably after the job’s retries', () => {
  it('is reported failed as a TemporaryFailure, told apart from a final refusal, and counted once', { timeout: 60_000 }, async () => {
    const job = await heldJob('chaos-temporary', { op: 'delete' }, 20)
    created.push(job.jobId)
    const [throttled, denied] = [job.keys[4]!, job.keys[5]!]
    await addFault(S3, { bucket: job.bucket, kind: 'op', key: throttled, code: 503, errorCode: 'SlowDown', times: -1 })
    await addFault(S3, { bucket: job.bucket, kind: 'op', key: denied, code: 403, errorCode: 'AccessDenied', times: -1 })
    await drain(job.sent, 0)
    const done = await until(job.jobId, ['Complete'])
    await clearFaults(S3, job.bucket)
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 20, numberOfTasksSucceeded: 18, numberOfTasksFailed: 2 })
    expect(done.failuresByCode).toEqual({ Throttled: 1, AccessDenied: 1 })
    const rows = new Map((await reportRows(job.jobId, job.keys)).map((r) => [r.key, r]))
    expect(rows.get(throttled)).toMatchObject({ status: 'failed', errorCode: 'Throttled', message: expect.stringMatching(new RegExp(`^${escape(TEMPORARY)} `)) })
    expect(rows.get(denied)).toMatchObject({ status: 'failed', errorCode: 'AccessDenied' })
    expect(rows.get(denied)!.message).not.toContain('TemporaryFailure')
    // The job sent the throttled key at least 8 times (its deeper retries) before giving up on it.
    expect((await job.log()).filter((e) => e.operation === 'DeleteObjects').length).toBeGreaterThanOrEqual(8)
  })
})

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
