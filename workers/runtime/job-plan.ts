import { mayUseAccount, type Principal } from '../../shared/auth/api-keys.ts'
import { taskOperation } from '../../shared/jobs/task-operation.ts'
import { formatPath, type FieldError } from '../../shared/schemas/issues.ts'
import type { CreateJobRequest } from '../../shared/schemas/job.ts'
import { accounts, resolveAccount, type ResolvedAccount } from './config.ts'

export type JobPlan =
  | { ok: true; account: ResolvedAccount }
  | { ok: false; reason: 'forbidden' | 'not-supported'; detail: string }
  | { ok: false; reason: 'invalid' | 'misconfigured'; errors: FieldError[] }
  | { ok: false; reason: 'configuration'; detail: string }

/**
 * Everything that can refuse a job before it exists: the key's accounts, the account, whether the
 * provider can do the operation at all (400 NotSupported, §6) and take its arguments, and whether
 * it can read a manifest object.
 */
export function planJob(env: Env, principal: Principal, body: CreateJobRequest): JobPlan {
  if (!mayUseAccount(principal, body.account)) return { ok: false, reason: 'forbidden', detail: body.account }
  const all = accounts(env)
  if (!all.ok) return { ok: false, reason: 'configuration', detail: all.detail }
  const resolved = resolveAccount(all.value, env, body.account)
  if (!resolved.ok)
    return resolved.reason === 'unknown'
      ? { ok: false, reason: 'invalid', errors: [{ path: 'account', message: `unknown account "${body.account}"` }] }
      : { ok: false, reason: 'misconfigured', errors: resolved.errors }
  const { adapter } = resolved.account
  if (!adapter.supports(body.operation.op))
    return { ok: false, reason: 'not-supported', detail: `${adapter.provider} cannot ${body.operation.op}` }
  // The operation's arguments are checked on a sample task: what the provider refuses for every row.
  const sample = taskOperation(body.operation, { row: 1, bucket: 'bucket', key: 'key' })
  const errors: FieldError[] = adapter
    .check(sample)
    .filter((i) => i.path[0] !== 'bucket' && i.path[0] !== 'key')
    .map((i) => ({ path: formatPath(['operation', ...(i.path[0] === 'destination' && i.path[1] === 'key' ? ['destination', 'prefix'] : i.path)]), message: i.message }))
  if (body.manifest?.location && !adapter.objects)
    errors.push({ path: 'manifest.location', message: `manifest objects cannot be read from ${adapter.provider} accounts yet; use an inline manifest` })
  if (body.manifestGenerator && !adapter.lister)
    errors.push({ path: 'manifestGenerator', message: `${adapter.provider} accounts cannot list objects yet; give a manifest` })
  return errors.length > 0 ? { ok: false, reason: 'invalid', errors } : { ok: true, account: resolved.account }
}
