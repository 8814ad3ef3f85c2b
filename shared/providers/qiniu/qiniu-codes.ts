import { failure } from '../../engine/engine.ts'
import type { Outcome } from '../../engine/types.ts'
import type { Operation } from '../../schemas/operation.ts'
import { normaliseQiniuStat } from './qiniu-stat.ts'

// Codes ≥ 500 that are final answers, not passing faults (provider-protocols §1.8, the SDKs' list).
const FINAL_5XX = new Set([501, 509, 573, 579, 608, 612, 614, 616, 618, 630, 631, 632, 640, 701])

export const isRetriableQiniuCode = (code: number) => code === 573 || (code >= 500 && !FINAL_5XX.has(code))

const errorText = (data: unknown) =>
  data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string'
    ? (data as { error: string }).error
    : undefined

/** One Qiniu answer code (HTTP or per-op) → the unified outcome of that operation. */
export function qiniuOutcome(op: Operation, code: number, data: unknown, retryAfterMs?: number): Outcome {
  // First, before the error's parts are built: success is the answer for nearly every operation.
  if (code === 200) return success(op, data)
  const message = errorText(data)
  const provider = { code: String(code), ...(message !== undefined ? { message } : {}) }
  if (code === 573 || code === 429) return { kind: 'retry', error: { code: 'Throttled', message: 'Qiniu is rate limiting this resource', provider }, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }
  if (isRetriableQiniuCode(code)) return { kind: 'retry', error: { code: 'ProviderError', message: message ?? `Qiniu answered ${code}`, provider }, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }
  switch (code) {
    case 612:
    case 404:
      // Delete is idempotent on every provider: a missing object counts as deleted.
      if (op.op === 'delete') return { kind: 'done', status: 200, data: { existed: false } }
      return failure('NoSuchKey', 'the object does not exist', provider)
    case 631:
      return failure('NoSuchBucket', 'the bucket does not exist', provider)
    case 614:
      return failure('DestinationExists', 'the destination exists and overwrite is false', provider)
    case 608:
      return failure('InvalidObjectState', 'the object changed while the operation ran', provider)
    case 400:
      // chstatus to the status the object already has: the requested state holds, so it succeeded.
      if (op.op === 'setStatus' && /^already (enabled|disabled)$/.test(message ?? '')) return { kind: 'done', status: 200, data: { changed: false } }
      return failure('InvalidArgument', message ?? 'Qiniu refused the arguments', provider)
    case 403:
      if (op.op === 'restore' && /archive/i.test(message ?? '')) return failure('InvalidObjectState', 'only archived objects can be restored', provider)
      return failure('AccessDenied', message ?? 'access denied', provider)
    case 401:
    case 419:
      return failure('AccessDenied', message ?? 'access denied', provider)
    default:
      return code >= 400 && code < 500
        ? failure('InvalidArgument', message ?? `Qiniu answered ${code}`, provider)
        : failure('ProviderError', message ?? `Qiniu answered ${code}`, provider)
  }
}

function success(op: Operation, data: unknown): Outcome {
  switch (op.op) {
    case 'stat':
      return { kind: 'done', status: 200, data: normaliseQiniuStat(data) }
    case 'delete':
      return { kind: 'done', status: 200, data: { existed: true } }
    // Qiniu's answer does not tell a started restore from an already restored object, so a
    // successful restoreAr is reported as started (202): the restore is under way or done.
    case 'restore':
      return { kind: 'done', status: 202 }
    default:
      return { kind: 'done', status: 200 }
  }
}
