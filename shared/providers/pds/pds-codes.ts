import { failure } from '../../engine/engine.ts'
import type { OperationError, Outcome, ProviderErrorDetail } from '../../engine/types.ts'
import type { Operation } from '../../schemas/operation.ts'
import { normalisePdsFile } from './pds-stat.ts'

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** What PDS said: its `{code, message}` body, or the HTTP status when there is no code. */
export function pdsErrorDetail(status: number, body: unknown): ProviderErrorDetail {
  const code = isRecord(body) && typeof body.code === 'string' && body.code !== '' ? body.code : String(status)
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : undefined
  return message === undefined ? { code } : { code, message }
}

const retry = (error: OperationError, retryAfterMs: number | undefined): Outcome =>
  retryAfterMs === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs }

/** PDS throttles with HTTP 429, or a TooManyRequests/Throttling code. */
export const isThrottle = (status: number, code: string) => status === 429 || /^(TooManyRequests|Throttling)/.test(code)

/**
 * A whole `/v2/batch` request that failed (HTTP status other than 200): nothing ran, and the same
 * answer holds for every operation of the call. Op-independent on purpose: a 404 here is a wrong
 * endpoint, not a missing file, so it never reads as a successful delete.
 */
export function pdsRequestFailure(status: number, body: unknown, retryAfterMs?: number): Outcome {
  const provider = pdsErrorDetail(status, body)
  const message = provider.message ?? `PDS answered ${status}`
  if (isThrottle(status, provider.code)) return retry({ code: 'Throttled', message: 'PDS is rate limiting this domain', provider }, retryAfterMs)
  if (status >= 500) return retry({ code: 'ProviderError', message, provider }, retryAfterMs)
  if (status === 401 || status === 403) return failure('AccessDenied', message, provider)
  if (status === 400) return failure('InvalidArgument', message, provider)
  return failure('ProviderError', message, provider)
}

/** One child response (its own status and body) → the outcome of the operation it belongs to. */
export function pdsOutcome(op: Operation, status: number, body: unknown, retryAfterMs?: number): Outcome {
  if (status >= 200 && status < 300) return success(op, status, body)
  const provider = pdsErrorDetail(status, body)
  const { code } = provider
  const message = provider.message ?? `PDS answered ${status}`
  if (isThrottle(status, code)) return retry({ code: 'Throttled', message: 'PDS is rate limiting this domain', provider }, retryAfterMs)
  if (status >= 500) return retry({ code: 'ProviderError', message, provider }, retryAfterMs)
  if (code.startsWith('NotFound.Drive')) return failure('NoSuchBucket', 'the drive does not exist', provider)
  if (status === 404 || code.startsWith('NotFound')) {
    // Delete is idempotent on every provider: a missing file counts as deleted.
    if (op.op === 'delete') return { kind: 'done', status: 200, data: { existed: false } }
    return failure('NoSuchKey', message, provider)
  }
  if (status === 409 || code.startsWith('AlreadyExist')) return failure('DestinationExists', 'a file of that name exists in the destination folder', provider)
  if (status === 401 || status === 403 || code === 'AccessTokenInvalid' || code.startsWith('Forbidden')) return failure('AccessDenied', message, provider)
  if (status === 400 || code.startsWith('InvalidParameter')) return failure('InvalidArgument', message, provider)
  return status >= 400 && status < 500 ? failure('InvalidArgument', message, provider) : failure('ProviderError', message, provider)
}

const asyncTaskId = (body: unknown) =>
  isRecord(body) && typeof body.async_task_id === 'string' && body.async_task_id !== '' ? body.async_task_id : undefined

function success(op: Operation, status: number, body: unknown): Outcome {
  switch (op.op) {
    case 'stat':
      return { kind: 'done', status: 200, data: normalisePdsFile(body) }
    case 'delete': {
      // 204: deleted now; 202 + async_task_id: PDS deletes it in the background (§5).
      const task = asyncTaskId(body)
      if (status === 202 || task !== undefined) return { kind: 'done', status: 202, data: task === undefined ? {} : { asyncTaskId: task } }
      return { kind: 'done', status: 200, data: { existed: true } }
    }
    case 'copy':
    case 'move': {
      // With check_name_mode refuse, PDS may answer 2xx with `exist: true` and the same-named file
      // instead of an error: nothing was copied or moved.
      if (isRecord(body) && body.exist === true)
        return failure('DestinationExists', 'a file of that name exists in the destination folder', { code: 'AlreadyExist.File', message: 'exist: true' })
      const data: Record<string, unknown> = {}
      if (isRecord(body) && typeof body.file_id === 'string') data.fileId = body.file_id
      if (isRecord(body) && typeof body.drive_id === 'string') data.driveId = body.drive_id
      const task = asyncTaskId(body)
      if (status === 202 || task !== undefined) return { kind: 'done', status: 202, data: task === undefined ? data : { ...data, asyncTaskId: task } }
      return { kind: 'done', status: 200, data }
    }
    default:
      return { kind: 'done', status: 200 }
  }
}
