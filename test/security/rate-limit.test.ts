import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import wranglerToml from '../../wrangler.toml?raw'
import { ApiKeyEntry } from '../../shared/auth/api-keys.ts'
import { sha256Hex } from '../../shared/crypto/hash.ts'
import { parseWith } from '../../shared/schemas/issues.ts'
import { createApp } from '../../workers/api/app.ts'
import { TINY_LIMIT, TINY_PERIOD } from './rate-limit-tiers.ts'

// Keys of these tests only, each new, so no other test's calls share their counter. The Worker is
// called with an env whose API_KEYS holds them (the binding RATE_LIMIT_TINY comes from vitest.config.ts).
const app = createApp()
const newKey = () => `bg_rl_${crypto.randomUUID()}`

async function keysEnv(entries: { key: string; rateLimit?: string; tenant?: string }[], extra: Record<string, unknown> = {}) {
  const apiKeys = await Promise.all(
    entries.map(async (e) => ({ sha256: await sha256Hex(e.key), tenant: e.tenant ?? 'ratelimited', accounts: ['*'], ...(e.rateLimit ? { rateLimit: e.rateLimit } : {}) })),
  )
  return { ...env, API_KEYS: JSON.stringify(apiKeys), ...extra } as Env
}

async function get(e: Env, key: string, path = '/v1/jobs?limit=1', init: RequestInit = {}) {
  const ctx = createExecutionContext()
  const res = await app.fetch(new Request(`https://batchgate.test${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, ...(init.headers ?? {}) } }), e, ctx)
  await waitOnExecutionContext(ctx)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

/** Waits for a fresh window if the current one is nearly over, so a test's calls all count in one. */
async function startOfWindow() {
  const left = TINY_PERIOD * 1000 - (Date.now() % (TINY_PERIOD * 1000))
  if (left < 4000) await new Promise((r) => setTimeout(r, left + 50))
}

describe('rate limiting per API key', () => {
  it('answers 429 RateLimited with Retry-After past the tier limit, leaves other keys alone, and lets the key in again when the window resets', async () => {
    const [limited, other, unlimited] = [newKey(), newKey(), newKey()]
    const e = await keysEnv([{ key: limited, rateLimit: 'tiny' }, { key: other, rateLimit: 'tiny' }, { key: unlimited, rateLimit: 'off' }])
    await startOfWindow()
    for (let i = 0; i < TINY_LIMIT; i++) expect((await get(e, limited)).status).toBe(200)
    const refused = await get(e, limited)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json')
    const retryAfter = Number(refused.headers.get('Retry-After'))
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= TINY_PERIOD, `Retry-After ${retryAfter}`).toBe(true)
    expect(JSON.parse(refused.text)).toMatchObject({ status: 429, code: 'RateLimited', title: 'Too many requests for this API key', requestId: expect.any(String) })
    expect(refused.text).not.toContain(limited)
    expect(refused.text).not.toContain(await sha256Hex(limited))
    // Every route behind the key counts, and a refused call runs nothing.
    expect((await get(e, limited, '/v1/batch', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })).status).toBe(429)

    // Another key of the same tier, and an unlimited key, are not affected.
    for (let i = 0; i < TINY_LIMIT; i++) expect((await get(e, other)).status).toBe(200)
    for (let i = 0; i < TINY_LIMIT + 3; i++) expect((await get(e, unlimited)).status).toBe(200)

    // The window named by Retry-After ends; the key is served again.
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100))
    expect((await get(e, limited)).status).toBe(200)
  })

  it('answers 429 in the dialects’ own shapes with Retry-After', async () => {
    const key = newKey()
    const e = await keysEnv([{ key, rateLimit: 'tiny' }])
    await startOfWindow()
    for (let i = 0; i < TINY_LIMIT; i++) await get(e, key)
    const oss = await get(e, key, '/oss/?batchJob', { headers: { 'X-Batchgate-Account': 'local' } })
    expect([oss.status, oss.headers.get('Content-Type')]).toEqual([429, 'application/xml'])
    expect(oss.text).toContain('<Code>RateLimited</Code>')
    expect(Number(oss.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1)
    const qiniu = await get(e, key, '/qiniu/batch', { method: 'POST', body: 'op=/stat/ZGVtbzph', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Batchgate-Account': 'local' } })
    expect(qiniu.status).toBe(429)
    expect(JSON.parse(qiniu.text)).toEqual({ error: expect.stringMatching(/^Too many requests for this API key/) })
    expect(Number(qiniu.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1)
  })

  it('limits a key that names no tier by the standard tier; far below the limit the count goes beside the request, and a refusal holds for the window without asking again', async () => {
    const key = newKey()
    const calls: unknown[] = []
    const spy = { limit: async (o: unknown) => (calls.push(o), { success: false }) }
    const e = await keysEnv([{ key }], { RATE_LIMIT_STANDARD: spy })
    await startOfWindow()
    // The test run's standard tier allows 1,000,000 calls a minute: this first call is not held up.
    expect((await get(e, key)).status).toBe(200)
    const refused = await get(e, key)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1)
    // Counted by the key's hash, never by the key itself; the refusal is remembered, not asked again.
    expect(calls).toEqual([{ key: await sha256Hex(key) }])
  })

  it('counts a call made without an execution context (app.request in tests) without failing it', async () => {
    const key = newKey()
    const calls: unknown[] = []
    const spy = { limit: async (o: unknown) => (calls.push(o), { success: true }) }
    const r = await app.request('https://batchgate.test/v1/jobs?limit=1', { headers: { Authorization: `Bearer ${key}` } }, await keysEnv([{ key }], { RATE_LIMIT_STANDARD: spy }))
    expect(r.status).toBe(200)
    await vi.waitFor(() => expect(calls).toHaveLength(1))
  })

  it('serves the request when the limiter itself fails', async () => {
    const key = newKey()
    const broken = { limit: async () => { throw new Error('limiter down') } }
    expect((await get(await keysEnv([{ key }], { RATE_LIMIT_STANDARD: broken }), key)).status).toBe(200)
  })

  it('rejects rate-limit configuration that cannot work with a clear 500 naming the setting', async () => {
    const key = newKey()
    const cases: [entries: Parameters<typeof keysEnv>[0], extra: Record<string, unknown>, detail: string][] = [
      [[{ key, rateLimit: 'gold' }], {}, 'an API key names rate-limit tier "gold", which RATE_LIMIT_TIERS does not list'],
      [[{ key, rateLimit: 'bulk' }], { RATE_LIMIT_BULK: undefined }, 'rate-limit tier "bulk" has no [[ratelimits]] binding RATE_LIMIT_BULK'],
      [[{ key }], { RATE_LIMIT_TIERS: '{standard:60' }, 'RATE_LIMIT_TIERS is not valid JSON'],
      [[{ key }], { RATE_LIMIT_TIERS: '{"standard":{"limit":10,"period":30}}' }, "RATE_LIMIT_TIERS: standard.period must be 10 or 60 (seconds), as the binding's simple.period"],
      [[{ key }], { RATE_LIMIT_TIERS: '{"standard":{"period":60}}' }, 'RATE_LIMIT_TIERS: standard.limit '],
      [[{ key }], { RATE_LIMIT_TIERS: '{"Std":{"limit":10,"period":60}}' }, 'RATE_LIMIT_TIERS: Std invalid key: must be a tier name ('],
      [[{ key, rateLimit: 'Gold!' }], {}, 'API_KEYS: [0].rateLimit must be "off" or a tier name ('],
    ]
    for (const [entries, extra, detail] of cases) {
      const r = await get(await keysEnv(entries, extra), key)
      expect(r.status, detail).toBe(500)
      const body = JSON.parse(r.text)
      expect(body.code, detail).toBe('ConfigurationError')
      expect(body.detail, detail).toContain(detail)
      expect(r.text).not.toContain(key)
    }
  })

  it('parses rateLimit in API_KEYS: "standard" when absent, "off" or a tier name', () => {
    const sha256 = 'a'.repeat(64)
    expect(parseWith(ApiKeyEntry, { sha256, tenant: 't', accounts: ['*'] })).toMatchObject({ success: true, data: { rateLimit: 'standard' } })
    expect(parseWith(ApiKeyEntry, { sha256, tenant: 't', accounts: ['*'], rateLimit: 'off' })).toMatchObject({ success: true, data: { rateLimit: 'off' } })
    expect(parseWith(ApiKeyEntry, { sha256, tenant: 't', accounts: ['*'], rateLimit: 7 })).toMatchObject({ success: false, errors: [{ path: 'rateLimit' }] })
  })

  it('declares in wrangler.toml a [[ratelimits]] binding for each tier of RATE_LIMIT_TIERS, with that limit and period', () => {
    const tiers = JSON.parse(/^RATE_LIMIT_TIERS = '(.*)'$/m.exec(wranglerToml)![1]!) as Record<string, { limit: number; period: number }>
    const blocks = [...wranglerToml.matchAll(/\[\[ratelimits\]\]\nname = "(\w+)"\nnamespace_id = "(\d+)"\nsimple = \{ limit = (\d+), period = (\d+) \}/g)]
    const declared = Object.fromEntries(blocks.map((m) => [m[1], { limit: Number(m[3]), period: Number(m[4]) }]))
    expect(Object.keys(declared).length).toBeGreaterThanOrEqual(2)
    expect(declared).toEqual(Object.fromEntries(Object.entries(tiers).map(([t, v]) => [`RATE_LIMIT_${t.toUpperCase()}`, v])))
    expect(new Set(blocks.map((m) => m[2])).size).toBe(blocks.length)
  })
})
