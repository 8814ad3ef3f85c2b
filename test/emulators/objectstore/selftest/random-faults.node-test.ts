/**
 * Fault rules in random mode (`rate` + `seed`, ../../faults.ts): the registry's draws are the
 * seeded PRNG's, so a run is replayable; rules without a rate behave as before; counters. Then on
 * the wire of both object-store dialects: per-key errors of a DeleteObjects, whole-request
 * throttling with Retry-After, inner errors, timeouts (delay) and dropped connections with
 * `apply`, each firing exactly on the draws `firingDraws` predicts for requests sent one at a
 * time. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addFault, listFaults, objectStoreRequestLog, seedObjectStoreBucket } from '../../control.ts'
import { ALL_FAULT_KINDS, FaultError, FaultRegistry, faultRandom, firingDraws } from '../../faults.ts'
import { deleteBody, deleteObjects, DIALECTS, newBucket, objectsByKey, send, useEmulators } from './harness.ts'

const one = new Set(['b'])
const registry = () => new FaultRegistry({ kinds: ALL_FAULT_KINDS, errorCodes: true })
/** The 1-based request numbers (of `n`) on which `take` reported a firing. */
const firings = (n: number, take: () => boolean) => Array.from({ length: n }, (_, i) => (take() ? i + 1 : 0)).filter((k) => k > 0)

