/**
 * Fault rules for storage-provider emulators. Provider-agnostic: a rule is scoped to a bucket
 * (so parallel test files that share one emulator do not interfere) and the emulator decides
 * what an `http` status or an `op` code looks like on the wire.
 *
 * Rule kinds:
 * - `http`    answer the whole request with `status` (+ `Retry-After: retryAfter`, optional raw
 *             `body`); no op is applied. Object stores: `errorCode` names the default error
 *             document's <Code> (default SlowDown for 503, InternalError for 500, ...).
 * - `op`      inside a normal answer, the ops that touch `bucket` (and `key`, when given) get
 *             `code` (+ `error`) and are not applied; the other ops are applied. Object stores:
 *             a DeleteObjects key answers a per-key <Error> with <Code> `errorCode` (default
 *             InternalError) and <Message> `error`; any other request (one object) answers HTTP
 *             `code` with that error document.
 * - `inner-error` (object stores only) a DeleteObjects or CopyObject request answers HTTP 200
 *             whose body is an <Error> document (`errorCode`, default InternalError; `message`);
 *             nothing is applied. Other requests do not match the rule (it is not consumed).
 *             (Qiniu's and PDS's errors inside a 200 are `op` rules: per-op codes such as 599 in
 *             a 298 answer, 5xx/429 child responses of a /v2/batch.)
 * - `delay`   wait `ms` before handling the request (ops are applied after the wait, even if
 *             the client has gone away meanwhile).
 * - `drop`    destroy the connection without an answer; ops are applied first when `apply`.
 * - `garbage` answer HTTP 200 with a body that is not JSON (optional raw `body`); no op applied.
 *
 * Consumption: `times` (default 1; -1 = unlimited) is decremented once per REQUEST the rule
 * fires on. An `op` rule that matches several ops of one request fires once for that request
 * and affects all of those ops. A rule whose `times` reaches 0 is removed.
 *
 * Random mode (soak and fault-rate tests): a rule with `rate` (0..1) fires on a matching request
 * — for an `op` rule, on a matching op — only with that probability, drawn from the rule's own
 * PRNG seeded by `seed` (an unsigned 32-bit integer; a random one when absent, listed so a run
 * can be replayed). Its `times` defaults to -1 (unlimited). The k-th draw of a rule depends on
 * its seed only, so the same seed gives the same sequence of decisions; which request meets
 * which decision depends on the order requests arrive in (exactly reproducible when they come
 * one at a time). An `op` rule with `rate` draws once per matching op and fails only the ops
 * whose draw hit; the request counts once towards `times` and `fired` when any op was hit.
 * A rule without `rate` fires on every matching request, exactly as before.
 *
 * Counters, listed with every rule: `fired` = requests the rule fired on; `draws` (rules with
 * `rate`) = requests, or ops for `op` rules, it was drawn for; `opsHit` (`op` rules) = ops it
 * failed. A rule only draws when it is reached (see precedence), so the one `delay` rule of a
 * bucket draws for every request that reaches the fault stage — a count of the provider requests.
 *
 * Precedence within one request: the first matching `delay` rule fires first; then the first
 * matching (in insertion order) of `http` / `drop` / `garbage` ends the request; then (object
 * stores, DeleteObjects/CopyObject only) the first matching `inner-error`; otherwise every
 * matching `op` rule fires (for an op matched by several, the earliest rule wins; a rule that
 * ends up affecting no op is not consumed). "Matching" includes a rule's draw: a rule with `rate`
 * whose draw misses is passed over and the next rule of that stage is tried.
 */

export type FaultKind = 'http' | 'op' | 'delay' | 'drop' | 'garbage' | 'inner-error'

/** The kinds every emulator knows; `inner-error` only where a registry enables it. */
export const BASE_FAULT_KINDS: readonly FaultKind[] = ['http', 'op', 'delay', 'drop', 'garbage']
export const ALL_FAULT_KINDS: readonly FaultKind[] = [...BASE_FAULT_KINDS, 'inner-error']

