import { mayUseAccount, type Principal } from '../../shared/auth/api-keys.ts'
import { executeOperations, summarise } from '../../shared/engine/engine.ts'
import type { OperationResult } from '../../shared/engine/types.ts'
import type { FieldError } from '../../shared/schemas/issues.ts'
import { formatPath } from '../../shared/schemas/issues.ts'
import type { Operation } from '../../shared/schemas/operation.ts'
import { accounts, resolveAccount, type ResolvedAccount } from './config.ts'

export type BatchPlan =
  | { ok: true; account: ResolvedAccount; operations: readonly Operation[] }
  | { ok: false; reason: 'forbidden' }
  | { ok: false; reason: 'invalid'; errors: FieldError[] }
  | { ok: false; reason: 'misconfigured'; errors: FieldError[] }
  | { ok: false; reason: 'configuration'; detail: string }

/**
 * Everything that can refuse a batch before it runs: the key's accounts, the account itself, and
 * the provider's own argument limits. Shared by the HTTP API and the queue-fed batches.
 */
export function planBatch(env: Env, principal: Principal, accountName: string, operations: readonly Operation[]): BatchPlan {
  if (!mayUseAccount(principal, accountName)) return { ok: false, reason: 'forbidden' }
  const all = accounts(env)
  if (!all.ok) return { ok: false, reason: 'configuration', detail: all.detail }
  const resolved = resolveAccount(all.value, env, accountName)
  if (!resolved.ok) {
    return resolved.reason === 'unknown'
      ? { ok: false, reason: 'invalid', errors: [{ path: 'account', message: `unknown account "${accountName}"` }] }
      : { ok: false, reason: 'misconfigured', errors: resolved.errors }
  }
  const { adapter } = resolved.account
  const errors: FieldError[] = []
  operations.forEach((op, i) => {
    if (!adapter.supports(op.op)) return
    for (const issue of adapter.check(op)) errors.push({ path: formatPath(['operations', i, ...issue.path]), message: issue.message })
  })
  if (errors.length > 0) return { ok: false, reason: 'invalid', errors }
  return { ok: true, account: resolved.account, operations }
}

export interface BatchAnswer {
  status: 200 | 207
  body: { results: OperationResult[]; summary: ReturnType<typeof summarise>; requestId: string }
}

/** Runs a planned batch through the shared engine and shapes the §5 answer. */
export async function runBatch(plan: Extract<BatchPlan, { ok: true }>, requestId: string): Promise<BatchAnswer> {
  const results = await executeOperations(plan.account.adapter, plan.operations, plan.account.engine)
  const summary = summarise(results)
  return { status: summary.failed > 0 ? 207 : 200, body: { results, summary, requestId } }
}
