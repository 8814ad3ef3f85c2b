/**
 * The random fault mix of the fault-rate job tests (jobs-faults.test.ts) and of the soak
 * (scripts/soak.ts): for each provider emulator, every kind of fault its wire can carry, as
 * random-mode rules (test/emulators/faults.ts) on the data bucket. Plain data and arithmetic, so
 * that it runs in workerd (the tests) and in Node (the soak).
 *
 *   request-level  throttling (S3 503 SlowDown / Qiniu 573 / PDS 429, with Retry-After), 429,
 *                  5xx (Qiniu 599), a timeout (a delay past the client's call timeout; the
 *                  emulator still applies the ops after it), a dropped connection with and
 *                  without the ops applied, a 200 with an unreadable body, and (S3, OSS) an
 *                  <Error> document inside a 200;
 *   per op         errors inside a 200 answer: per-key <Error> of a DeleteObjects (S3, OSS),
 *                  per-op 599/573/503 codes inside a 298 (Qiniu), 500/503/429 sub-responses
 *                  (PDS).
 *
 * `rate` is the share of requests that meet a request-level fault, split among those kinds by
 * weight; `opRate` the share of ops that meet a per-op fault, split evenly among those. The kinds
 * that make a call wait — a timeout, a throttle with Retry-After — weigh a quarter of the others:
 * Miniflare's queue broker runs one consumer invocation at a time and an invocation ends with its
 * slowest chunk, so locally each such wait holds up every chunk behind it, where Cloudflare Queues
 * would run other invocations meanwhile.
 */
import { firingDraws, type FaultRule } from '../emulators/faults.ts'

export type MixProvider = 's3' | 'oss' | 'qiniu' | 'pds'

/** A rule of the mix without its bucket, rate and seed. */
type Shape = { [K in FaultRule['kind']]: Omit<Extract<FaultRule, { kind: K }>, 'bucket' | 'rate' | 'seed' | 'times'> }[FaultRule['kind']]

export interface MixEntry {
  /** How the soak and the tests name it, e.g. "503 SlowDown + Retry-After". */
  label: string
  per: 'request' | 'op'
  /** Its share of its group's rate, relative to the others'. */
  weight: number
  shape: Shape
}

/** The weight of a kind that makes the call wait (see the module comment). */
const SLOW = 0.25

/** Ops of one provider call: what the fewest calls of a delete job carry. */
export const OPS_PER_CALL: Record<MixProvider, number> = { s3: 1000, oss: 1000, qiniu: 1000, pds: 100 }

/** The mix of `provider`; a timeout is a delay of `timeoutMs` + 400 ms. */
export function faultMix(provider: MixProvider, timeoutMs: number): MixEntry[] {
  const req = (label: string, shape: Shape, weight = 1): MixEntry => ({ label, per: 'request', weight, shape })
  const op = (label: string, shape: Shape): MixEntry => ({ label, per: 'op', weight: 1, shape })
  const common = [
    req('timeout', { kind: 'delay', ms: timeoutMs + 400 }, SLOW),
    req('drop (applied)', { kind: 'drop', apply: true }),
    req('drop', { kind: 'drop', apply: false }),
    req('200 garbage', { kind: 'garbage' }),
  ]
  switch (provider) {
    case 's3':
    case 'oss':
      return [
        req(provider === 's3' ? '503 SlowDown + Retry-After' : '503 + Retry-After', { kind: 'http', status: 503, retryAfter: 1, ...(provider === 's3' ? { errorCode: 'SlowDown' } : {}) }, SLOW),
        req('429', { kind: 'http', status: 429 }),
        req('500 InternalError', { kind: 'http', status: 500 }),
        req('200 <Error> InternalError', { kind: 'inner-error' }),
        ...common,
        op('key <Error> SlowDown', { kind: 'op', code: 503, errorCode: 'SlowDown' }),
        op('key <Error> InternalError', { kind: 'op', code: 500, errorCode: 'InternalError' }),
      ]
    case 'qiniu':
      return [
        req('573 + Retry-After', { kind: 'http', status: 573, retryAfter: 1 }, SLOW),
        req('599', { kind: 'http', status: 599 }),
        req('429', { kind: 'http', status: 429 }),
        req('503', { kind: 'http', status: 503 }),
        ...common,
        op('op 599 in 298', { kind: 'op', code: 599 }),
        op('op 573 in 298', { kind: 'op', code: 573 }),
        op('op 503 in 298', { kind: 'op', code: 503 }),
      ]
    case 'pds':
      return [
        req('429 + Retry-After', { kind: 'http', status: 429, retryAfter: 1 }, SLOW),
        req('503', { kind: 'http', status: 503 }),
        req('500', { kind: 'http', status: 500 }),
        ...common,
        op('sub-response 500', { kind: 'op', code: 500 }),
        op('sub-response 503', { kind: 'op', code: 503, error: 'ServiceUnavailable' }),
        op('sub-response 429', { kind: 'op', code: 429, error: 'TooManyRequests' }),
      ]
  }
}

export interface MixOptions {
  rate: number
  opRate: number
  timeoutMs: number
  /** Seeds are searched from here (the soak's --seed). */
  seedBase: number
  /**
   * Each request-level rule gets the first seed from seedBase on whose draws it fires within
   * this many draws (0: seedBase + i as is), so that every kind shows even in a job of about a
   * hundred calls. It fires at its rate after that.
   */
  firesWithin: number
  /**
   * With firesWithin: a kind that makes the call wait (weight < 1) must not fire a second time
   * within this many draws either, so that a job of a few hundred calls meets it exactly once.
   */
  slowOnceIn?: number
}

export interface MixRule {
  label: string
  per: 'request' | 'op'
  rule: FaultRule
}

/** The mix as rules for `bucket` (in this order: the emulators try request-level rules in it). */
export function mixRules(bucket: string, provider: MixProvider, o: MixOptions): MixRule[] {
  const entries = faultMix(provider, o.timeoutMs)
  const weight = (per: MixEntry['per']) => entries.filter((e) => e.per === per).reduce((a, e) => a + e.weight, 0)
  const total = { request: weight('request'), op: weight('op') }
  let next = o.seedBase >>> 0
  return entries.map((e) => {
    const rate = ((e.per === 'request' ? o.rate : o.opRate) * e.weight) / total[e.per]
    const once = e.weight < 1 && o.slowOnceIn !== undefined ? o.slowOnceIn : 0
    const fits = (seed: number) => firingDraws(seed, rate, o.firesWithin).length > 0 && (once === 0 || firingDraws(seed, rate, once).length === 1)
    let seed = next++ >>> 0
    if (e.per === 'request' && o.firesWithin > 0 && rate > 0) while (!fits(seed)) seed = next++ >>> 0
    return { label: e.label, per: e.per, rule: { ...e.shape, bucket, rate, seed } as FaultRule }
  })
}

/**
 * Rows a delete job is expected to fail: an op fails when each of its `attempts` tries meets a
 * fault (a request-level one on its call, or a per-op one), q = 1 − (1 − rate)(1 − opRate).
 */
export function expectedFailedRows(keys: number, o: { rate: number; opRate: number; attempts: number }): number {
  const q = 1 - (1 - o.rate) * (1 - o.opRate)
  return keys * q ** o.attempts
}

/** The smallest k with P(Poisson(λ) > k) < p: failed rows beyond it would mean a real problem. */
export function poissonBound(lambda: number, p = 1e-4): number {
  let term = Math.exp(-lambda)
  let cdf = term
  let k = 0
  while (1 - cdf >= p) {
    k++
    term *= lambda / k
    cdf += term
  }
  return k
}