interface FaultBase {
  bucket: string
  /** How many requests the rule fires on; default 1 (-1 with `rate`); -1 = unlimited. */
  times?: number
  /** Random mode: the probability (0..1) that the rule fires on a matching request (`op`: op). */
  rate?: number
  /** Random mode: the PRNG seed (0..2^32-1); default a random one, listed with the rule. */
  seed?: number
}
export interface HttpFault extends FaultBase {
  kind: 'http'
  status: number
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number
  /** Raw response body; default is the provider's error document. */
  body?: string
  /** Object stores: the default error document's <Code>. */
  errorCode?: string
}
export interface OpFault extends FaultBase {
  kind: 'op'
  /** Only ops touching this key (source or destination) of `bucket`; every op of the bucket when absent. */
  key?: string
  code: number
  error?: string
  /** Object stores: the provider error code (<Code>, e.g. AccessDenied); default per status. */
  errorCode?: string
}
export interface DelayFault extends FaultBase {
  kind: 'delay'
  ms: number
}
export interface DropFault extends FaultBase {
  kind: 'drop'
  /** Apply the ops before dropping the connection (the answer is lost). Default false. */
  apply?: boolean
}
export interface GarbageFault extends FaultBase {
  kind: 'garbage'
  /** Raw response body; default a truncated JSON document. */
  body?: string
}
export interface InnerErrorFault extends FaultBase {
  kind: 'inner-error'
  /** The inner <Error>'s <Code>; default InternalError. */
  errorCode?: string
  /** The inner <Error>'s <Message>; default per code. */
  message?: string
}
export type FaultRule = HttpFault | OpFault | DelayFault | DropFault | GarbageFault | InnerErrorFault

/** What a rule has done so far (see the module comment). */
export interface FaultCounters {
  /** Requests the rule fired on. */
  fired: number
  /** Rules with `rate`: requests (`op` rules: ops) it was drawn for. */
  draws?: number
  /** `op` rules: ops it failed. */
  opsHit?: number
}

/** A rule as stored and listed: with its id, the remaining count (-1 = unlimited) and its counters. */
export type StoredFault = FaultRule & { id: string; times: number } & FaultCounters

export type TerminalFault = HttpFault | DropFault | GarbageFault

/** An object a request touches. `key` is undefined for bucket-level targets. */
export interface FaultTarget {
  bucket: string
  key?: string
}

export class FaultError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)

function allowedKeys(o: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new FaultError(`unknown field "${k}" for fault kind "${String(o.kind)}"`)
  }
}

const ERROR_CODE_RE = /^[A-Za-z][A-Za-z0-9.]{0,63}$/

export interface FaultParseOptions {
  /** Accepted kinds; default BASE_FAULT_KINDS. */
  kinds?: readonly FaultKind[]
  /** Accept `errorCode` on http and op rules (object stores). Default false. */
  errorCodes?: boolean
}

/** Validates an untrusted rule (a JSON body). Throws FaultError with a readable message. */
export function parseFaultRule(input: unknown, opts: FaultParseOptions = {}): FaultRule & { times: number } {
  const kinds = opts.kinds ?? BASE_FAULT_KINDS
  if (!isObj(input)) throw new FaultError('fault rule must be a JSON object')
  const { bucket, kind } = input
  if (typeof bucket !== 'string' || bucket === '') throw new FaultError('fault rule needs a non-empty "bucket"')
  const { rate, seed } = input
  if (rate !== undefined && (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1)) throw new FaultError('"rate" must be a number from 0 to 1')
  if (seed !== undefined) {
    if (rate === undefined) throw new FaultError('"seed" needs "rate" (it seeds the random draws of a rule with a rate)')
    if (!isInt(seed) || seed < 0 || seed > 0xffffffff) throw new FaultError('"seed" must be an integer from 0 to 4294967295')
  }
  let times = rate === undefined ? 1 : -1
  if (input.times !== undefined) {
    if (!isInt(input.times) || (input.times < 1 && input.times !== -1)) {
      throw new FaultError('"times" must be a positive integer, or -1 for unlimited')
    }
    times = input.times
  }
  if (typeof kind !== 'string' || !(kinds as readonly string[]).includes(kind)) {
    throw new FaultError(`"kind" must be one of ${kinds.join(', ')}`)
  }
  const rule = parseKind(input, kind as FaultKind, bucket, times, opts)
  if (typeof rate === 'number') {
    rule.rate = rate
    rule.seed = typeof seed === 'number' ? seed : Math.floor(Math.random() * 0x100000000)
  }
  return rule
}

