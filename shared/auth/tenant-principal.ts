import type { ApiKeyEntry, Principal } from './api-keys.ts'

/**
 * What a tenant may reach through any of its keys: the principal a trusted producer (a Worker
 * of the same Cloudflare account, which presents no key) acts as. `undefined` when no key
 * names the tenant, so a producer cannot invent one.
 */
export function tenantPrincipal(keys: readonly ApiKeyEntry[], tenant: string): Principal | undefined {
  const own = keys.filter((k) => k.tenant === tenant)
  if (own.length === 0) return undefined
  const accounts = own.some((k) => k.accounts.includes('*')) ? ['*'] : [...new Set(own.flatMap((k) => k.accounts))]
  return { tenant, accounts }
}