describe('random fault rules in the registry', () => {
  it('validates rate and seed, lists the seed it chose, and defaults times to unlimited', () => {
    const r = registry()
    for (const [rule, message] of [
      [{ bucket: 'b', kind: 'http', status: 503, rate: 1.5 }, /"rate" must be a number from 0 to 1/],
      [{ bucket: 'b', kind: 'http', status: 503, rate: '0.1' }, /"rate"/],
      [{ bucket: 'b', kind: 'http', status: 503, seed: 7 }, /"seed" needs "rate"/],
      [{ bucket: 'b', kind: 'http', status: 503, rate: 0.1, seed: -1 }, /"seed" must be an integer/],
      [{ bucket: 'b', kind: 'http', status: 503, rate: 0.1, seed: 2 ** 32 }, /"seed" must be an integer/],
      [{ bucket: 'b', kind: 'http', status: 503, rate: 0.1, times: 0 }, /"times"/],
    ] as const)
      assert.throws(() => r.add(rule), (e: unknown) => e instanceof FaultError && message.test(e.message))
    const given = r.add({ bucket: 'b', kind: 'op', code: 500, rate: 0.25, seed: 42 })
    assert.deepEqual([given.rate, given.seed, given.times, given.fired, given.draws, given.opsHit], [0.25, 42, -1, 0, 0, 0])
    const chosen = r.add({ bucket: 'b', kind: 'drop', rate: 0.5, times: 3 })
    assert.ok(Number.isInteger(chosen.seed) && chosen.seed! >= 0 && chosen.seed! < 2 ** 32, 'a seed is chosen and listed')
    assert.equal(chosen.times, 3)
    const plain = r.add({ bucket: 'b', kind: 'http', status: 503 })
    assert.deepEqual([plain.rate, plain.seed, plain.draws, plain.times, plain.fired], [undefined, undefined, undefined, 1, 0], 'a rule without rate is as before')
  })

  it('fires on the draws its seed gives, the same for the same seed, near its rate over many requests', () => {
    const a = registry()
    const b = registry()
    a.add({ bucket: 'b', kind: 'http', status: 503, rate: 0.05, seed: 1234 })
    b.add({ bucket: 'b', kind: 'http', status: 503, rate: 0.05, seed: 1234 })
    const fa = firings(10_000, () => a.takeTerminal(one) !== undefined)
    const fb = firings(10_000, () => b.takeTerminal(one) !== undefined)
    assert.deepEqual(fa, fb, 'replayable')
    assert.deepEqual(fa, firingDraws(1234, 0.05, 10_000))
    // 10,000 draws at 5%: 500 expected, standard deviation 22.
    assert.ok(fa.length > 400 && fa.length < 600, `${fa.length} firings`)
    assert.deepEqual(a.list('b').map((r) => [r.fired, r.draws, r.times]), [[fa.length, 10_000, -1]])
    const c = registry()
    c.add({ bucket: 'b', kind: 'http', status: 503, rate: 0.05, seed: 1235 })
    assert.notDeepEqual(firings(10_000, () => c.takeTerminal(one) !== undefined), fa, 'another seed, other draws')
  })

  it('passes over a rule whose draw misses to the next rule of its stage; rate 0 only counts, rate 1 always fires', () => {
    const r = registry()
    r.add({ bucket: 'b', kind: 'delay', ms: 0, rate: 0 })
    r.add({ bucket: 'b', kind: 'delay', ms: 7, rate: 1 })
    r.add({ bucket: 'b', kind: 'http', status: 429, rate: 0.3, seed: 9 })
    r.add({ bucket: 'b', kind: 'drop', apply: true, rate: 1 })
    const kinds: string[] = []
    for (let i = 0; i < 50; i++) {
      assert.equal(r.takeDelay(one), 7)
      kinds.push(r.takeTerminal(one)!.kind)
    }
    const http = firingDraws(9, 0.3, 50)
    assert.deepEqual(kinds, Array.from({ length: 50 }, (_, i) => (http.includes(i + 1) ? 'http' : 'drop')))
    assert.deepEqual(r.list('b').map((x) => [x.kind, x.fired, x.draws]), [['delay', 0, 50], ['delay', 50, 50], ['http', http.length, 50], ['drop', 50 - http.length, 50 - http.length]])
    assert.equal(r.takeTerminal(new Set(['other'])), undefined, 'rules stay in their bucket')
  })

  it('op rules draw per op, fail only the ops that drew a hit, and count one firing per request', () => {
    const r = registry()
    r.add({ bucket: 'b', kind: 'op', code: 503, errorCode: 'SlowDown', rate: 0.1, seed: 77 })
    r.add({ bucket: 'b', kind: 'op', code: 500, rate: 0.1, seed: 78 })
    const ops = Array.from({ length: 1000 }, (_, i) => [{ bucket: 'b', key: `k${i}` }])
    const hits = r.takeOpFaults(ops)
    const first = firingDraws(77, 0.1, 1000)
    // The second rule draws only for the ops the first let through, in op order.
    const passed = ops.map((_, i) => i + 1).filter((k) => !first.includes(k))
    const second = firingDraws(78, 0.1, passed.length).map((k) => passed[k - 1]!)
    assert.deepEqual([...hits.keys()].sort((x, y) => x - y), [...first, ...second].sort((x, y) => x - y).map((k) => k - 1))
    for (const k of first) assert.deepEqual(hits.get(k - 1), { code: 503, errorCode: 'SlowDown' })
    for (const k of second) assert.deepEqual(hits.get(k - 1), { code: 500 })
    assert.deepEqual(r.list('b').map((x) => [x.fired, x.draws, x.opsHit]), [[1, 1000, first.length], [1, passed.length, second.length]])
  })

  it('a rate rule with times stops after that many firings and is removed', () => {
    const r = registry()
    r.add({ bucket: 'b', kind: 'garbage', rate: 0.5, seed: 3, times: 4 })
    const fired = firings(100, () => r.takeTerminal(one) !== undefined)
    assert.deepEqual(fired, firingDraws(3, 0.5, 100).slice(0, 4))
    assert.deepEqual(r.list('b'), [])
  })

  it('faultRandom is mulberry32: uniform in [0, 1) and fixed for a seed', () => {
    const next = faultRandom(0)
    const xs = Array.from({ length: 10_000 }, next)
    assert.ok(xs.every((x) => x >= 0 && x < 1))
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`)
    const again = faultRandom(0)
    assert.deepEqual(Array.from({ length: 5 }, again), xs.slice(0, 5))
  })
})

const emus = useEmulators()

for (const d of DIALECTS) {
  const emu = emus[d]
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${String(i).padStart(4, '0')}`)

  describe(`${d}: random faults on the wire`, () => {
    it('DeleteObjects of 1,000 keys: the keys whose draw hit answer per-key errors and stay, the rest are deleted', async () => {
      const b = newBucket(`${d}-rop`)
      const ks = keys(1000)
      await seedObjectStoreBucket(emu().url, b, ks.map((key) => ({ key })))
      await addFault(emu().url, { bucket: b, kind: 'op', code: 503, errorCode: 'SlowDown', rate: 0.05, seed: 2024 })
      const r = await deleteObjects(emu(), b, deleteBody(ks, true))
      assert.equal(r.status, 200)
      const expected = firingDraws(2024, 0.05, 1000).map((k) => ks[k - 1]!)
      assert.ok(expected.length > 20, 'the seed fires')
      assert.deepEqual(r.xml.DeleteResult.Error.map((e: { Key: string; Code: string }) => [e.Key, e.Code]), expected.map((k) => [k, 'SlowDown']))
      assert.deepEqual([...(await objectsByKey(emu(), b)).keys()], expected)
      const [rule] = await listFaults(emu().url, b)
      assert.deepEqual([rule!.fired, rule!.draws, rule!.opsHit], [1, 1000, expected.length])
    })

    it('throttles whole requests (503 SlowDown with Retry-After, 429) and answers inner errors on the draws of their seeds', async () => {
      const b = newBucket(`${d}-rhttp`)
      const ks = keys(60)
      await seedObjectStoreBucket(emu().url, b, ks.map((key) => ({ key })))
      await addFault(emu().url, { bucket: b, kind: 'http', status: 503, retryAfter: 1, rate: 0.2, seed: 11 })
      await addFault(emu().url, { bucket: b, kind: 'http', status: 429, errorCode: 'TooManyRequests', rate: 0.2, seed: 12 })
      await addFault(emu().url, { bucket: b, kind: 'inner-error', rate: 0.2, seed: 13 })
      const seen: string[] = []
      for (const k of ks) {
        const r = await deleteObjects(emu(), b, deleteBody([k]))
        if (r.status === 503) {
          assert.equal(r.headers['retry-after'], '1')
          assert.equal(r.xml.Error.Code, 'SlowDown')
          seen.push('503')
        } else if (r.status === 429) {
          assert.equal(r.xml.Error.Code, 'TooManyRequests')
          seen.push('429')
        } else {
          assert.equal(r.status, 200)
          seen.push(r.xml.Error ? `inner ${r.xml.Error.Code}` : 'ok')
        }
      }
      // Replay the draws: the 503 rule draws for every request, the 429 rule for those the 503
      // rule passed over, the inner-error rule for those neither fired on.
      const d503 = faultRandom(11)
      const d429 = faultRandom(12)
      const dInner = faultRandom(13)
      const expected: string[] = ks.map(() => (d503() < 0.2 ? '503' : d429() < 0.2 ? '429' : dInner() < 0.2 ? 'inner InternalError' : 'ok'))
      assert.deepEqual(seen, expected)
      assert.ok(['503', '429', 'inner InternalError', 'ok'].every((s) => seen.includes(s)), `every outcome present: ${seen.join(',')}`)
      const left = new Set((await objectsByKey(emu(), b)).keys())
      assert.deepEqual(ks.filter((_, i) => seen[i] !== 'ok'), [...left], 'only answered deletes were applied')
      const rules = await listFaults(emu().url, b)
      assert.deepEqual(rules.map((r) => r.fired), ['503', '429', 'inner InternalError'].map((s) => seen.filter((x) => x === s).length))
      assert.equal(rules[0]!.draws, ks.length, 'the first rule drew for every request')
    })

    it('times requests out (delay) and drops connections after applying them, on the draws of their seeds', async () => {
      const b = newBucket(`${d}-rdrop`)
      const ks = keys(40)
      await seedObjectStoreBucket(emu().url, b, ks.map((key) => ({ key })))
      await addFault(emu().url, { bucket: b, kind: 'delay', ms: 300, rate: 0.15, seed: 5 })
      await addFault(emu().url, { bucket: b, kind: 'drop', apply: true, rate: 0.25, seed: 6 })
      const outcome: string[] = []
      for (const k of ks) {
        const timeout = AbortSignal.timeout(150)
        const sent = deleteObjects(emu(), b, deleteBody([k]))
        const r = await Promise.race([
          sent.then((x) => `http ${x.status}`, () => 'dropped'),
          new Promise<string>((resolve) => timeout.addEventListener('abort', () => resolve('timeout'))),
        ])
        await sent.catch(() => {})
        outcome.push(r)
      }
      const dDelay = faultRandom(5)
      const dDrop = faultRandom(6)
      const draws = ks.map(() => ({ slow: dDelay() < 0.15, dropped: dDrop() < 0.25 }))
      assert.deepEqual(outcome, draws.map((x) => (x.slow ? 'timeout' : x.dropped ? 'dropped' : 'http 200')))
      assert.ok(outcome.includes('timeout') && outcome.includes('dropped'))
      assert.equal((await objectsByKey(emu(), b)).size, 0, 'a delayed request is applied after its wait, a dropped one before the drop')
      const log = await objectStoreRequestLog(emu().url, b)
      const count = (f: (x: { slow: boolean; dropped: boolean }) => boolean) => draws.filter(f).length
      assert.equal(log.filter((e) => e.fault === 'drop' && e.httpStatus === 0).length, count((x) => x.dropped), 'also a delayed request can be dropped')
      assert.equal(log.filter((e) => e.fault === 'delay' && e.httpStatus === 200).length, count((x) => x.slow && !x.dropped))
      const [delay, drop] = await listFaults(emu().url, b)
      assert.deepEqual([delay!.fired, delay!.draws], [count((x) => x.slow), ks.length])
      assert.deepEqual([drop!.fired, drop!.draws], [count((x) => x.dropped), ks.length], 'a delay does not end the request: the drop rule draws after it')
    })
  })
}