function parseKind(input: Record<string, unknown>, kind: FaultKind, bucket: string, times: number, opts: FaultParseOptions): FaultRule & { times: number } {
  const common = ['bucket', 'kind', 'times', 'rate', 'seed']
  const codeField = opts.errorCodes ? ['errorCode'] : []
  const checkErrorCode = (v: unknown): void => {
    if (v !== undefined && (typeof v !== 'string' || !ERROR_CODE_RE.test(v))) throw new FaultError('"errorCode" must be a provider error code such as "InternalError"')
  }
  switch (kind) {
    case 'http': {
      allowedKeys(input, [...common, 'status', 'retryAfter', 'body', ...codeField])
      checkErrorCode(input.errorCode)
      if (!isInt(input.status) || input.status < 200 || input.status > 999) throw new FaultError('http fault needs an integer "status" (200..999)')
      if (input.retryAfter !== undefined && (!isInt(input.retryAfter) || input.retryAfter < 0)) throw new FaultError('"retryAfter" must be a non-negative integer (seconds)')
      if (input.body !== undefined && typeof input.body !== 'string') throw new FaultError('"body" must be a string')
      const r: HttpFault & { times: number } = { kind: 'http', bucket, times, status: input.status }
      if (input.retryAfter !== undefined) r.retryAfter = input.retryAfter
      if (input.body !== undefined) r.body = input.body
      if (input.errorCode !== undefined) r.errorCode = input.errorCode as string
      return r
    }
    case 'op': {
      allowedKeys(input, [...common, 'key', 'code', 'error', ...codeField])
      checkErrorCode(input.errorCode)
      if (!isInt(input.code) || input.code < 100 || input.code > 999) throw new FaultError('op fault needs an integer "code" (100..999)')
      if (input.key !== undefined && typeof input.key !== 'string') throw new FaultError('"key" must be a string')
      if (input.error !== undefined && typeof input.error !== 'string') throw new FaultError('"error" must be a string')
      const r: OpFault & { times: number } = { kind: 'op', bucket, times, code: input.code }
      if (input.key !== undefined) r.key = input.key
      if (input.error !== undefined) r.error = input.error
      if (input.errorCode !== undefined) r.errorCode = input.errorCode as string
      return r
    }
    case 'delay': {
      allowedKeys(input, [...common, 'ms'])
      if (!isInt(input.ms) || input.ms < 0 || input.ms > 600_000) throw new FaultError('delay fault needs an integer "ms" (0..600000)')
      return { kind: 'delay', bucket, times, ms: input.ms }
    }
    case 'drop': {
      allowedKeys(input, [...common, 'apply'])
      if (input.apply !== undefined && typeof input.apply !== 'boolean') throw new FaultError('"apply" must be a boolean')
      return { kind: 'drop', bucket, times, apply: input.apply === true }
    }
    case 'garbage': {
      allowedKeys(input, [...common, 'body'])
      if (input.body !== undefined && typeof input.body !== 'string') throw new FaultError('"body" must be a string')
      const r: GarbageFault & { times: number } = { kind: 'garbage', bucket, times }
      if (input.body !== undefined) r.body = input.body
      return r
    }
    case 'inner-error': {
      allowedKeys(input, [...common, 'errorCode', 'message'])
      checkErrorCode(input.errorCode)
      if (input.message !== undefined && typeof input.message !== 'string') throw new FaultError('"message" must be a string')
      const r: InnerErrorFault & { times: number } = { kind: 'inner-error', bucket, times }
      if (input.errorCode !== undefined) r.errorCode = input.errorCode as string
      if (input.message !== undefined) r.message = input.message
      return r
    }
  }
}

export interface RequestFaults {
  /** Milliseconds to wait before anything else (0 = none). */
  delayMs: number
  /** A rule that ends the request instead of a normal answer. */
  terminal?: TerminalFault
}

export interface OpFaultHit {
  code: number
  error?: string
  errorCode?: string
}

/**
 * The PRNG of rules with a `rate`: mulberry32, small and fast, good enough for fault injection,
 * and the same numbers for the same seed everywhere (tests precompute a rule's draws with it).
 */
export function faultRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The 1-based draws among the first `n` of a rule with this seed and rate that fire. */
export function firingDraws(seed: number, rate: number, n: number): number[] {
  const next = faultRandom(seed)
  const out: number[] = []
  for (let k = 1; k <= n; k++) if (next() < rate) out.push(k)
  return out
}

export class FaultRegistry {
  private rules: StoredFault[] = []
  private nextId = 1
  private readonly parseOpts: FaultParseOptions
  /** The PRNG of each rule with a `rate`, by rule id (kept out of the listed rule). */
  private readonly random = new Map<string, () => number>()

  /** Default: the base kinds without `errorCode` (the Qiniu emulator's rules). */
  constructor(opts: FaultParseOptions = {}) {
    this.parseOpts = opts
  }

