/**
 * Unified §5 results → the answer Qiniu's `/batch` gives: HTTP 200 when every op succeeded, 298
 * otherwise, and `[{code, data?}]` in op order with Qiniu's per-op codes (provider-protocols §1.6,
 * §1.8). The code table is the inverse of the Qiniu adapter's (qiniu-codes.ts): on a Qiniu account
 * Qiniu's own code and message come back unchanged; on any other provider the unified code is
 * mapped to the Qiniu code a Qiniu client expects for the same situation.
 */
import type { OperationResult } from '../engine/types.ts'
import type { ResultCode } from '../engine/result-codes.ts'
import { QINIU_TYPES } from '../providers/qiniu/qiniu-ops.ts'
import type { Operation } from '../schemas/operation.ts'

export interface QiniuBatchItem {
  code: number
  data?: Record<string, unknown>
}

export interface QiniuBatchAnswer {
  status: 200 | 298
  body: QiniuBatchItem[]
}

/** Unified error code → Qiniu code and Qiniu's usual words for it (or undefined: the unified message). */
export const QINIU_CODE_OF: Record<ResultCode, { code: number; error?: string }> = {
  NoSuchKey: { code: 612, error: 'no such file or directory' },
  NoSuchBucket: { code: 631, error: 'no such bucket' },
  DestinationExists: { code: 614, error: 'file exists' },
  // Qiniu's 403 covers both: a forbidden op, and restoreAr on an object that is not archived.
  AccessDenied: { code: 403 },
  InvalidObjectState: { code: 403 },
  InvalidArgument: { code: 400 },
  // No Qiniu code means "this provider cannot": a malformed-request 400 is what a client handles.
  NotSupported: { code: 400 },
  Throttled: { code: 573, error: 'too many requests' },
  ProviderError: { code: 599 },
  Timeout: { code: 504 },
}

const QINIU_CODE = /^\d{3}$/
// Qiniu's `type` for S3's class of the same name (unified storage classes have no such class).
const INTELLIGENT_TIERING = 5

/** The whole answer. `provider` is the account's provider: a Qiniu account's own codes pass through. */
export function qiniuBatchAnswer(provider: string, operations: readonly Operation[], results: readonly OperationResult[]): QiniuBatchAnswer {
  const body = results.map((r, i) => qiniuItem(provider, operations[i]!, r))
  return { status: body.every((item) => item.code === 200) ? 200 : 298, body }
}

export function qiniuItem(provider: string, op: Operation, r: OperationResult): QiniuBatchItem {
  if (r.status >= 200 && r.status < 300) {
    // Where the unified result made a no-op a success, Qiniu answers an error; so does the dialect.
    if (op.op === 'delete' && r.data?.existed === false) return { code: 612, data: { error: 'no such file or directory' } }
    if (op.op === 'setStatus' && r.data?.changed === false) return { code: 400, data: { error: op.enabled ? 'already enabled' : 'already disabled' } }
    if (op.op === 'stat') return { code: 200, data: qiniuStatData(r.data ?? {}) }
    return { code: 200 }
  }
  const error = r.error
  if (!error) return { code: 599, data: { error: `failed with status ${r.status}` } }
  if (provider === 'qiniu' && error.provider && QINIU_CODE.test(error.provider.code))
    return { code: Number(error.provider.code), data: { error: error.provider.message ?? error.message } }
  const mapped = QINIU_CODE_OF[error.code]
  return { code: mapped.code, data: { error: mapped.error ?? error.message } }
}

const unixSeconds = (iso: unknown) => (typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) ? Math.floor(Date.parse(iso) / 1000) : undefined)

const TRANSITIONS = [
  ['IA', 'transitionToIA'],
  ['ARCHIVE_IR', 'transitionToArchiveIR'],
  ['ARCHIVE', 'transitionToARCHIVE'],
  ['DEEP_ARCHIVE', 'transitionToDeepArchive'],
] as const

/** The unified stat → Qiniu's stat shape (§1.7), the inverse of qiniu-stat.ts `normaliseQiniuStat`. */
export function qiniuStatData(stat: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {
    fsize: typeof stat.size === 'number' ? stat.size : 0,
    hash: typeof stat.etag === 'string' ? stat.etag : '',
    mimeType: typeof stat.contentType === 'string' ? stat.contentType : 'application/octet-stream',
  }
  // putTime is in 100 ns units; ms × 10,000 stays an exact (even) integer in a double.
  const modified = typeof stat.lastModified === 'string' ? Date.parse(stat.lastModified) : NaN
  if (!Number.isNaN(modified)) data.putTime = modified * 10_000
  const storageClass = String(stat.storageClass ?? 'STANDARD')
  const type = Object.hasOwn(QINIU_TYPES, storageClass) ? QINIU_TYPES[storageClass as keyof typeof QINIU_TYPES] : storageClass === 'INTELLIGENT_TIERING' ? INTELLIGENT_TIERING : undefined
  if (type !== undefined) data.type = type
  if (stat.enabled === false) data.status = 1
  if (stat.restoreStatus === 'restoring') data.restoreStatus = 1
  if (stat.restoreStatus === 'restored') data.restoreStatus = 2
  if (typeof stat.md5 === 'string') data.md5 = stat.md5
  const expiration = unixSeconds(stat.expiresAt)
  if (expiration !== undefined) data.expiration = expiration
  const transitions = (stat.transitions ?? {}) as Record<string, unknown>
  for (const [unified, field] of TRANSITIONS) {
    const at = unixSeconds(transitions[unified])
    if (at !== undefined) data[field] = at
  }
  const metadata = stat.metadata
  if (metadata && typeof metadata === 'object' && Object.keys(metadata).length > 0) data['x-qn-meta'] = { ...(metadata as Record<string, string>) }
  return data
}
