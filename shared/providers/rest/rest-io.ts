import { ObjectIOError } from '../../engine/types.ts'
import { buildRestRequest, type RestDeps, type RestRequest } from './rest-client.ts'
import { parseErrorDocument, restErrorOutcome } from './rest-codes.ts'
import type { RestDialect } from './rest-dialect.ts'

/**
 * The request plumbing of the REST core's ObjectIO and ObjectLister (outside the batch engine):
 * every failure comes out as an ObjectIOError with the unified code, never a raw transport error.
 */

/** An ETag header or element without its quotes (and without a weak marker). */
export const unquote = (etag: string | null | undefined) => (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '')

/** Keys that cannot be addressed in a URL path are refused rather than sent somewhere else. */
export function checkAddress(dialect: RestDialect, bucket: string, key: string): void {
  if (bucket === '') throw new ObjectIOError('InvalidArgument', 'the bucket name is empty', false)
  if (key === '') throw new ObjectIOError('InvalidArgument', 'the object key is empty', false)
  if (key.split('/').some((s) => s === '.' || s === '..'))
    throw new ObjectIOError('InvalidArgument', `${dialect.label} object URLs cannot carry "." or ".." path segments`, false)
}

/**
 * Signs and sends one request. A transport failure is a retriable ProviderError, the signal's
 * timeout a retriable Timeout; any other abort propagates as the signal's own reason.
 */
export async function sendRaw(dialect: RestDialect, deps: RestDeps, req: RestRequest, signal: AbortSignal | undefined): Promise<Response> {
  const { url, init } = await buildRestRequest(dialect, req, new Date())
  // Called unbound: workerd refuses its global fetch called as a method of another object.
  const send = deps.fetch
  try {
    return await send(url, signal ? { ...init, signal } : init)
  } catch (err) {
    throw transportError(dialect, err, signal)
  }
}

function transportError(dialect: RestDialect, err: unknown, signal: AbortSignal | undefined): unknown {
  if (err instanceof ObjectIOError) return err
  const reason: unknown = signal?.aborted ? signal.reason : err
  if (reason instanceof Error && reason.name === 'TimeoutError') return new ObjectIOError('Timeout', `no answer from ${dialect.label} in time`, true)
  if (signal?.aborted) return signal.reason
  return new ObjectIOError('ProviderError', `network error talking to ${dialect.label}: ${err instanceof Error ? err.message : String(err)}`, true)
}

export async function readBytes(dialect: RestDialect, answer: Response, signal: AbortSignal | undefined): Promise<Uint8Array> {
  try {
    return new Uint8Array(await answer.arrayBuffer())
  } catch (err) {
    throw transportError(dialect, err, signal)
  }
}

export async function readText(dialect: RestDialect, answer: Response, signal: AbortSignal | undefined): Promise<string> {
  try {
    return await answer.text()
  } catch (err) {
    throw transportError(dialect, err, signal)
  }
}

/** An error answer (status and body text) → the unified code; throttling and server faults are retriable. */
export function toError(dialect: RestDialect, answer: { status: number; headers: Headers }, text: string): ObjectIOError {
  const outcome = restErrorOutcome(dialect.label, answer.status, parseErrorDocument(text), answer.headers.get('Retry-After'))
  const error = outcome.kind === 'retry' ? outcome.error : (outcome.error ?? { code: 'ProviderError' as const, message: `${dialect.label} answered ${answer.status}` })
  const said = error.provider ? ` (${error.provider.code}${error.provider.message && error.provider.message !== error.message ? `: ${error.provider.message}` : ''})` : ''
  return new ObjectIOError(error.code, `${error.message}${said}`, outcome.kind === 'retry')
}

/** The unified error of a failed answer, reading its error document (if it has one). */
export async function failedAnswer(dialect: RestDialect, answer: Response, signal: AbortSignal | undefined): Promise<ObjectIOError> {
  return toError(dialect, answer, await readText(dialect, answer, signal))
}

/**
 * The text of a 200 answer that should hold an XML result. S3 may answer 200 and then an
 * `<Error>` document (CompleteMultipartUpload, CopyObject): that is a failure like any other,
 * retriable when the code says so (InternalError, SlowDown).
 */
export async function resultText(dialect: RestDialect, answer: Response, signal: AbortSignal | undefined): Promise<string> {
  const text = await readText(dialect, answer, signal)
  if (!answer.ok) throw toError(dialect, answer, text)
  const doc = parseErrorDocument(text)
  // Judged by its code alone: InternalError and throttling codes are retriable, the rest are not.
  if (doc) throw toError(dialect, answer, text)
  return text
}