  add(input: unknown): StoredFault {
    const rule = parseFaultRule(input, this.parseOpts)
    const stored = { ...rule, id: `f${this.nextId++}`, fired: 0 } as StoredFault
    if (stored.rate !== undefined) {
      stored.draws = 0
      this.random.set(stored.id, faultRandom(stored.seed!))
    }
    if (stored.kind === 'op') stored.opsHit = 0
    this.rules.push(stored)
    return { ...stored }
  }

  /** Removes the rules of one bucket (all rules when bucket is undefined); returns how many. */
  clear(bucket?: string): number {
    const before = this.rules.length
    const keep = (r: StoredFault) => bucket !== undefined && r.bucket !== bucket
    for (const r of this.rules) if (!keep(r)) this.random.delete(r.id)
    this.rules = this.rules.filter(keep)
    return before - this.rules.length
  }

  list(bucket?: string): StoredFault[] {
    return this.rules.filter((r) => bucket === undefined || r.bucket === bucket).map((r) => ({ ...r }))
  }

  /** Whether a matching rule fires now: always without `rate`, else by its next draw. */
  private draw(rule: StoredFault): boolean {
    if (rule.rate === undefined) return true
    rule.draws = (rule.draws ?? 0) + 1
    return this.random.get(rule.id)!() < rule.rate
  }

  private consume(rule: StoredFault): void {
    rule.fired += 1
    if (rule.times === -1) return
    rule.times -= 1
    if (rule.times <= 0) {
      this.rules = this.rules.filter((r) => r !== rule)
      this.random.delete(rule.id)
    }
  }

  private static plain<T extends FaultRule>(rule: T & StoredFault): T {
    const { id: _id, times: _times, fired: _fired, draws: _draws, opsHit: _opsHit, rate: _rate, seed: _seed, ...plain } = rule
    return plain as unknown as T
  }

  /** The delay rule for a request touching `buckets` (consumed), if any. */
  takeDelay(buckets: ReadonlySet<string>): number {
    const rule = this.rules.find((r) => r.kind === 'delay' && buckets.has(r.bucket) && this.draw(r))
    if (!rule || rule.kind !== 'delay') return 0
    this.consume(rule)
    return rule.ms
  }

  /** The first http/drop/garbage rule for a request touching `buckets` (consumed), if any. */
  takeTerminal(buckets: ReadonlySet<string>): TerminalFault | undefined {
    const rule = this.rules.find((r) => (r.kind === 'http' || r.kind === 'drop' || r.kind === 'garbage') && buckets.has(r.bucket) && this.draw(r))
    if (!rule || (rule.kind !== 'http' && rule.kind !== 'drop' && rule.kind !== 'garbage')) return undefined
    this.consume(rule)
    return FaultRegistry.plain<TerminalFault>(rule)
  }

  /** The first inner-error rule for a request touching `buckets` (consumed), if any. */
  takeInnerError(buckets: ReadonlySet<string>): InnerErrorFault | undefined {
    const rule = this.rules.find((r) => r.kind === 'inner-error' && buckets.has(r.bucket) && this.draw(r))
    if (!rule || rule.kind !== 'inner-error') return undefined
    this.consume(rule)
    return FaultRegistry.plain<InnerErrorFault>(rule)
  }

  /** Both request-level decisions at once (delay first, then terminal). */
  takeRequestFaults(buckets: ReadonlySet<string>): RequestFaults {
    const delayMs = this.takeDelay(buckets)
    const terminal = this.takeTerminal(buckets)
    return terminal ? { delayMs, terminal } : { delayMs }
  }

  /**
   * Op-level rules: `ops[i]` lists what op i touches. Returns op index → the code to answer
   * instead of applying the op. Each rule that affects at least one op is consumed once.
   */
  takeOpFaults(ops: ReadonlyArray<ReadonlyArray<FaultTarget>>): Map<number, OpFaultHit> {
    const hits = new Map<number, OpFaultHit>()
    const fired = new Set<StoredFault>()
    const opRules = this.rules.filter((r): r is StoredFault & OpFault => r.kind === 'op')
    if (opRules.length === 0) return hits
    ops.forEach((targets, i) => {
      for (const rule of opRules) {
        const match = targets.some((t) => t.bucket === rule.bucket && (rule.key === undefined || t.key === rule.key))
        if (!match || !this.draw(rule)) continue
        const hit: OpFaultHit = { code: rule.code }
        if (rule.error !== undefined) hit.error = rule.error
        if (rule.errorCode !== undefined) hit.errorCode = rule.errorCode
        hits.set(i, hit)
        rule.opsHit = (rule.opsHit ?? 0) + 1
        fired.add(rule)
        break
      }
    })
    for (const rule of fired) this.consume(rule)
    return hits
  }
}
