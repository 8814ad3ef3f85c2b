import * as z from 'zod'
import { sha256Hex } from '../crypto/hash.ts'

/** One entry of `API_KEYS` (§2): keys are stored only as their SHA-256. */
export const ApiKeyEntry = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be the hex SHA-256 of the key').transform((s) => s.toLowerCase()),
  tenant: z.string().min(1).max(128),
  accounts: z.array(z.string().min(1)).min(1),
})
export const ApiKeys = z.array(ApiKeyEntry)
export type ApiKeyEntry = z.output<typeof ApiKeyEntry>

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
  return found ? { tenant: found.tenant, accounts: found.accounts } : undefined
}

export const mayUseAccount = (principal: Principal, account: string) =>
  principal.accounts.includes('*') || principal.accounts.includes(account)
