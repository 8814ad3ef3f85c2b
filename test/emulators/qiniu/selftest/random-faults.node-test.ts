/**
 * Fault rules in random mode (`rate` + `seed`, ../../faults.ts) on the Qiniu emulator: per-op 599,
 * 573 and 503 codes inside a 298 answer (Qiniu's "errors inside a 200 body"), whole-request 573
 * with Retry-After, 599 and 429, and drops with `apply`, each firing exactly on the draws the
 * rule's seed gives for requests sent one at a time. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { opPath } from '../qiniu-ops.ts'
import { addFault, listFaults, requestLog, seedBucket } from '../../control.ts'
import { faultRandom, firingDraws } from '../../faults.ts'
import { BASE, batch, newBucket, objectsByKey, useEmulator } from './harness.ts'

useEmulator()

const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${String(i).padStart(4, '0')}`)

describe('random op faults', () => {
  it('fail the ops of a 1,000-op batch whose draws hit with their codes inside a 298; the others are applied', async () => {
    const b = newBucket('rop')
    const ks = keys(1000)
    await seedBucket(BASE, b, ks.map((key) => ({ key })))
    await addFault(BASE, { bucket: b, kind: 'op', code: 599, rate: 0.03, seed: 101 })
    await addFault(BASE, { bucket: b, kind: 'op', code: 573, error: 'too many requests', rate: 0.03, seed: 102 })
    const r = await batch(ks.map((k) => opPath.delete(b, k)))
    assert.equal(r.status, 298)
    const d599 = faultRandom(101)
    const d573 = faultRandom(102)
    const expected = ks.map(() => (d599() < 0.03 ? 599 : d573() < 0.03 ? 573 : 200))
    assert.deepEqual(r.json.map((x: { code: number }) => x.code), expected)
    assert.ok(expected.includes(599) && expected.includes(573))
    assert.equal(r.json[expected.indexOf(573)].data.error, 'too many requests')
    assert.deepEqual([...(await objectsByKey(b)).keys()], ks.filter((_, i) => expected[i] !== 200))
    const rules = await listFaults(BASE, b)
    assert.deepEqual(rules.map((x) => [x.fired, x.draws, x.opsHit]), [
      [1, 1000, expected.filter((c) => c === 599).length],
      [1, 1000 - expected.filter((c) => c === 599).length, expected.filter((c) => c === 573).length],
    ])
  })
})

describe('random request faults', () => {
  it('answer 573 with Retry-After, 599 and 429, and drop connections after applying, on the draws of their seeds', async () => {
    const b = newBucket('rhttp')
    const ks = keys(80)
    await seedBucket(BASE, b, ks.map((key) => ({ key })))
    await addFault(BASE, { bucket: b, kind: 'http', status: 573, retryAfter: 1, rate: 0.1, seed: 1 })
    await addFault(BASE, { bucket: b, kind: 'http', status: 599, rate: 0.1, seed: 2 })
    await addFault(BASE, { bucket: b, kind: 'http', status: 429, rate: 0.1, seed: 3 })
    await addFault(BASE, { bucket: b, kind: 'drop', apply: true, rate: 0.1, seed: 4 })
    const seen: string[] = []
    for (const k of ks) {
      try {
        const r = await batch([opPath.delete(b, k)])
        if (r.status === 573) assert.equal(r.headers.get('retry-after'), '1')
        else assert.equal(r.headers.get('retry-after'), null)
        seen.push(String(r.status))
      } catch (e) {
        assert.ok(e instanceof TypeError, String(e))
        seen.push('dropped')
      }
    }
    const [a, c, d, e] = [faultRandom(1), faultRandom(2), faultRandom(3), faultRandom(4)]
    const expected: string[] = ks.map(() => (a() < 0.1 ? '573' : c() < 0.1 ? '599' : d() < 0.1 ? '429' : e() < 0.1 ? 'dropped' : '200'))
    assert.deepEqual(seen, expected)
    assert.ok(['573', '599', '429', 'dropped', '200'].every((s) => seen.includes(s)), seen.join(','))
    // Answered errors applied nothing; dropped requests were applied before the drop.
    assert.deepEqual([...(await objectsByKey(b)).keys()], ks.filter((_, i) => ['573', '599', '429'].includes(seen[i]!)))
    const log = await requestLog(BASE, b)
    assert.deepEqual(log.map((x) => (x.httpStatus === 0 ? 'dropped' : String(x.httpStatus))), seen)
    assert.deepEqual((await listFaults(BASE, b)).map((x) => x.fired), ['573', '599', '429', 'dropped'].map((s) => seen.filter((x) => x === s).length))
  })

  it('draw the same sequence again for the same seed', async () => {
    const run = async () => {
      const b = newBucket('rseed')
      await seedBucket(BASE, b, [])
      await addFault(BASE, { bucket: b, kind: 'http', status: 599, rate: 0.3, seed: 777 })
      const out: number[] = []
      for (let i = 0; i < 30; i++) out.push((await batch([opPath.stat(b, 'x')])).status)
      return out
    }
    const first = await run()
    assert.deepEqual(await run(), first)
    assert.deepEqual(first.map((s, i) => (s === 599 ? i + 1 : 0)).filter(Boolean), firingDraws(777, 0.3, 30))
  })
})
