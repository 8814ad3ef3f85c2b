import * as z from 'zod'
import { sha256Hex } from '../crypto/hash.ts'

const TIER_NAME = /^[a-z][a-z0-9_]{0,31}$/
const TIER_RULE = 'a lower-case letter, then up to 31 lower-case letters, digits or _'

/**
 * A key's rate-limit tier: `off`, or a tier listed in `RATE_LIMIT_TIERS`, each backed by the Workers
 * Rate Limiting binding `RATE_LIMIT_<TIER>` (wrangler.toml `[[ratelimits]]`). Keys that name none
 * are limited by `standard`: an unlimited key must be asked for.
 */
export const RateLimitTier = z.string().regex(TIER_NAME, `must be "off" or a tier name (${TIER_RULE})`)
export const DEFAULT_RATE_LIMIT_TIER = 'standard'

/** One entry of `API_KEYS` (§2): keys are stored only as their SHA-256. */
export const ApiKeyEntry = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be the hex SHA-256 of the key').transform((s) => s.toLowerCase()),
  tenant: z.string().min(1).max(128),
  accounts: z.array(z.string().min(1)).min(1),
  rateLimit: RateLimitTier.default(DEFAULT_RATE_LIMIT_TIER),
})
export const ApiKeys = z.array(ApiKeyEntry)
export type ApiKeyEntry = z.output<typeof ApiKeyEntry>

/**
 * `RATE_LIMIT_TIERS`: each tier a key may name, with the `limit` and `period` (seconds) of its
 * binding's `simple` setting. The binding answers only yes or no: `Retry-After` comes from the
 * period, and the limit tells when a key is close enough to it to wait for the binding's answer.
 */
export const RateLimitTiers = z.record(
  z.string().regex(TIER_NAME, `must be a tier name (${TIER_RULE})`).refine((t) => t !== 'off', '"off" is not a tier: it means no limit'),
  z.strictObject({
    limit: z.number().int().min(1),
    period: z.union([z.literal(10), z.literal(60)], { error: "must be 10 or 60 (seconds), as the binding's simple.period" }),
  }),
)
export type RateLimitTiers = z.output<typeof RateLimitTiers>

/** The binding behind a tier: `standard` → `RATE_LIMIT_STANDARD`. */
export const rateLimitBinding = (tier: string) => `RATE_LIMIT_${tier.toUpperCase()}`

export interface Principal {
  tenant: string
  accounts: readonly string[]
}

/** Equal-length strings compared without an early exit, so timing does not leak the match. */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

/** The principal of a presented key, checking every entry so timing does not tell which matched. */
export async function authenticate(keys: readonly ApiKeyEntry[], presented: string): Promise<Principal | undefined> {
  const hash = await sha256Hex(presented)
  let found: ApiKeyEntry | undefined
  for (const entry of keys) if (constantTimeEqual(entry.sha256, hash) && !found) found = entry
  if (!found) return undefined
  const principal: Principal = { tenant: found.tenant, accounts: found.accounts }
  entries.set(principal, found)
  return principal
}

// The entry behind each principal `authenticate` made, kept beside it rather than in it: principals
// are stored (schedules keep their creator's), and the key's hash and tier belong to the request only.
const entries = new WeakMap<Principal, ApiKeyEntry>()

/** The `API_KEYS` entry a principal was authenticated with (undefined for principals made otherwise). */
export const keyEntryOf = (principal: Principal): ApiKeyEntry | undefined => entries.get(principal)

export const mayUseAccount = (principal: Principal, account: string) =>
  principal.accounts.includes('*') || principal.accounts.includes(account)
