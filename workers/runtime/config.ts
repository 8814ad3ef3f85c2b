import { ApiKeys, type ApiKeyEntry } from '../../shared/auth/api-keys.ts'
import { createAdapter, engineOptionsFor, lookupAccount, parseAccountsJson, type AccountLookup } from '../../shared/providers/accounts.ts'
import type { R2BucketLike } from '../../shared/providers/r2/r2-bucket.ts'
import type { EngineOptions } from '../../shared/engine/engine.ts'
import type { ProviderAdapter } from '../../shared/engine/types.ts'
import { parseWith } from '../../shared/schemas/issues.ts'
import { DEFAULT_CHUNKS_IN_FLIGHT } from '../durable-objects/account-scheduler.ts'

export type ConfigResult<T> = { ok: true; value: T } | { ok: false; detail: string }

// Parsed once per isolate per distinct binding value: config strings only change on deploy.
const memo = new Map<string, unknown>()
function once<T>(key: string, make: () => T): T {
  if (!memo.has(key)) memo.set(key, make())
  return memo.get(key) as T
}

/** `API_KEYS` parsed and validated; a broken value is a configuration error, never a crash. */
export function apiKeys(env: Env): ConfigResult<ApiKeyEntry[]> {
  const raw = (env as { API_KEYS?: string }).API_KEYS ?? '[]'
  return once(`keys:${raw}`, () => {
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      return { ok: false, detail: 'API_KEYS is not valid JSON' }
    }
    const parsed = parseWith(ApiKeys, json)
    return parsed.success
      ? { ok: true, value: parsed.data }
      : { ok: false, detail: `API_KEYS: ${parsed.errors.map((e) => `${e.path} ${e.message}`).join('; ')}` }
  })
}

export function accounts(env: Env): ConfigResult<Record<string, unknown>> {
  const raw = (env as { ACCOUNTS?: string }).ACCOUNTS
  return once(`accounts:${raw ?? ''}`, () => {
    try {
      return { ok: true, value: parseAccountsJson(raw) }
    } catch (err) {
      return { ok: false, detail: err instanceof SyntaxError ? 'ACCOUNTS is not valid JSON' : String((err as Error).message) }
    }
  })
}

function r2Binding(env: Env, name: string): R2BucketLike | undefined {
  const value = (env as unknown as Record<string, unknown>)[name]
  const looksLikeBucket = !!value && typeof (value as R2BucketLike).head === 'function' && typeof (value as R2BucketLike).put === 'function'
  return looksLikeBucket ? (value as R2BucketLike) : undefined
}

export interface ResolvedAccount {
  name: string
  adapter: ProviderAdapter
  engine: EngineOptions
  /** Job chunks in flight on this account across its jobs. */
  chunksInFlight: number
}

export type Resolution = { ok: true; account: ResolvedAccount } | Exclude<AccountLookup, { ok: true }>

// An account's settings validated once per parsed ACCOUNTS value (the memoised object of accounts()):
// the job object resolves its account for every chunk it hands out, the consumer for every chunk.
const lookups = new WeakMap<Record<string, unknown>, Map<string, AccountLookup>>()

/** The named account with its adapter and engine options, validated on first use. */
export function resolveAccount(all: Record<string, unknown>, env: Env, name: string): Resolution {
  let byName = lookups.get(all)
  if (!byName) lookups.set(all, (byName = new Map()))
  let found = byName.get(name)
  if (!found) byName.set(name, (found = lookupAccount(all, name)))
  if (!found.ok) return found
  const adapter = createAdapter(found.settings, { fetch: (input, init) => fetch(input, init), r2Binding: (b) => r2Binding(env, b) })
  return { ok: true, account: { name, adapter, engine: engineOptionsFor(found.settings), chunksInFlight: found.settings.chunksInFlight ?? DEFAULT_CHUNKS_IN_FLIGHT } }
}
