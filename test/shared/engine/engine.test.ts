import { describe, expect, it } from 'vitest'
import { executeOperations, type EngineOptions } from '../../../shared/engine/engine.ts'
import { backoffMs, parseRetryAfter } from '../../../shared/engine/retry.ts'
import type { IndexedOperation, Outcome, PlannedCall, ProviderAdapter } from '../../../shared/engine/types.ts'
import type { Operation } from '../../../shared/schemas/operation.ts'

const stat = (key: string): Operation => ({ op: 'stat', bucket: 'b', key })

/** A fake provider: `answer(op, attempt)` decides each outcome; every call is recorded. */
function fakeAdapter(answer: (o: IndexedOperation) => Outcome | Promise<Outcome>, batchSize = 2) {
  const calls: { keys: string[]; attempt: number }[] = []
  let inFlight = 0
  let maxInFlight = 0
  const adapter: ProviderAdapter = {
    provider: 'fake',
    supports: (kind) => kind !== 'putAcl',
    check: () => [],
    plan(ops) {
      const out: PlannedCall[] = []
      for (let i = 0; i < ops.length; i += batchSize) {
        const chunk = ops.slice(i, i + batchSize)
        out.push({
          ops: chunk,
          async run() {
            calls.push({ keys: chunk.map((o) => o.op.key), attempt: chunk[0]!.attempt })
            inFlight++
            maxInFlight = Math.max(maxInFlight, inFlight)
            await new Promise((r) => setTimeout(r, 1))
            inFlight--
            return Promise.all(chunk.map(answer))
          },
        })
      }
      return out
    },
  }
  return { adapter, calls, maxInFlight: () => maxInFlight }
}

const sleeps: number[] = []
const options = (over: Partial<EngineOptions> = {}): EngineOptions => ({
  concurrency: 4,
  callTimeoutMs: 1000,
  retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 60_000 },
  sleep: async (ms) => void sleeps.push(ms),
  random: () => 0.5,
  ...over,
})
const ok: Outcome = { kind: 'done', status: 200 }
const throttled = (retryAfterMs?: number): Outcome => ({ kind: 'retry', error: { code: 'Throttled', message: 'slow down' }, ...(retryAfterMs ? { retryAfterMs } : {}) })

describe('executeOperations', () => {
  it('answers in request order with ids defaulting to the index', async () => {
    const { adapter } = fakeAdapter((o) => ({ kind: 'done', status: 200, data: { key: o.op.key } }))
    const results = await executeOperations(adapter, [stat('a'), { ...stat('b'), id: 'mine' }, stat('c')], options())
    expect(results.map((r) => [r.id, r.data?.key])).toEqual([['0', 'a'], ['mine', 'b'], ['2', 'c']])
  })

  it('re-sends only the operations that failed retriably, never those already applied', async () => {
    const { adapter, calls } = fakeAdapter((o) => (o.op.key === 'b' && o.attempt < 3 ? throttled() : ok))
    const results = await executeOperations(adapter, [stat('a'), stat('b'), stat('c'), stat('d')], options())
    expect(results.every((r) => r.status === 200)).toBe(true)
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b'], ['c', 'd'], ['b'], ['b']])
  })

  it('surfaces a failure that outlasts the retries with its unified code and the wait asked for', async () => {
    const { adapter, calls } = fakeAdapter(() => throttled(3000))
    const [result] = await executeOperations(adapter, [stat('a')], options({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, budgetMs: 60_000 } }))
    expect(calls).toHaveLength(3)
    expect(result).toMatchObject({ status: 429, error: { code: 'Throttled', retryAfterSeconds: 3 } })
  })

  it('waits at least what Retry-After asks, and backs off exponentially otherwise', async () => {
    sleeps.length = 0
    const { adapter } = fakeAdapter((o) => (o.attempt === 1 ? throttled(2500) : o.attempt === 2 ? throttled() : ok))
    await executeOperations(adapter, [stat('a')], options())
    expect(sleeps).toEqual([2500, backoffMs(2, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.5)])
  })

  it('stops retrying when the next wait would overrun the budget', async () => {
    const { adapter, calls } = fakeAdapter(() => throttled(30_000))
    const [result] = await executeOperations(adapter, [stat('a')], options({ retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 100, budgetMs: 5000 } }))
    expect(calls).toHaveLength(1)
    expect(result?.error?.code).toBe('Throttled')
  })

  it('answers NotSupported for kinds the provider lacks and still runs the rest', async () => {
    const { adapter, calls } = fakeAdapter(() => ok)
    const results = await executeOperations(adapter, [stat('a'), { op: 'putAcl', bucket: 'b', key: 'k', acl: 'private' }], options())
    expect(results.map((r) => r.status)).toEqual([200, 501])
    expect(results[1]?.error).toMatchObject({ code: 'NotSupported' })
    expect(calls).toHaveLength(1)
  })

  it('turns a call that throws into retriable network errors and one that hangs into Timeout', async () => {
    const thrown = fakeAdapter(() => {
      throw new TypeError('connection reset')
    })
    const [r1] = await executeOperations(thrown.adapter, [stat('a')], options({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 1000 } }))
    expect(r1).toMatchObject({ status: 502, error: { code: 'ProviderError', message: expect.stringContaining('connection reset') } })
    expect(thrown.calls).toHaveLength(2)

    const hanging: ProviderAdapter = {
      provider: 'slow',
      supports: () => true,
      check: () => [],
      plan: (ops) => [{ ops, run: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))) }],
    }
    const [r2] = await executeOperations(hanging, [stat('a')], options({ callTimeoutMs: 20, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 1000 } }))
    expect(r2).toMatchObject({ status: 504, error: { code: 'Timeout' } })
  })

  it('keeps at most `concurrency` calls in flight', async () => {
    const fake = fakeAdapter(() => ok, 1)
    await executeOperations(fake.adapter, Array.from({ length: 20 }, (_, i) => stat(`k${i}`)), options({ concurrency: 3 }))
    expect(fake.maxInFlight()).toBe(3)
  })
})

describe('retry helpers', () => {
  it('caps the backoff and never waits less than half a step', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 }
    expect(backoffMs(1, policy, () => 0)).toBe(50)
    expect(backoffMs(3, policy, () => 1)).toBe(400)
    expect(backoffMs(10, policy, () => 1)).toBe(1000)
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2024-01-01T00:00:00Z')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })
})
