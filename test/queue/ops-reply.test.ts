import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BatchAnswer } from '../../workers/runtime/batch.ts'
import { REPLY_MAX_BYTES, replyMessages } from '../../workers/queue/ops-reply.ts'
import { unique } from '../helpers.ts'
import { deliver, expectAcked, harness } from './ops-harness.ts'

afterEach(() => vi.restoreAllMocks())

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).byteLength

function body(n: number, pad = 0): BatchAnswer['body'] {
  const results = Array.from({ length: n }, (_, i) => ({ id: String(i), op: 'stat' as const, status: 200, data: { size: i, etag: 'é'.repeat(pad) } }))
  return { results, summary: { total: n, succeeded: n, failed: 0 }, requestId: 'r-1' }
}

describe('ops replies', () => {
  it('sends a body that fits as the plain §5 body', () => {
    const small = body(3)
    expect(replyMessages(small)).toEqual([small])
  })

  it('cuts a body over the limit into consecutive parts, each within the limit in UTF-8 bytes', () => {
    const big = body(200, 40)
    const parts = replyMessages(big, 3000)
    expect(parts.length).toBeGreaterThan(3)
    for (const p of parts) {
      expect(bytes(p)).toBeLessThanOrEqual(3000)
      expect(p.summary).toEqual(big.summary)
      expect(p.requestId).toBe('r-1')
    }
    expect(parts.map((p) => p.part!.index)).toEqual(parts.map((_, i) => i))
    expect(parts.every((p) => p.part!.count === parts.length)).toBe(true)
    expect(parts.map((p) => p.part!.offset)).toEqual(parts.map((_, i) => parts.slice(0, i).reduce((n, q) => n + q.results.length, 0)))
    expect(parts.flatMap((p) => p.results)).toEqual(big.results)
  })

  it('gives a single result larger than the limit a part of its own rather than looping', () => {
    const b = body(3)
    b.results[1]!.data = { etag: 'x'.repeat(5000) }
    expect(replyMessages(b, 1000).map((p) => p.results.map((r) => r.id))).toEqual([['0'], ['1'], ['2']])
  })

  it('replies to a 1,000-operation batch whose body exceeds the queue message limit in parts', async () => {
    const dir = unique('big-reply')
    const metadata = { note: 'n'.repeat(100) }
    const keys = Array.from({ length: 1000 }, (_, i) => `${dir}/${i}`)
    await Promise.all(keys.map((k) => env.DEMO_BUCKET.put(k, 'x', { customMetadata: metadata })))
    const h = harness()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    expectAcked(await deliver(h, [{ tenant: 'acme', account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations: keys.map((key) => ({ op: 'stat', bucket: 'demo', key })) }]))
    expect(h.replies.length).toBeGreaterThan(1)
    for (const r of h.replies) {
      expect(bytes(r.body)).toBeLessThanOrEqual(REPLY_MAX_BYTES)
      expect(r.body.summary).toEqual({ total: 1000, succeeded: 1000, failed: 0 })
    }
    const results = h.replies.flatMap((r) => r.body.results)
    expect(results.map((r) => r.id)).toEqual(keys.map((_, i) => String(i)))
    expect(results.every((r) => r.status === 200 && r.data.metadata.note === metadata.note)).toBe(true)
  })
})
