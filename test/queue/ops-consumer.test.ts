import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BatchResponse } from '../../shared/schemas/batch.ts'
import { retryDelaySeconds } from '../../workers/queue/chunk-consumer.ts'
import { dedupeRecord } from '../../workers/queue/ops-consumer.ts'
import { addFault, clearFaults, seedObjectStoreBucket } from '../emulators/control.ts'
import { S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { unique } from '../helpers.ts'
import { deliver, expectAcked, expectRetried, harness, logLines, OPS_QUEUE as QUEUE } from './ops-harness.ts'

afterEach(() => vi.restoreAllMocks())

describe('ops queue consumer', () => {
  it('runs a message as a sync batch and replies with the §5 body, a failed operation reported in it', async () => {
    const dir = unique('valid')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'hello', { customMetadata: { author: 'alice' } })
    await env.DEMO_BUCKET.put(`${dir}/old.txt`, 'x')
    const h = harness()
    const info = vi.spyOn(console, 'log').mockImplementation(() => {})
    const outcome = await deliver(h, [{
      tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES',
      operations: [
        { op: 'copy', bucket: 'demo', key: `${dir}/a.txt`, destination: { bucket: 'backup', key: `${dir}/a.txt` } },
        { id: 'missing', op: 'stat', bucket: 'demo', key: `${dir}/nope.txt` },
        { op: 'delete', bucket: 'demo', key: `${dir}/old.txt` },
      ],
    }])
    expectAcked(outcome)
    expect(h.dlq).toEqual([])
    expect(h.replies).toHaveLength(1)
    const reply = h.replies[0]!
    expect(reply.options).toEqual({ contentType: 'json' })
    expect(BatchResponse.strict().parse(reply.body)).toEqual(reply.body)
    expect(reply.body).toEqual({
      results: [
        { id: '0', op: 'copy', status: 200 },
        { id: 'missing', op: 'stat', status: 404, error: expect.objectContaining({ code: 'NoSuchKey' }) },
        { id: '2', op: 'delete', status: 200 },
      ],
      summary: { total: 3, succeeded: 2, failed: 1 },
      requestId: dir,
    })
    expect(await (await env.BACKUP_BUCKET.get(`${dir}/a.txt`))?.text()).toBe('hello')
    expect(await env.DEMO_BUCKET.head(`${dir}/old.txt`)).toBeNull()
    expect(logLines(info)).toContainEqual(expect.objectContaining({
      level: 'info', msg: 'ops message done', queue: QUEUE, messageId: outcome.ids[0], requestId: dir, tenant: 'acme', account: 'local',
      total: 3, succeeded: 2, failed: 1, replayed: false, replyTo: 'OPS_REPLIES', replyParts: 1,
    }))
  })

  it('replays a redelivered message from its first result: the operations run once', async () => {
    const dir = unique('redeliver')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'first')
    const message = {
      tenant: 'acme', account: 'local', requestId: `req-${dir}`, replyTo: 'OPS_REPLIES',
      operations: [{ op: 'move', bucket: 'demo', key: `${dir}/a.txt`, destination: { bucket: 'demo', key: `${dir}/b.txt` } }],
    }
    const h = harness()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    expectAcked(await deliver(h, [message], 1, ['same-id']))
    expect(h.replies[0]!.body.results[0]).toMatchObject({ op: 'move', status: 200 })
    expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).toBeNull()

    // The source is back: a move run again would take it away (or fail on the existing destination).
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'second')
    expectAcked(await deliver(h, [message], 2, ['same-id']))
    // And the producer sending it once more under a new message id, with keys in another order.
    expectAcked(await deliver(h, [{ replyTo: 'OPS_REPLIES', operations: message.operations, account: 'local', requestId: message.requestId, tenant: 'acme' }]))
    expect(h.replies).toHaveLength(3)
    expect(h.replies[1]!.body).toEqual(h.replies[0]!.body)
    expect(h.replies[2]!.body).toEqual(h.replies[0]!.body)
    expect(await (await env.DEMO_BUCKET.get(`${dir}/a.txt`))?.text()).toBe('second')
    expect(await (await env.DEMO_BUCKET.get(`${dir}/b.txt`))?.text()).toBe('first')
    expect(h.dlq).toEqual([])
  })

  it('keeps requestIds apart per tenant, and dead-letters a requestId reused with other operations', async () => {
    const dir = unique('tenants')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'x')
    const operations = [{ op: 'stat', bucket: 'demo', key: `${dir}/a.txt` }]
    const h = harness()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    expectAcked(await deliver(h, [{ tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations }]))
    expectAcked(await deliver(h, [{ tenant: 'globex', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations }]))
    expect(h.replies.map((r) => r.body.summary)).toEqual([{ total: 1, succeeded: 1, failed: 0 }, { total: 1, succeeded: 1, failed: 0 }])

    const reused = { tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations: [{ op: 'delete', bucket: 'demo', key: `${dir}/a.txt` }] }
    const outcome = await deliver(h, [reused])
    expectAcked(outcome)
    expect(h.replies).toHaveLength(2)
    expect(h.dlq.map((d) => d.body)).toEqual([reused])
    expect(logLines(errors)).toContainEqual(expect.objectContaining({ msg: 'ops message dead-lettered', reason: 'IdempotencyConflict', messageId: outcome.ids[0], requestId: dir }))
    expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).not.toBeNull()
  })

  it('runs a message without requestId again when it is redelivered (no dedupe), and sends no reply without replyTo', async () => {
    const dir = unique('no-id')
    const h = harness()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const put = () => env.DEMO_BUCKET.put(`${dir}/a.txt`, 'x')
    const message = { tenant: 'acme', account: 'local', operations: [{ op: 'delete', bucket: 'demo', key: `${dir}/a.txt` }] }
    await put()
    expectAcked(await deliver(h, [message], 1, ['no-id-msg']))
    await put()
    expectAcked(await deliver(h, [message], 2, ['no-id-msg']))
    expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).toBeNull()
    expect(h.replies).toEqual([])
    expect(h.dlq).toEqual([])
  })

  it('names the queue message id as the requestId of a reply to a message without one', async () => {
    const h = harness()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const outcome = await deliver(h, [{ tenant: 'acme', account: 'local', replyTo: 'OPS_REPLIES', operations: [{ op: 'stat', bucket: 'demo', key: unique('x') }] }])
    expectAcked(outcome)
    expect(h.replies[0]!.body.requestId).toBe(outcome.ids[0])
  })

  it('reports an operation failing at the provider in the result, and does not retry the message', async () => {
    const bucket = unique('ops-faults')
    await seedObjectStoreBucket(S3_EMULATOR_URL, bucket, [{ key: 'ok.txt', body: 'x' }, { key: 'bad.txt', body: 'y' }])
    await addFault(S3_EMULATOR_URL, { bucket, kind: 'op', key: 'bad.txt', code: 500, times: -1 })
    const h = harness()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const outcome = await deliver(h, [{
        tenant: 'acme', account: 's3', requestId: bucket, replyTo: 'OPS_REPLIES',
        operations: [{ op: 'stat', bucket, key: 'ok.txt' }, { op: 'stat', bucket, key: 'bad.txt' }],
      }])
      expectAcked(outcome)
      expect(h.replies[0]!.body.results).toEqual([
        expect.objectContaining({ id: '0', status: 200 }),
        expect.objectContaining({ id: '1', status: 502, error: expect.objectContaining({ code: 'ProviderError' }) }),
      ])
      expect(h.replies[0]!.body.summary).toEqual({ total: 2, succeeded: 1, failed: 1 })
    } finally {
      await clearFaults(S3_EMULATOR_URL, bucket)
    }
  })

  it('retries with backoff when the idempotency object is unreachable, running nothing', async () => {
    const dir = unique('unreachable')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'x')
    const IDEMPOTENCY = { getByName: () => ({ begin: () => Promise.reject(new Error('Durable Object is overloaded')) }) }
    const h = harness({ IDEMPOTENCY })
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const message = { tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations: [{ op: 'delete', bucket: 'demo', key: `${dir}/a.txt` }] }
    const outcome = await deliver(h, [message], 4)
    expectRetried(outcome)
    expect(outcome.retryOptions).toEqual([[{ delaySeconds: retryDelaySeconds(4) }]])
    expect(retryDelaySeconds(4)).toBeGreaterThan(retryDelaySeconds(3))
    expect(logLines(errors)).toEqual([expect.objectContaining({ level: 'warn', msg: 'ops message failed; retrying', messageId: outcome.ids[0], requestId: dir, error: 'Durable Object is overloaded' })])
    expect(h.replies).toEqual([])
    expect(h.dlq).toEqual([])
    expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).not.toBeNull()
  })

  it('retries a message whose reply cannot be sent, and the retry replays the stored result', async () => {
    const dir = unique('reply-fails')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'first')
    const h = harness({}, 1)
    vi.spyOn(console, 'log').mockImplementation(() => {})
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const message = { tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations: [{ op: 'move', bucket: 'demo', key: `${dir}/a.txt`, destination: { bucket: 'backup', key: `${dir}/a.txt` } }] }
    expectRetried(await deliver(h, [message], 1, ['reply-fails']))
    expect(h.replies).toEqual([])
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'second')
    expectAcked(await deliver(h, [message], 2, ['reply-fails']))
    expect(h.replies.map((r) => r.body.results[0].status)).toEqual([200])
    expect(await (await env.DEMO_BUCKET.get(`${dir}/a.txt`))?.text()).toBe('second')
    expect(await (await env.BACKUP_BUCKET.get(`${dir}/a.txt`))?.text()).toBe('first')
  })

  it('still replies and acks when the result cannot be stored, since the operations have run', async () => {
    const dir = unique('unstored')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'x')
    const IDEMPOTENCY = {
      getByName: (name: string) => {
        const real = env.IDEMPOTENCY.getByName(name)
        return { begin: (hash: string) => real.begin(hash), abandon: (hash: string) => real.abandon(hash), complete: () => Promise.reject(new Error('storage lost')) }
      },
    }
    const h = harness({ IDEMPOTENCY })
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const message = { tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations: [{ op: 'delete', bucket: 'demo', key: `${dir}/a.txt` }] }
    expectAcked(await deliver(h, [message]))
    expect(h.replies.map((r) => r.body.summary)).toEqual([{ total: 1, succeeded: 1, failed: 0 }])
    expect(logLines(warnings)).toEqual([expect.objectContaining({ msg: 'ops result not stored for replay', requestId: dir, error: 'storage lost' })])
    expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).toBeNull()
  })

  it('retries later, without running it, a message whose requestId is still running elsewhere', async () => {
    const dir = unique('in-progress')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'x')
    const message = { tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations: [{ op: 'delete' as const, bucket: 'demo', key: `${dir}/a.txt` }] }
    const record = await dedupeRecord(message)
    const store = env.IDEMPOTENCY.getByName(record.name)
    expect(await store.begin(record.hash)).toEqual({ state: 'new' })
    const h = harness()
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const outcome = await deliver(h, [message], 1)
    expectRetried(outcome)
    expect(outcome.retryOptions[0]![0]!.delaySeconds).toBeGreaterThanOrEqual(30)
    expect(logLines(warnings)[0]).toMatchObject({ msg: 'ops message already running; retrying later', requestId: dir })
    expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).not.toBeNull()
    expect(h.replies).toEqual([])

    // The other run dies without an answer: the next delivery runs the message.
    await store.abandon(record.hash)
    vi.spyOn(console, 'log').mockImplementation(() => {})
    expectAcked(await deliver(h, [message], 2))
    expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).toBeNull()
    expect(h.replies).toHaveLength(1)
  })

  it('refuses a batch from a queue it does not consume', async () => {
    await expect(deliver(harness(), [{}], 1, undefined, 'batchgate-elsewhere')).rejects.toThrow('no consumer for queue "batchgate-elsewhere"')
  })
})
