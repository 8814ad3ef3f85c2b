import { tenantPrincipal } from '../../shared/auth/tenant-principal.ts'
import { canonicalJson } from '../../shared/canonical-json.ts'
import { sha256Hex } from '../../shared/crypto/hash.ts'
import { parseWith } from '../../shared/schemas/issues.ts'
import { planBatch, runBatch, type BatchAnswer, type BatchPlan } from '../runtime/batch.ts'
import { apiKeys } from '../runtime/config.ts'
import { retryDelaySeconds } from './chunk-consumer.ts'
import { deadLetter, safeIds, type Rejection } from './ops-dead-letter.ts'
import { OpsMessage } from './ops-message.ts'
import { replyQueue, sendReply } from './ops-reply.ts'

type Accepted = { ok: true; msg: OpsMessage; plan: Extract<BatchPlan, { ok: true }>; reply?: Queue }

/** A message that may run: valid, for a known tenant, an account it may use, a bound reply queue. */
export function acceptOpsMessage(env: Env, body: unknown): Accepted | ({ ok: false } & Rejection) {
  const parsed = parseWith(OpsMessage, body)
  if (!parsed.success) return { ok: false, reason: 'ValidationFailed', errors: parsed.errors }
  const msg = parsed.data
  const keys = apiKeys(env)
  if (!keys.ok) return { ok: false, reason: 'ConfigurationError', detail: keys.detail }
  const principal = tenantPrincipal(keys.value, msg.tenant)
  if (!principal) return { ok: false, reason: 'UnknownTenant', detail: `no API key names tenant "${msg.tenant}"` }
  let reply: Queue | undefined
  if (msg.replyTo !== undefined) {
    const found = replyQueue(env, msg.replyTo)
    if (!found.ok) return { ok: false, reason: found.reason, detail: found.detail }
    reply = found.queue
  }
  const plan = planBatch(env, principal, msg.account, msg.operations)
  if (!plan.ok) {
    if (plan.reason === 'forbidden') return { ok: false, reason: 'AccountForbidden', detail: `tenant "${msg.tenant}" may not use account "${msg.account}"` }
    if (plan.reason === 'invalid') return { ok: false, reason: 'ValidationFailed', errors: plan.errors }
    if (plan.reason === 'misconfigured') return { ok: false, reason: 'AccountMisconfigured', detail: `account "${msg.account}"`, errors: plan.errors }
    return { ok: false, reason: 'ConfigurationError', detail: plan.detail }
  }
  return { ok: true, msg, plan, ...(reply ? { reply } : {}) }
}

/**
 * Where a message's dedupe record lives and what it must match. The hash covers what runs, not
 * where the answer goes: a resend naming another reply queue replays there.
 */
export async function dedupeRecord(msg: Pick<OpsMessage, 'tenant' | 'account' | 'operations'> & { requestId: string }) {
  return {
    name: JSON.stringify([msg.tenant, 'queue', msg.requestId]),
    hash: await sha256Hex(canonicalJson({ route: 'queue batchgate-ops', account: msg.account, operations: msg.operations })),
  }
}

type Run = { state: 'done'; body: BatchAnswer['body']; replayed: boolean } | { state: 'conflict' } | { state: 'in-progress' }

/**
 * Runs the batch, at most once per tenant + requestId for 24 hours: a redelivered message gets the
 * stored result back. The record lives in the IdempotencyStore of `Idempotency-Key`, under a name
 * of its own so a requestId and an HTTP key of the same spelling never meet.
 */
async function runOnce(env: Env, { msg, plan }: Accepted, requestId: string): Promise<Run> {
  if (msg.requestId === undefined) return { state: 'done', body: (await runBatch(plan, requestId)).body, replayed: false }
  const { name, hash } = await dedupeRecord({ ...msg, requestId: msg.requestId })
  const store = env.IDEMPOTENCY.getByName(name)
  const begun = await store.begin(hash)
  if (begun.state === 'conflict' || begun.state === 'in-progress') return { state: begun.state }
  if (begun.state === 'replay') return { state: 'done', body: JSON.parse(begun.body) as BatchAnswer['body'], replayed: true }
  let answer: BatchAnswer
  try {
    answer = await runBatch(plan, requestId)
  } catch (err) {
    // Nothing to replay: free the requestId so the retry runs at once instead of after the lease.
    await store.abandon(hash).catch(() => {})
    throw err
  }
  // Stored before any reply is sent: a failed send retries the message, which then replays.
  try {
    await store.complete(hash, answer.status, JSON.stringify(answer.body))
  } catch (err) {
    // The operations have run: retrying the message would run them again, so the answer still goes
    // out. Only a redelivery after the in-progress lease (2 minutes) could run them a second time.
    console.warn(JSON.stringify({ level: 'warn', msg: 'ops result not stored for replay', requestId: msg.requestId, tenant: msg.tenant, error: (err as Error).message }))
  }
  return { state: 'done', body: answer.body, replayed: false }
}

/** A duplicate still running elsewhere gets time to finish (its lease is 2 minutes) before it is looked at again. */
const inProgressDelaySeconds = (attempts: number) => Math.max(30, retryDelaySeconds(attempts))

/**
 * The `batchgate-ops` consumer (§7): each message runs as a sync batch through the engine of
 * `POST /v1/batch`, and its §5 body goes to the reply queue it names. A message that can never
 * run is dead-lettered at once and acked; a failure of the whole message (a Durable Object or a
 * queue unreachable) retries it with backoff; failures of single operations are in the body.
 */
export async function handleOpsBatch(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
  // In order, one at a time: each message may cost as many provider calls as a whole sync batch.
  for (const message of batch.messages) await handleOpsMessage(message, batch.queue, env)
}

async function handleOpsMessage(message: Message<unknown>, queue: string, env: Env): Promise<void> {
  const ids = { queue, messageId: message.id, attempts: message.attempts }
  try {
    const accepted = acceptOpsMessage(env, message.body)
    if (!accepted.ok) return await deadLetter(env.OPS_DLQ, message, queue, accepted)
    const { msg } = accepted
    const requestId = msg.requestId ?? message.id
    const run = await runOnce(env, accepted, requestId)
    if (run.state === 'conflict')
      return await deadLetter(env.OPS_DLQ, message, queue, { reason: 'IdempotencyConflict', detail: `requestId "${msg.requestId}" was used with other operations in the last 24 hours` })
    if (run.state === 'in-progress') {
      console.warn(JSON.stringify({ level: 'warn', msg: 'ops message already running; retrying later', ...ids, requestId, tenant: msg.tenant }))
      return message.retry({ delaySeconds: inProgressDelaySeconds(message.attempts) })
    }
    const parts = accepted.reply ? await sendReply(accepted.reply, run.body) : 0
    message.ack()
    console.log(JSON.stringify({
      level: 'info', msg: 'ops message done', ...ids, requestId, tenant: msg.tenant, account: msg.account,
      ...run.body.summary, replayed: run.replayed, ...(msg.replyTo ? { replyTo: msg.replyTo, replyParts: parts } : {}),
    }))
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err)
    console.error(JSON.stringify({ level: 'warn', msg: 'ops message failed; retrying', ...ids, ...safeIds(message.body), error }))
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
  }
}
