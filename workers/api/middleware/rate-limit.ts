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

let limiterFailureLogged = false

/**
 * Per-API-key rate limiting (mounted after auth): each key's tier (`API_KEYS[].rateLimit`) is a
 * Workers Rate Limiting binding, counted by the key's SHA-256. Over the limit → 429 `RateLimited`
 * with `Retry-After`, rendered by the one `onError` (so the dialects answer in their own shape).
 * The binding is a counter local to the Cloudflare location, with no round trip to a central
 * store, which keeps its cost per request small (the bench measures it).
 */
export const rateLimit = () =>
  createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const entry = keyEntryOf(c.get('principal'))
    if (!entry || entry.rateLimit === 'off') return next()
    const tier = entry.rateLimit
    const all = tiers(c.env)
    if (!all.ok) throw problems.configuration(all.detail)
    const period = all.value[tier]
    // Names only the tier, never the key or its hash: the detail reaches the caller.
    if (period === undefined) throw problems.configuration(`an API key names rate-limit tier "${tier}", which RATE_LIMIT_TIERS does not list`)
    const binding = (c.env as unknown as Record<string, unknown>)[rateLimitBinding(tier)]
    if (!isLimiter(binding)) throw problems.configuration(`rate-limit tier "${tier}" has no [[ratelimits]] binding ${rateLimitBinding(tier)}`)
    let success = true
    try {
      ;({ success } = await binding.limit({ key: entry.sha256 }))
    } catch (err) {
      // The limiter guards capacity, not access: if it cannot answer, serve the request and say so once.
      if (!limiterFailureLogged) {
        limiterFailureLogged = true
        console.error(JSON.stringify({ level: 'error', msg: 'rate limiter failed; request served unlimited', requestId: c.get('requestId'), tier, error: (err as Error).name }))
      }
    }
    if (!success) {
      // Windows are aligned to the clock (period 10 or 60 s): the count resets at the next boundary.
      const retryAfter = Math.max(1, period - (Math.floor(Date.now() / 1000) % period))
      throw new ProblemError(
        { status: 429, code: 'RateLimited', title: 'Too many requests for this API key', detail: `rate-limit tier "${tier}": retry after ${retryAfter} s` },
        { 'Retry-After': String(retryAfter) },
      )
    }
    await next()
  })
