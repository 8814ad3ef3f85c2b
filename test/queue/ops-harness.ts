import { env } from 'cloudflare:workers'
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { expect, vi } from 'vitest'
import worker from '../../workers/index.ts'

// Drives the `batchgate-ops` consumer message by message through the Worker's queue() handler.
// The reply queue and the DLQ are recorders (an env proxy), so a test sees exactly what the
// consumer sent; everything else — R2, the emulators, the idempotency objects — is real.

export const OPS_QUEUE = 'batchgate-ops'

export interface Sent {
  body: any
  options: QueueSendOptions | undefined
}

/** A queue binding that records what is sent, failing the first `fail` sends. */
export function recorder(fail = 0) {
  const sent: Sent[] = []
  let failures = fail
  const queue = {
    send: async (body: unknown, options?: QueueSendOptions) => {
      if (failures > 0) {
        failures--
        throw new Error('queue unavailable')
      }
      // What the queue would deliver: a copy, not the sender's object.
      sent.push({ body: structuredClone(body), options })
    },
    sendBatch: async () => {
      throw new Error('not expected: replies are sent one by one')
    },
  }
  return { sent, queue }
}

/** An env whose OPS_REPLIES and OPS_DLQ record what is sent; `overrides` replace further bindings. */
export function harness(overrides: Record<string, unknown> = {}, replyFailures = 0) {
  const replies = recorder(replyFailures)
  const dlq = recorder()
  const bindings: Record<string, unknown> = { OPS_REPLIES: replies.queue, OPS_DLQ: dlq.queue, ...overrides }
  const testEnv = new Proxy(env, { get: (target, p) => (typeof p === 'string' && p in bindings ? bindings[p] : Reflect.get(target, p)) })
  return { replies: replies.sent, dlq: dlq.sent, env: testEnv }
}
export type Harness = ReturnType<typeof harness>

let seq = 0
/** Delivers message bodies in one batch; returns their ids, the ack/retry outcome and the retry options. */
export async function deliver(h: Harness, bodies: unknown[], attempts = 1, ids?: string[], queue = OPS_QUEUE) {
  const messages = bodies.map((body, i) => ({ id: ids?.[i] ?? `ops-${seq++}`, timestamp: new Date(), attempts, body }))
  const batch = createMessageBatch(queue, messages)
  // getQueueResult() does not keep retry() options, so they are observed here.
  const retries = batch.messages.map((m) => vi.spyOn(m, 'retry'))
  const ctx = createExecutionContext()
  await worker.queue(batch, h.env, ctx)
  const result = await getQueueResult(batch, ctx)
  return { ids: messages.map((m) => m.id), result, retryOptions: retries.map((r) => r.mock.calls.map((c) => c[0])) }
}
export type Delivery = Awaited<ReturnType<typeof deliver>>

export function expectAcked({ ids, result }: Delivery) {
  expect([...result.explicitAcks].sort()).toEqual([...ids].sort())
  expect(result.retryMessages).toEqual([])
  expect(result.retryBatch.retry).toBe(false)
}

export function expectRetried({ ids, result }: Delivery) {
  expect(result.explicitAcks).toEqual([])
  expect(result.retryMessages).toEqual(ids.map((msgId) => ({ msgId })))
}

/** The JSON lines a console spy saw. */
export const logLines = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((c) => JSON.parse(String(c[0])))
