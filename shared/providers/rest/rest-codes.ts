import { failure } from '../../engine/engine.ts'
import type { Outcome } from '../../engine/types.ts'
import { parseRetryAfter } from '../../engine/retry.ts'
import { createXmlParser } from '../../xml/xml.ts'

const parser = createXmlParser()

export interface ProviderErrorDoc {
  code: string
  message?: string
}

/** The `<Error><Code/><Message/></Error>` document of an S3 or OSS answer, if the body is one. */
export function parseErrorDocument(body: string): ProviderErrorDoc | undefined {
  if (!body.includes('<Error')) return undefined
  try {
    const doc = parser.parse(body) as { Error?: { Code?: string; Message?: string } }
    if (!doc.Error || typeof doc.Error !== 'object' || !doc.Error.Code) return undefined
    return { code: String(doc.Error.Code), ...(doc.Error.Message ? { message: String(doc.Error.Message) } : {}) }
  } catch {
    return undefined
  }
}

const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'RequestLimitExceeded', 'ServiceUnavailable'])
const DENIED = new Set(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccountProblem', 'RequestTimeTooSkewed', 'InvalidSecurity', 'ExpiredToken'])
const EXISTS = new Set(['PreconditionFailed', 'FileAlreadyExists', 'ObjectAlreadyExists'])
const STATE = new Set(['InvalidObjectState', 'OperationNotSupported', 'ObjectNotAppendable'])

/**
 * An S3/OSS error (status and error code, the code from the XML body or a per-key `<Error>`) →
 * the unified outcome. Throttling and server faults are retried by the engine.
 */
export function restErrorOutcome(label: string, status: number, doc: ProviderErrorDoc | undefined, retryAfter?: string | null): Outcome {
  const code = doc?.code ?? String(status)
  const provider = { code, ...(doc?.message ? { message: doc.message } : {}) }
  const retryAfterMs = parseRetryAfter(retryAfter)
  const wait = retryAfterMs !== undefined ? { retryAfterMs } : {}
  if (THROTTLED.has(code) || status === 429 || (status === 503 && !doc))
    return { kind: 'retry', error: { code: 'Throttled', message: `${label} is throttling requests`, provider }, ...wait }
  if (code === 'InternalError' || status >= 500)
    return { kind: 'retry', error: { code: 'ProviderError', message: doc?.message ?? `${label} answered ${status}`, provider }, ...wait }
  if (code === 'NoSuchKey' || code === 'NoSuchVersion' || (status === 404 && !doc)) return failure('NoSuchKey', 'the object does not exist', provider)
  if (code === 'NoSuchBucket') return failure('NoSuchBucket', 'the bucket does not exist', provider)
  if (EXISTS.has(code) || status === 412) return failure('DestinationExists', 'the destination exists and overwrite is false', provider)
  if (STATE.has(code)) return failure('InvalidObjectState', doc?.message ?? 'the object is not in a state that allows this', provider)
  if (DENIED.has(code) || status === 401 || status === 403) return failure('AccessDenied', doc?.message ?? 'access denied', provider)
  return failure('InvalidArgument', doc?.message ?? `${label} refused the request (${code})`, provider)
}
