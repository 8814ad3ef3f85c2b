import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { keyEntryOf, rateLimitBinding, RateLimitTiers } from '../../../shared/auth/api-keys.ts'
import { parseWith } from '../../../shared/schemas/issues.ts'
import type { AppEnv } from '../app-env.ts'
import { ProblemError, problems } from '../problem.ts'

type Tiers = { ok: true; value: RateLimitTiers } | { ok: false; detail: string }

// Parsed once per isolate per value, as runtime/config.ts does for API_KEYS: vars change only on deploy.
const parsed = new Map<string, Tiers>()
function tiers(env: Env): Tiers {
  const raw = (env as { RATE_LIMIT_TIERS?: string }).RATE_LIMIT_TIERS ?? '{}'
  let tiers = parsed.get(raw)
  if (!tiers) {
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      json = undefined
    }
    const result = json === undefined ? undefined : parseWith(RateLimitTiers, json)
    tiers = !result
      ? { ok: false, detail: 'RATE_LIMIT_TIERS is not valid JSON' }
      : result.success
        ? { ok: true, value: result.data }
        : { ok: false, detail: `RATE_LIMIT_TIERS: ${result.errors.map((e) => `${e.path} ${e.message}`).join('; ')}` }
    parsed.set(raw, tiers)
  }
  return tiers
}

const isLimiter = (b: unknown): b is RateLimit => !!b && typeof (b as RateLimit).limit === 'function'

/** What this isolate knows of a key in the current window: its calls here, and whether it was refused. */
interface Window {
  index: number
  calls: number
  denied: boolean
}
const windows = new Map<string, Window>()
const MAX_TRACKED_KEYS = 10_000

function windowOf(key: string, index: number): Window {
  let w = windows.get(key)
  if (!w || w.index !== index) {
    if (windows.size >= MAX_TRACKED_KEYS) windows.clear()
    w = { index, calls: 0, denied: false }
    windows.set(key, w)
  }
  return w
}

let limiterFailureLogged = false

/** The count finishes after the answer; an app called without an execution context (tests) just lets it run. */
function keepAlive(c: Context<AppEnv>, work: Promise<unknown>) {
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined
  try {
    ctx = c.executionCtx
  } catch {
    ctx = undefined
  }
  if (ctx) ctx.waitUntil(work)
  else void work
}

const tooMany = (tier: string, period: number, now: number) => {
  // Windows are aligned to the clock (period 10 or 60 s): the count resets at the next boundary.
  const retryAfter = Math.max(1, period - (Math.floor(now / 1000) % period))
  return new ProblemError(
    { status: 429, code: 'RateLimited', title: 'Too many requests for this API key', detail: `rate-limit tier "${tier}": retry after ${retryAfter} s` },
    { 'Retry-After': String(retryAfter) },
  )
}

/**
 * Per-API-key rate limiting (mounted after auth): each key's tier (`API_KEYS[].rateLimit`) is a
 * Workers Rate Limiting binding, counted by the key's SHA-256. Over the limit → 429 `RateLimited`
 * with `Retry-After`, rendered by the one `onError` (so the dialects answer in their own shape).
 *
 * The binding's answer is awaited only when it can matter: once this isolate has seen half the
 * tier's limit from the key in the current window. Below that the count is sent beside the request
 * (waitUntil) and a refusal marks the key refused here until the window ends, so later requests
 * are answered 429 at once, without a call. A key whose other requests run on other isolates can
 * so overshoot by the requests in flight here when it crosses the limit; ordinary traffic pays no
 * round trip to the limiter (which Miniflare runs as a Durable Object call).
 */
export const rateLimit = () =>
  createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const entry = keyEntryOf(c.get('principal'))
    if (!entry || entry.rateLimit === 'off') return next()
    const tier = entry.rateLimit
    const all = tiers(c.env)
    if (!all.ok) throw problems.configuration(all.detail)
    const setting = all.value[tier]
    // Names only the tier, never the key or its hash: the detail reaches the caller.
    if (setting === undefined) throw problems.configuration(`an API key names rate-limit tier "${tier}", which RATE_LIMIT_TIERS does not list`)
    const binding = (c.env as unknown as Record<string, unknown>)[rateLimitBinding(tier)]
    if (!isLimiter(binding)) throw problems.configuration(`rate-limit tier "${tier}" has no [[ratelimits]] binding ${rateLimitBinding(tier)}`)

    const now = Date.now()
    const window = windowOf(entry.sha256, Math.floor(now / (setting.period * 1000)))
    if (window.denied) throw tooMany(tier, setting.period, now)
    window.calls++
    const verdict = (async () => binding.limit({ key: entry.sha256 }))().then(
      ({ success }) => {
        if (!success) window.denied = true
        return success
      },
      (err: unknown) => {
        // The limiter guards capacity, not access: if it cannot answer, serve the request and say so once.
        if (!limiterFailureLogged) {
          limiterFailureLogged = true
          console.error(JSON.stringify({ level: 'error', msg: 'rate limiter failed; request served unlimited', requestId: c.get('requestId'), tier, error: (err as Error).name }))
        }
        return true
      },
    )
    if (window.calls * 2 > setting.limit) {
      if (!(await verdict)) throw tooMany(tier, setting.period, Date.now())
    } else keepAlive(c, verdict)
    await next()
  })
