import { Hono } from 'hono'
import { canonicalJson } from '../../../shared/canonical-json.ts'
import { sha256Hex } from '../../../shared/crypto/hash.ts'
import { BatchRequest } from '../../../shared/schemas/batch.ts'
import { fastBatchRequest } from '../../../shared/schemas/batch-fast.ts'
import { planBatch, runBatch } from '../../runtime/batch.ts'
import type { AppEnv } from '../app-env.ts'
import { problems, ProblemError } from '../problem.ts'
import { validateJson } from '../validate.ts'
import { methodNotAllowed } from './method-not-allowed.ts'

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/

/** `POST /v1/batch` (§5): one unified batch, answered with one result per operation. */
export const batch = new Hono<AppEnv>()
  .post('/', validateJson(BatchRequest, fastBatchRequest), async (c) => {
    const { account, operations } = c.req.valid('json')
    const principal = c.get('principal')
    const key = c.req.header('Idempotency-Key')
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
      throw problems.validation([{ path: 'headers.Idempotency-Key', message: 'must be 1-64 visible ASCII characters' }])

    const plan = planBatch(c.env, principal, account, operations)
    if (!plan.ok) {
      if (plan.reason === 'forbidden') throw problems.forbiddenAccount(account)
      if (plan.reason === 'invalid') throw problems.validation(plan.errors)
      if (plan.reason === 'misconfigured') throw problems.accountMisconfigured(account, plan.errors)
      throw problems.configuration(plan.detail)
    }

    if (key === undefined) {
      const answer = await runBatch(plan, c.get('requestId'))
      return c.json(answer.body, answer.status)
    }

    // The key is scoped to the tenant; the hash covers the whole canonical request, so the same
    // key with another body is a conflict rather than a silent replay.
    const store = c.env.IDEMPOTENCY.getByName(JSON.stringify([principal.tenant, key]))
    const hash = await sha256Hex(canonicalJson({ route: 'POST /v1/batch', account, operations }))
    const begun = await store.begin(hash)
    if (begun.state === 'conflict')
      throw new ProblemError({ status: 409, code: 'IdempotencyConflict', title: 'This Idempotency-Key was used with a different request' })
    if (begun.state === 'in-progress')
      throw new ProblemError({ status: 409, code: 'RequestInProgress', title: 'A request with this Idempotency-Key is still running' })
    if (begun.state === 'replay')
      return c.body(begun.body, begun.status as 200 | 207, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' })

    try {
      const answer = await runBatch(plan, c.get('requestId'))
      const body = JSON.stringify(answer.body)
      await store.complete(hash, answer.status, body)
      return c.body(body, answer.status, { 'Content-Type': 'application/json' })
    } catch (err) {
      await store.abandon(hash)
      throw err
    }
  })
  .all('/', methodNotAllowed('POST'))
