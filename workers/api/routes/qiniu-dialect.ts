import { Hono, type Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Principal } from '../../../shared/auth/api-keys.ts'
import { qiniuBatchAnswer } from '../../../shared/dialects/qiniu-batch-answer.ts'
import { parseQiniuBatchForm } from '../../../shared/dialects/qiniu-batch-form.ts'
import { runWithMissingDeletes } from '../../../shared/dialects/qiniu-missing-deletes.ts'
import type { FieldError } from '../../../shared/schemas/issues.ts'
import { planBatch, runBatch } from '../../runtime/batch.ts'
import type { AppEnv, ErrorRenderer } from '../app-env.ts'
import { ProblemError, problems, type ProblemInit } from '../problem.ts'
import { methodNotAllowed } from './method-not-allowed.ts'

/**
 * The Qiniu batch dialect (api.md §6 "Dialects of the seeds"): `POST /qiniu/batch` and
 * `POST /qiniu/glb/batch` take Qiniu's own form body (`op=/stat/<EncodedEntryURI>&op=…`) and
 * answer in Qiniu's shape — 200 or 298 with `[{code, data}]` — on any account, so an application
 * written for Qiniu runs its batches on S3, OSS, R2, PDS or Qiniu unchanged. It authenticates like
 * /v1 (Bearer API key) and names the account in `X-Batchgate-Account`.
 */

export const ACCOUNT_HEADER = 'X-Batchgate-Account'
const FORM = 'application/x-www-form-urlencoded'

/** Qiniu's error shape `{"error": "..."}` with the HTTP status, for every error of these routes. */
export const qiniuErrors: ErrorRenderer = (c, problem, headers) =>
  c.body(JSON.stringify({ error: errorText(problem) }), problem.status as ContentfulStatusCode, {
    ...headers,
    'Content-Type': 'application/json',
    'X-Reqid': c.get('requestId') ?? '',
  })

function errorText(problem: ProblemInit): string {
  if (problem.errors && problem.errors.length > 0) return problem.errors.map((e) => `${e.path}: ${e.message}`).join('; ')
  return problem.detail ? `${problem.title}: ${problem.detail}` : problem.title
}

const badRequest = (message: string) => new ProblemError({ status: 400, code: 'BadRequest', title: message })

/** The account the call names, or the key's only account; several to choose from and none named is a 400. */
function accountOf(c: Context<AppEnv>, principal: Principal): string {
  const named = c.req.header(ACCOUNT_HEADER)?.trim()
  if (named) return named
  const [only, ...more] = principal.accounts
  if (only !== undefined && only !== '*' && more.length === 0) return only
  throw badRequest(`name the account in the ${ACCOUNT_HEADER} header: this API key may use several accounts`)
}

// The engine's paths name `operations[i]` and the body's `account`; a Qiniu caller sent `op=` fields and a header.
const dialectPaths = (errors: FieldError[]) =>
  errors.map((e) => ({ ...e, path: e.path === 'account' ? ACCOUNT_HEADER : e.path.replace(/^operations\[/, 'op[') }))

async function qiniuBatch(c: Context<AppEnv>) {
  const principal = c.get('principal')
  const account = accountOf(c, principal)
  const contentType = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (contentType !== FORM) throw badRequest(`Content-Type must be ${FORM}`)
  const form = parseQiniuBatchForm(await c.req.text())
  if (!form.ok) throw badRequest(form.message)

  const plan = planBatch(c.env, principal, account, form.operations)
  if (!plan.ok) {
    if (plan.reason === 'forbidden') throw problems.forbiddenAccount(account)
    if (plan.reason === 'invalid') throw problems.validation(dialectPaths(plan.errors))
    if (plan.reason === 'misconfigured') throw problems.accountMisconfigured(account, plan.errors)
    throw problems.configuration(plan.detail)
  }
  const { provider } = plan.account.adapter
  const results = await runWithMissingDeletes(provider, plan.operations, async (operations) => (await runBatch({ ...plan, operations }, c.get('requestId'))).body.results)
  const answer = qiniuBatchAnswer(provider, plan.operations, results)
  return c.body(JSON.stringify(answer.body), answer.status as ContentfulStatusCode, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'X-Reqid': c.get('requestId'),
  })
}

/** Mounted at `/qiniu` behind `dialectErrors(qiniuErrors)`, auth and the body limit. */
export const qiniuDialect = new Hono<AppEnv>()
  .post('/batch', qiniuBatch)
  .post('/glb/batch', qiniuBatch)
  .all('/batch', methodNotAllowed('POST'))
  .all('/glb/batch', methodNotAllowed('POST'))
