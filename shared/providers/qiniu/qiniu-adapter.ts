import { chunksOf } from '../../engine/pool.ts'
import { parseRetryAfter } from '../../engine/retry.ts'
import type { CallContext, IndexedOperation, Outcome, PlannedCall, ProviderAdapter } from '../../engine/types.ts'
import type { OpKind } from '../../schemas/operation.ts'
import type { QiniuAccount } from './qiniu-account.ts'
import { qiniuDate, signQbox, signQiniuV2 } from './qiniu-auth.ts'
import { checkQiniuOperation } from './qiniu-check.ts'
import { isRetriableQiniuCode, qiniuOutcome } from './qiniu-codes.ts'
import { createQiniuLister } from './qiniu-list.ts'
import { createQiniuObjects } from './qiniu-objects.ts'
import { QINIU_KINDS, qiniuOpPath } from './qiniu-ops.ts'
import { createQiniuRegionResolver, regionDiscoveryOn } from './qiniu-region.ts'
import { planByRegion } from './qiniu-region-plan.ts'
import { settleRetries } from './qiniu-retry.ts'

/** Qiniu's `/batch` takes at most 1,000 ops a call (provider-protocols §1.6). */
export const QINIU_BATCH_LIMIT = 1000
const FORM = 'application/x-www-form-urlencoded'

export interface QiniuDeps {
  fetch: typeof fetch
}

/** Qiniu Kodo: every kind Qiniu has goes through `/batch`, mixed kinds sharing a call. */
export function createQiniuAdapter(account: QiniuAccount, deps: QiniuDeps): ProviderAdapter {
  // With region discovery each call goes to its buckets' region (qiniu-region.ts); else to `endpoint`.
  const regions = regionDiscoveryOn(account) ? createQiniuRegionResolver(account, deps) : undefined
  return {
    provider: 'qiniu',
    supports: (kind: OpKind) => QINIU_KINDS.has(kind),
    check: checkQiniuOperation,
    plan: (ops): PlannedCall[] =>
      regions
        ? planByRegion(ops, regions, QINIU_BATCH_LIMIT, (chunk, rs, ctx) => runBatch(account, deps, chunk, ctx, rs))
        : chunksOf(ops, QINIU_BATCH_LIMIT).map((chunk) => ({ ops: chunk, run: (ctx) => runBatch(account, deps, chunk, ctx) })),
    objects: createQiniuObjects(account, { ...deps, regions }),
    lister: createQiniuLister(account, { ...deps, regions }),
  }
}

/** Builds the signed `/batch` request; exported so tests and the benchmark can send the same bytes. */
export async function buildQiniuBatchRequest(account: QiniuAccount, ops: readonly IndexedOperation[], now: Date, rs = account.endpoint): Promise<Request> {
  const url = new URL(`${rs}/batch`)
  // The form body as a string, so the Content-Type stays exactly the form type both tokens sign
  // (§0 "Form bodies"). Op paths hold only base64url, digits, letters, '/', '=' and '-', for which
  // encodeURIComponent gives the same bytes as URLSearchParams at a fraction of the cost.
  let body = ''
  for (const o of ops) body += `${body === '' ? '' : '&'}op=${encodeURIComponent(qiniuOpPath(o.op))}`
  const headers: Record<string, string> = { 'Content-Type': FORM }
  const signed = { accessKey: account.accessKey, secretKey: account.secretKey, path: url.pathname, rawQuery: url.search.slice(1), contentType: FORM, body }
  if (account.auth === 'qbox') {
    headers.Authorization = await signQbox(signed)
  } else {
    headers['X-Qiniu-Date'] = qiniuDate(now)
    headers.Authorization = await signQiniuV2({ ...signed, method: 'POST', host: url.host, headers: { 'X-Qiniu-Date': headers['X-Qiniu-Date'] } })
  }
  return new Request(url, { method: 'POST', headers, body })
}

async function runBatch(account: QiniuAccount, deps: QiniuDeps, ops: readonly IndexedOperation[], ctx: CallContext, rs?: string): Promise<Outcome[]> {
  const request = await buildQiniuBatchRequest(account, ops, ctx.now(), rs)
  const response = await deps.fetch(request, { signal: ctx.signal })
  const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), ctx.now())
  const text = await response.text()
  if (response.status === 200 || response.status === 298) {
    const answers = parseAnswers(text, ops.length)
    if (!answers) return ops.map(() => unparseable(response.status))
    const outcomes = ops.map((o, i) => qiniuOutcome(o.op, answers[i]!.code, answers[i]!.data, retryAfterMs))
    // A retried copy/move may meet its own earlier, unanswered attempt: checked with stats (qiniu-retry.ts).
    return settleRetries(ops, answers, outcomes, (stats) => runBatch(account, deps, stats, ctx, rs))
  }
  // A whole-request failure: every operation of the call shares it (none was applied).
  const data = safeJson(text)
  return ops.map((o) => qiniuOutcome(o.op, response.status, data, retryAfterMs))
}

interface Answer {
  code: number
  data?: unknown
}

function parseAnswers(text: string, expected: number): Answer[] | undefined {
  const parsed = safeJson(text)
  if (!Array.isArray(parsed) || parsed.length !== expected) return undefined
  return parsed.every((a) => a && typeof a === 'object' && Number.isInteger(a.code)) ? (parsed as Answer[]) : undefined
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// A 200/298 whose body cannot be read: the ops may have run, so only retry-safe handling is left
// to the next attempt; the engine surfaces ProviderError if it persists.
const unparseable = (status: number): Outcome => ({
  kind: 'retry',
  error: { code: 'ProviderError', message: `Qiniu answered ${status} with an unreadable body`, provider: { code: String(status) } },
})

