/**
 * Fault rules in random mode (`rate` + `seed`, ../../faults.ts) on the PDS emulator: child
 * responses with 5xx and 429 statuses inside the 200 answer of /v2/batch, whole-request 429 with
 * Retry-After and 503, each firing exactly on the draws the rule's seed gives for requests sent
 * one at a time. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addFault, listFaults, seedDrive } from '../../control.ts'
import { faultRandom } from '../../faults.ts'
import { BASE, batch, byId, filesById, newDrive, statuses, sub, useEmulator } from './harness.ts'

useEmulator()

const ids = (n: number) => Array.from({ length: n }, (_, i) => `f${String(i).padStart(3, '0')}`)

async function driveWith(tag: string, files: string[]): Promise<string> {
  const d = newDrive(tag)
  await seedDrive(BASE, d, files.map((fileId) => ({ fileId, name: fileId, parentFileId: 'root' })))
  return d
}

describe('random op faults', () => {
  it('answer the children whose draws hit with 500, 503 and 429 sub-responses; the others run', async () => {
    const fs = ids(100)
    const d = await driveWith('rop', fs)
    await addFault(BASE, { bucket: d, kind: 'op', code: 500, rate: 0.05, seed: 31 })
    await addFault(BASE, { bucket: d, kind: 'op', code: 503, error: 'ServiceUnavailable', rate: 0.05, seed: 32 })
    await addFault(BASE, { bucket: d, kind: 'op', code: 429, error: 'TooManyRequests', rate: 0.05, seed: 33 })
    const r = await batch(fs.map((f) => sub.del(d, f)))
    assert.equal(r.status, 200)
    const [a, b, c] = [faultRandom(31), faultRandom(32), faultRandom(33)]
    const expected: number[] = fs.map(() => (a() < 0.05 ? 500 : b() < 0.05 ? 503 : c() < 0.05 ? 429 : 204))
    assert.deepEqual(statuses(r), expected)
    assert.ok([500, 503, 429].every((s) => expected.includes(s)), expected.join(','))
    const m = byId(r)
    assert.equal(m.get(String(expected.indexOf(429)))!.body.code, 'TooManyRequests')
    assert.equal(m.get(String(expected.indexOf(500)))!.body.code, 'InternalError')
    assert.deepEqual([...(await filesById(d)).keys()], fs.filter((_, i) => expected[i] !== 204))
    assert.deepEqual((await listFaults(BASE, d)).map((x) => x.opsHit), [500, 503, 429].map((s) => expected.filter((x) => x === s).length))
  })
})

describe('random request faults', () => {
  it('answer 429 with Retry-After and 503 on the draws of their seeds and apply nothing then', async () => {
    const fs = ids(60)
    const d = await driveWith('rhttp', fs)
    await addFault(BASE, { bucket: d, kind: 'http', status: 429, retryAfter: 1, rate: 0.15, seed: 41 })
    await addFault(BASE, { bucket: d, kind: 'http', status: 503, rate: 0.15, seed: 42 })
    const seen: number[] = []
    for (const f of fs) {
      const r = await batch([sub.del(d, f)])
      assert.equal(r.headers.get('retry-after'), r.status === 429 ? '1' : null)
      seen.push(r.status)
    }
    const [a, b] = [faultRandom(41), faultRandom(42)]
    assert.deepEqual(seen, fs.map(() => (a() < 0.15 ? 429 : b() < 0.15 ? 503 : 200)))
    assert.ok(seen.includes(429) && seen.includes(503))
    assert.deepEqual([...(await filesById(d)).keys()], fs.filter((_, i) => seen[i] !== 200))
    const rules = await listFaults(BASE, d)
    assert.deepEqual(rules.map((x) => [x.fired, x.draws]), [
      [seen.filter((s) => s === 429).length, 60],
      [seen.filter((s) => s === 503).length, 60 - seen.filter((s) => s === 429).length],
    ])
  })
})
