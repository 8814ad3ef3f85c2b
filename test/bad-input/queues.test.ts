import { describe, expect, it } from 'vitest'
import { OpsMessage } from '../../workers/queue/ops-message.ts'
import { parseWith } from '../../shared/schemas/issues.ts'
import { deliver, expectAcked, harness } from '../queue/ops-harness.ts'
import { unique } from '../helpers.ts'
import { batchBody, nulAllowed } from './examples.ts'
import { captureConsole, expectNoCrash, expectUntouched } from './harness.ts'
import { generateMutations, jsonSchemaOf, type Mutation } from './mutations.ts'

// The queues are routes too. `batchgate-ops` dead-letters a message that can never run — unchanged,
// acked, its reason and fields in one log line — and runs nothing of it; `batchgate-chunks` acks
// and logs a malformed chunk message. Neither retries bad input, and neither throws.

const lines = captureConsole()

/** The dead-letter log lines among the captured ones, by message id (lines are taken, not copied). */
function deadLetterLines(): Map<string, { reason: string; errors?: { path: string; message: string }[]; errorCount?: number }> {
  const out = new Map()
  for (const line of lines) {
    const m = /^error: (\{.*"msg":"ops message dead-lettered".*\})$/.exec(line)
    if (m) {
      const parsed = JSON.parse(m[1]!)
      out.set(parsed.messageId, parsed)
    }
  }
  return out
}

describe('bad input on the queues', () => {
  it('batchgate-ops: dead-letters every generated bad message unchanged, naming the field, acks it, and runs nothing', async () => {
    const bucket = unique('bad-ops')
    const base = { tenant: 'acme', requestId: unique('r'), replyTo: 'OPS_REPLIES', ...batchBody('qiniu', bucket) }
    expect(parseWith(OpsMessage, base).success).toBe(true)
    const mutations = generateMutations(jsonSchemaOf(OpsMessage), base, { nulAllowed })
    expect(mutations.length).toBeGreaterThan(700)

    const h = harness()
    const failures: string[] = []
    for (let i = 0; i < mutations.length; i += 100) {
      const slice = mutations.slice(i, i + 100)
      const outcome = await deliver(h, slice.map((m) => m.body))
      expectAcked(outcome)
      const logged = deadLetterLines()
      lines.splice(0, lines.length, ...lines.filter((l) => !l.includes('"msg":"ops message dead-lettered"')))
      slice.forEach((m: Mutation, j) => {
        const line = logged.get(outcome.ids[j]!)
        if (!line) return void failures.push(`${m.name}: not dead-lettered`)
        // A tenant no key names is refused as such; everything else names the field.
        if (m.path === 'tenant' && line.reason === 'UnknownTenant') return
        if (line.reason !== 'ValidationFailed') return void failures.push(`${m.name}: ${line.reason}`)
        const paths = (line.errors ?? []).map((e) => e.path)
        if (!paths.includes(m.path.slice(0, 200)) && (line.errorCount ?? 0) <= 20) failures.push(`${m.name}: named ${paths.join(', ')}`.toWellFormed())
      })
    }
    expect(failures, `${failures.length} of ${mutations.length}`).toEqual([])
    expect(h.dlq.map((d) => d.body)).toEqual(mutations.map((m) => m.body))
    expect(h.replies).toEqual([])
    await expectUntouched([bucket])
    expectNoCrash(lines)
  })

  it('batchgate-ops: dead-letters messages nested 1,000 levels deep (deeper than the test harness can clone) or holding ill-formed text, without throwing', async () => {
    const bucket = unique('bad-ops-deep')
    let deep: unknown = 'x'
    for (let i = 0; i < 1000; i++) deep = [deep]
    const valid = { tenant: 'acme', ...batchBody('qiniu', bucket) }
    const bodies = [
      deep,
      { ...valid, extra: deep },
      { ...valid, tenant: 'acme\ud800' },
      { ...valid, ['\udc00']: 1 },
      { ...valid, operations: Array.from({ length: 5000 }, () => 0) },
      new Uint8Array([0xff, 0xfe]),
      new Map([['tenant', 'acme']]),
    ]
    const h = harness()
    const outcome = await deliver(h, bodies)
    expectAcked(outcome)
    expect(h.dlq).toHaveLength(bodies.length)
    const logged = deadLetterLines()
    for (const id of outcome.ids) expect(logged.get(id)?.reason).toMatch(/ValidationFailed|UnknownTenant/)
    expect(logged.get(outcome.ids[2]!)?.errors).toEqual([{ path: 'tenant', message: 'must be valid UTF-8 (no unpaired surrogates)' }])
    await expectUntouched([bucket])
    lines.splice(0, lines.length, ...lines.filter((l) => !l.includes('"msg":"ops message dead-lettered"')))
    expectNoCrash(lines)
  })

  it('batchgate-chunks: acks and logs malformed chunk messages of every shape, never retrying or throwing', async () => {
    let deep: unknown = 1
    for (let i = 0; i < 1000; i++) deep = { a: deep }
    const id = crypto.randomUUID()
    const bodies = [
      deep,
      { jobId: id, chunkId: 1, leaseId: 'l', extra: deep },
      { jobId: `${id}\ud800`, chunkId: 1, leaseId: 'l' },
      { jobId: id, chunkId: 1e400, leaseId: 'l' },
      { jobId: id, chunkId: -1, leaseId: 'l' },
      { jobId: id, chunkId: 1, leaseId: '' },
      { jobId: 'x'.repeat(1_000_000), chunkId: 1, leaseId: 'l' },
      new Uint8Array([1, 2, 3]),
      undefined,
    ]
    const outcome = await deliver(harness(), bodies, 1, undefined, 'batchgate-chunks')
    expectAcked(outcome)
    const dropped = lines.filter((l) => l.includes('malformed chunk message dropped'))
    expect(dropped).toHaveLength(bodies.length)
    // A megabyte jobId is named, not logged whole.
    expect(Math.max(...dropped.map((l) => l.length))).toBeLessThan(10_000)
    lines.splice(0, lines.length, ...lines.filter((l) => !l.includes('malformed chunk message dropped')))
    expectNoCrash(lines)
  })
})
