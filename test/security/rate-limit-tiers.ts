/**
 * Rate-limit tiers of the test run (vitest.config.ts): wrangler.toml's tiers with the default one
 * lifted out of reach (every test file's calls with the fixture keys count against one counter),
 * plus `tiny` (3 calls per 10 s) for the rate-limit tests, which use keys of their own.
 */
export const TINY_LIMIT = 3
export const TINY_PERIOD = 10

const STANDARD_LIMIT = 1_000_000

export const TEST_RATE_LIMIT_TIERS = {
  standard: { limit: STANDARD_LIMIT, period: 60 },
  bulk: { limit: 12000, period: 60 },
  tiny: { limit: TINY_LIMIT, period: TINY_PERIOD },
}

export const TEST_RATE_LIMITS: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }> = {
  RATE_LIMIT_STANDARD: { namespace_id: '1001', simple: { limit: STANDARD_LIMIT, period: 60 } },
  RATE_LIMIT_TINY: { namespace_id: '9001', simple: { limit: TINY_LIMIT, period: TINY_PERIOD } },
}
