import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { retryDelaySeconds } from '../../workers/queue/chunk-consumer.ts'
import { deliver, expectAcked, expectRetried, harness, logLines, OPS_QUEUE as QUEUE } from './ops-harness.ts'

// Messages of batchgate-ops that can never run: each goes to the DLQ unchanged, with its reason in
// one log line, and is acked — never retried, whatever its attempt.

afterEach(() => vi.restoreAllMocks())

describe('ops queue consumer: messages that can never run', () => {
  const op = { op: 'stat', bucket: 'demo', key: 'a.txt' }
  const valid = { tenant: 'acme', account: 'local', operations: [op] }
  const cases: { name: string; body: unknown; reason: string; errors?: { path: string; message: string }[] }[] = [
    { name: 'null', body: null, reason: 'ValidationFailed', errors: [{ path: 'body', message: 'must be an object' }] },
    { name: 'a string', body: 'delete everything', reason: 'ValidationFailed', errors: [{ path: 'body', message: 'must be an object' }] },
    { name: 'a number', body: 42, reason: 'ValidationFailed' },
    { name: 'an array', body: [valid], reason: 'ValidationFailed' },
    { name: 'an empty object', body: {}, reason: 'ValidationFailed', errors: [
      { path: 'account', message: 'required' }, { path: 'operations', message: 'required' }, { path: 'tenant', message: 'required' },
    ] },
    { name: 'no tenant', body: { account: 'local', operations: [op] }, reason: 'ValidationFailed', errors: [{ path: 'tenant', message: 'required' }] },
    { name: 'bad operations', body: { ...valid, operations: [op, { op: 'copy', bucket: 'demo', key: 'a' }, { op: 'explode', bucket: 'demo', key: 'a' }] }, reason: 'ValidationFailed', errors: [
      { path: 'operations[1].destination', message: 'required' }, { path: 'operations[2].op', message: expect.stringContaining('op must be one of') },
    ] },
    { name: 'an unknown field', body: { ...valid, accessKey: 'AKIA-not-logged' }, reason: 'ValidationFailed', errors: [{ path: 'accessKey', message: 'unknown field' }] },
    { name: 'a bad requestId', body: { ...valid, requestId: 'has space' }, reason: 'ValidationFailed', errors: [{ path: 'requestId', message: expect.any(String) }] },
    { name: 'over 1,000 operations', body: { ...valid, operations: Array.from({ length: 1001 }, (_, i) => ({ ...op, key: `k${i}` })) }, reason: 'ValidationFailed', errors: [{ path: 'operations', message: 'must hold at most 1000 operations' }] },
    { name: 'no operations', body: { ...valid, operations: [] }, reason: 'ValidationFailed', errors: [{ path: 'operations', message: 'must hold at least 1 operation' }] },
    { name: 'an unknown account', body: { ...valid, account: 'no-such-account' }, reason: 'ValidationFailed', errors: [{ path: 'account', message: 'unknown account "no-such-account"' }] },
    { name: 'an unknown tenant', body: { ...valid, tenant: 'initech' }, reason: 'UnknownTenant' },
    { name: 'a replyTo naming no binding', body: { ...valid, replyTo: 'NO_SUCH_QUEUE' }, reason: 'UnknownReplyQueue' },
    { name: 'a replyTo naming the chunk queue', body: { ...valid, replyTo: 'CHUNKS_QUEUE' }, reason: 'UnknownReplyQueue' },
    { name: 'a replyTo naming the DLQ', body: { ...valid, replyTo: 'OPS_DLQ' }, reason: 'UnknownReplyQueue' },
    { name: 'a replyTo naming a bucket', body: { ...valid, replyTo: 'DEMO_BUCKET' }, reason: 'UnknownReplyQueue' },
    { name: 'a replyTo that is not a binding name', body: { ...valid, replyTo: 'ops replies' }, reason: 'ValidationFailed', errors: [{ path: 'replyTo', message: expect.any(String) }] },
    { name: 'a misconfigured account', body: { ...valid, account: 'qiniu-broken' }, reason: 'AccountMisconfigured' },
  ]

  it('dead-letters every kind of malformed message unchanged, logs why, acks it and never retries it', async () => {
    const h = harness()
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const outcome = await deliver(h, cases.map((c) => c.body))
    expectAcked(outcome)
    expect(h.replies).toEqual([])
    expect(h.dlq.map((d) => d.body)).toEqual(cases.map((c) => c.body))
    expect(h.dlq.every((d) => d.options?.contentType === 'json')).toBe(true)
    const lines = errors.mock.calls.map((c) => String(c[0]))
    expect(lines).toHaveLength(cases.length)
    cases.forEach((c, i) => {
      const line = JSON.parse(lines[i]!)
      expect(line, c.name).toMatchObject({ level: 'error', msg: 'ops message dead-lettered', queue: QUEUE, messageId: outcome.ids[i], attempts: 1, reason: c.reason })
      if (c.errors) expect(line.errors, c.name).toEqual(c.errors)
    })
    // Ids only: no operation, no field value, nothing of the body beyond them.
    for (const line of lines) {
      expect(line).not.toContain('a.txt')
      expect(line).not.toContain('AKIA-not-logged')
      expect(line).not.toContain('delete everything')
    }
    expect(JSON.parse(lines[cases.findIndex((c) => c.name === 'bad operations')]!).errorCount).toBe(2)

    // On a last delivery: dead-lettered and acked all the same.
    const again = await deliver(h, cases.slice(0, 3).map((c) => c.body), 10)
    expectAcked(again)
    expect(h.dlq).toHaveLength(cases.length + 3)
  })

  it('caps the errors a dead-letter log line names', async () => {
    const h = harness()
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    expectAcked(await deliver(h, [{ ...valid, operations: Array.from({ length: 500 }, () => ({ op: 'stat', bucket: 'demo' })) }]))
    const line = logLines(errors)[0]
    expect(line.errors).toHaveLength(20)
    expect(line.errorCount).toBe(500)
  })

  it('holds a tenant to the accounts its keys may use: the union over its keys', async () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex')
    const API_KEYS = JSON.stringify([
      { sha256: sha('k1'), tenant: 'initech', accounts: ['local'] },
      { sha256: sha('k2'), tenant: 'initech', accounts: ['local-one-slot'] },
    ])
    const h = harness({ API_KEYS })
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const forbidden = { tenant: 'initech', account: 's3', operations: [op] }
    expectAcked(await deliver(h, [
      { tenant: 'initech', account: 'local', replyTo: 'OPS_REPLIES', operations: [op] },
      { tenant: 'initech', account: 'local-one-slot', replyTo: 'OPS_REPLIES', operations: [op] },
      forbidden,
      { ...forbidden, account: 'no-such-account' },
    ]))
    expect(h.replies).toHaveLength(2)
    expect(h.dlq.map((d) => d.body)).toEqual([forbidden, { ...forbidden, account: 'no-such-account' }])
    // Like the HTTP API: an account the tenant may not name is forbidden whether or not it exists.
    expect(logLines(errors).map((l) => l.reason)).toEqual(['AccountForbidden', 'AccountForbidden'])
  })

  it('dead-letters a message naming a reply queue that OPS_REPLY_QUEUES lists but nothing binds', async () => {
    const h = harness({ OPS_REPLY_QUEUES: 'OPS_REPLIES, OPS_REPLIES_GONE' })
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    expectAcked(await deliver(h, [{ ...valid, replyTo: 'OPS_REPLIES_GONE' }]))
    expect(h.dlq).toHaveLength(1)
    expect(logLines(errors)[0]).toMatchObject({ reason: 'ConfigurationError', detail: expect.stringContaining('OPS_REPLIES_GONE') })
  })

  it('dead-letters a body that is not JSON as it came (bytes stay bytes)', async () => {
    const h = harness()
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const bytes = new Uint8Array([1, 2, 3]).buffer
    expectAcked(await deliver(h, [bytes, new Map([['tenant', 'acme']])]))
    expect(h.dlq.map((d) => d.options?.contentType)).toEqual(['bytes', 'v8'])
  })

  it('retries a message whose dead-lettering fails, rather than losing it', async () => {
    const h = harness({ OPS_DLQ: { send: async () => Promise.reject(new Error('dlq unavailable')) } })
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const outcome = await deliver(h, [{ ...valid, tenant: 'initech' }], 2)
    expectRetried(outcome)
    expect(outcome.retryOptions).toEqual([[{ delaySeconds: retryDelaySeconds(2) }]])
    expect(logLines(errors)).toEqual([expect.objectContaining({ msg: 'ops message failed; retrying', messageId: outcome.ids[0], tenant: 'initech', error: 'dlq unavailable' })])
  })
})
