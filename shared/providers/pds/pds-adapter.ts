import { failure } from '../../engine/engine.ts'
import { parseRetryAfter } from '../../engine/retry.ts'
import type { CallContext, IndexedOperation, Outcome, PlannedCall, ProviderAdapter } from '../../engine/types.ts'
import type { OpKind } from '../../schemas/operation.ts'
import type { PdsAccount } from './pds-account.ts'
import { checkPdsOperation } from './pds-check.ts'
import { pdsOutcome, pdsRequestFailure } from './pds-codes.ts'
import { createPdsLister } from './pds-list.ts'
import { getFileRequest, PDS_KINDS, readsTagsFirst, writeRequests, writeWeight, type PdsSubRequest } from './pds-ops.ts'
import { settlePdsRetries } from './pds-retry.ts'
import { parseUserTags } from './pds-stat.ts'

/** `/v2/batch` takes 1 to 100 child requests (provider-protocols §4). */
export const PDS_BATCH_LIMIT = 100

export interface PdsDeps {
  fetch: typeof fetch
}

/**
 * Aliyun PDS: every kind it has goes through `/v2/batch`, mixed kinds sharing a call. A call holds
 * at most 100 operations, and fewer when putTagging operations may need two child requests each.
 * Listing (`lister`, manifest generators) walks a folder tree through `/v2/file/list`.
 */
export function createPdsAdapter(account: PdsAccount, deps: PdsDeps): ProviderAdapter {
  return {
    provider: 'pds',
    lister: createPdsLister(account, deps),
    supports: (kind: OpKind) => PDS_KINDS.has(kind),
    check: checkPdsOperation,
    plan(ops) {
      const calls: PlannedCall[] = []
      let chunk: IndexedOperation[] = []
      let weight = 0
      const flush = () => {
        const ops = chunk
        calls.push({ ops, run: (ctx) => runCall(account, deps, ops, ctx) })
        chunk = []
        weight = 0
      }
      for (const o of ops) {
        const w = writeWeight(o.op)
        if (chunk.length > 0 && weight + w > PDS_BATCH_LIMIT) flush()
        chunk.push(o)
        weight += w
      }
      if (chunk.length > 0) flush()
      return calls
    },
  }
}

/** The `/v2/batch` request for these child requests; exported so tests can read the exact bytes. */
export function buildPdsBatchRequest(account: PdsAccount, requests: readonly PdsSubRequest[]): Request {
  return new Request(`${account.endpoint}/v2/batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${account.accessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ resource: 'file', requests }),
  })
}

interface SubResponse {
  status: number
  body?: unknown
}

/** A sent batch: the child responses by id, or the one outcome every operation of the call shares. */
type BatchAnswer = { ok: true; byId: Map<string, SubResponse>; retryAfterMs?: number } | { ok: false; outcome: Outcome }

async function send(account: PdsAccount, deps: PdsDeps, requests: readonly PdsSubRequest[], ctx: CallContext): Promise<BatchAnswer> {
  const response = await deps.fetch(buildPdsBatchRequest(account, requests), { signal: ctx.signal })
  const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), ctx.now())
  const text = await response.text()
  const json = safeJson(text)
  if (response.status !== 200) return { ok: false, outcome: pdsRequestFailure(response.status, json, retryAfterMs) }
  const responses = isRecord(json) && Array.isArray(json.responses) ? json.responses : undefined
  // A 200 whose body cannot be read: the requests may have run, so only retry-safe handling is
  // left to the next attempt; the engine surfaces ProviderError if it persists.
  if (!responses) return { ok: false, outcome: { kind: 'retry', error: { code: 'ProviderError', message: 'PDS answered 200 with an unreadable body', provider: { code: '200' } } } }
  const byId = new Map<string, SubResponse>()
  for (const r of responses) {
    // Matched by id, never by position: PDS may answer in any order. Unknown ids are ignored.
    if (!isRecord(r) || typeof r.id !== 'string' || !Number.isInteger(r.status) || byId.has(r.id)) continue
    byId.set(r.id, { status: r.status as number, body: typeof r.body === 'string' ? (safeJson(r.body) ?? r.body) : r.body })
  }
  return retryAfterMs === undefined ? { ok: true, byId } : { ok: true, byId, retryAfterMs }
}

const unanswered = (id: string): Outcome => ({
  kind: 'retry',
  error: { code: 'ProviderError', message: `PDS sent no response for child request ${id}`, provider: { code: 'MissingResponse' } },
})

/** The outcome of an operation whose child requests are `ids` (all must succeed). */
function outcomeOf(o: IndexedOperation, ids: readonly string[], answer: BatchAnswer): Outcome {
  if (!answer.ok) return answer.outcome
  let retrying: Outcome | undefined
  let succeeded: SubResponse | undefined
  for (const id of ids) {
    const r = answer.byId.get(id)
    if (r && r.status >= 200 && r.status < 300) {
      succeeded = r
      continue
    }
    const outcome = r ? pdsOutcome(o.op, r.status, r.body, answer.retryAfterMs) : unanswered(id)
    // A final failure wins over a retriable one: sending again could not change it.
    if (outcome.kind === 'done') return outcome
    retrying ??= outcome
  }
  return retrying ?? pdsOutcome(o.op, succeeded?.status ?? 200, succeeded?.body)
}

/**
 * One planned call. Tagging operations first read their file (`/file/get`, read-only) to learn the
 * current tag names; then one `/v2/batch` applies every operation of the call. Transport errors
 * propagate to the engine, which retries the call's operations.
 */
async function runCall(account: PdsAccount, deps: PdsDeps, ops: readonly IndexedOperation[], ctx: CallContext): Promise<Outcome[]> {
  const outcomes = new Array<Outcome | undefined>(ops.length)
  const currentTags = new Map<number, string[]>()

  const tagging = ops.flatMap((o, i) => (readsTagsFirst(o.op) ? [{ o, i, id: String(o.index) }] : []))
  if (tagging.length > 0) {
    const read = await send(account, deps, tagging.map(({ o, id }) => getFileRequest(id, o.op)), ctx)
    for (const { o, i, id } of tagging) {
      const r = read.ok ? read.byId.get(id) : undefined
      if (r && r.status >= 200 && r.status < 300) currentTags.set(i, Object.keys(parseUserTags(isRecord(r.body) ? r.body.user_tags : undefined) ?? {}))
      else outcomes[i] = outcomeOf(o, [id], read)
    }
  }

  const requests: PdsSubRequest[] = []
  const owners: { i: number; ids: string[] }[] = []
  ops.forEach((o, i) => {
    if (outcomes[i]) return
    const subs = writeRequests(String(o.index), o.op, currentTags.get(i))
    // Nothing to send (no tags to delete, an empty tag set onto an untagged file): already as asked.
    if (subs.length === 0) outcomes[i] = { kind: 'done', status: 200 }
    else {
      requests.push(...subs)
      owners.push({ i, ids: subs.map((s) => s.id) })
    }
  })
  if (requests.length > 0) {
    const answer = await send(account, deps, requests, ctx)
    for (const { i, ids } of owners) outcomes[i] = outcomeOf(ops[i]!, ids, answer)
  }
  // A retried copy/move may meet its own earlier, unanswered attempt: checked in pds-retry.ts.
  await settlePdsRetries(account, deps, ops, outcomes, async (gets) => {
    const read = await send(account, deps, gets, ctx)
    return read.ok ? read.byId : read.outcome
  }, ctx)
  return outcomes.map((x) => x ?? failure('ProviderError', 'no outcome'))
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
