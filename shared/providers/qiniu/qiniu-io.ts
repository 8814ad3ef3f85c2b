/**
 * What Qiniu's object reads, writes and listings share: the signed management request (stat on RS,
 * list on RSF), sending with transport failures turned into ObjectIOError, and Qiniu's answer codes
 * mapped to the unified ones.
 */
import { ObjectIOError } from '../../engine/types.ts'
import type { QiniuAccount } from './qiniu-account.ts'
import { FORM_CONTENT_TYPE, qiniuDate, signQbox, signQiniuV2 } from './qiniu-auth.ts'
import { isRetriableQiniuCode } from './qiniu-codes.ts'
import type { QiniuRegionHosts, QiniuRegionResolver } from './qiniu-region.ts'

/** Where listings go when the account names no `rsfEndpoint` (the z0 region's RSF host). */
export const DEFAULT_RSF_ENDPOINT = 'https://rsf.qiniuapi.com'
/** Where uploads go when the account names no `upEndpoint` (the accelerated upload host). */
export const DEFAULT_UP_ENDPOINT = 'https://upload.qiniup.com'

export interface QiniuIODeps {
  fetch: typeof fetch
  /** With region discovery on: where each bucket's RS, RSF and up hosts are (qiniu-region.ts). */
  regions?: QiniuRegionResolver | undefined
}

/** A region lookup's longest wait when the caller gives no signal. */
const LOOKUP_TIMEOUT_MS = 30_000

/**
 * The hosts of the bucket's region when the account routes by region, else undefined (the
 * account's own endpoints apply). A failed lookup is the unified error it carries.
 */
export async function regionHosts(deps: QiniuIODeps, bucket: string, signal: AbortSignal | undefined): Promise<QiniuRegionHosts | undefined> {
  if (!deps.regions) return undefined
  const found = await deps.regions.lookup(bucket, signal ?? AbortSignal.timeout(LOOKUP_TIMEOUT_MS))
  if (found.ok) return found.hosts
  const { outcome } = found
  const error = outcome.error ?? { code: 'ProviderError' as const, message: `Qiniu region discovery failed for bucket "${bucket}"` }
  throw new ObjectIOError(error.code, error.message, outcome.kind === 'retry')
}

/**
 * A management request (stat, list) signed with the account's token kind. The form content type
 * is always sent, even without a body, so that the type both token kinds sign is the one the
 * server sees.
 */
export async function managementRequest(account: QiniuAccount, method: 'GET' | 'POST', url: URL, now: Date): Promise<Request> {
  const headers: Record<string, string> = { 'Content-Type': FORM_CONTENT_TYPE }
  const signed = { accessKey: account.accessKey, secretKey: account.secretKey, path: url.pathname, rawQuery: url.search.slice(1), contentType: FORM_CONTENT_TYPE }
  if (account.auth === 'qbox') {
    headers.Authorization = await signQbox(signed)
  } else {
    headers['X-Qiniu-Date'] = qiniuDate(now)
    headers.Authorization = await signQiniuV2({ ...signed, method, host: url.host, headers: { 'X-Qiniu-Date': headers['X-Qiniu-Date'] } })
  }
  return new Request(url, { method, headers, ...(method === 'POST' ? { body: '' } : {}) })
}

/**
 * Sends one request. A transport failure is a retriable ProviderError, the signal's timeout a
 * retriable Timeout; any other abort propagates as the signal's own reason.
 */
export async function send(deps: QiniuIODeps, request: Request, service: string, signal: AbortSignal | undefined): Promise<Response> {
  // Called unbound: workerd refuses its global fetch called as a method of another object.
  const fetcher = deps.fetch
  try {
    return await fetcher(request, signal ? { signal } : undefined)
  } catch (err) {
    throw transportError(err, service, signal)
  }
}

/** Reads an answer's body; a connection lost half-way is a transport failure like any other. */
export async function readBody<T>(answer: Response, read: (r: Response) => Promise<T>, service: string, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await read(answer)
  } catch (err) {
    throw transportError(err, service, signal)
  }
}

function transportError(err: unknown, service: string, signal: AbortSignal | undefined): unknown {
  if (err instanceof ObjectIOError) return err
  const reason: unknown = signal?.aborted ? signal.reason : err
  if (reason instanceof Error && reason.name === 'TimeoutError') return new ObjectIOError('Timeout', `no answer from ${service} in time`, true)
  if (signal?.aborted) return signal.reason
  return new ObjectIOError('ProviderError', `network error talking to ${service}: ${redact(err instanceof Error ? err.message : String(err))}`, true)
}

/** Download URLs carry their token in the query; a message that quotes a URL must not carry it on. */
const redact = (text: string) => text.replace(/token=[^&\s"']*/g, 'token=…')

/** The `error` text of a Qiniu error body (`{"error": "..."}`), if it has one. */
export function qiniuErrorText(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body)
    const error = parsed && typeof parsed === 'object' ? (parsed as { error?: unknown }).error : undefined
    return typeof error === 'string' ? redact(error) : undefined
  } catch {
    return undefined
  }
}

/**
 * A failed Qiniu answer → the unified error. `missing` says what a 404/612 means here: the object
 * (stat, download) or the bucket (RSF answers 631, but a download domain that serves no bucket
 * answers 404 too). Throttling and 5xx faults are retriable, as in the batch path.
 */
export function qiniuIOError(status: number, body: string, service: string): ObjectIOError {
  const said = qiniuErrorText(body)
  const detail = `${service} answered ${status}${said !== undefined ? `: ${said}` : ''}`
  if (status === 573 || status === 429) return new ObjectIOError('Throttled', `Qiniu is rate limiting this resource (${detail})`, true)
  if (isRetriableQiniuCode(status)) return new ObjectIOError('ProviderError', detail, true)
  switch (status) {
    case 404:
    case 612:
      return new ObjectIOError('NoSuchKey', `the object does not exist (${detail})`, false)
    case 631:
      return new ObjectIOError('NoSuchBucket', `the bucket does not exist (${detail})`, false)
    case 614:
      return new ObjectIOError('DestinationExists', `the object exists and the upload may not overwrite it (${detail})`, false)
    case 401:
    case 403:
    case 419:
      return new ObjectIOError('AccessDenied', `access denied (${detail})`, false)
    case 640:
      return new ObjectIOError('InvalidArgument', `the listing cursor is not valid (${detail})`, false)
    default:
      return status >= 400 && status < 500 ? new ObjectIOError('InvalidArgument', detail, false) : new ObjectIOError('ProviderError', detail, false)
  }
}

/** Keys no Qiniu URL or entry can address are refused before any request. */
export function checkObjectAddress(bucket: string, key: string): void {
  if (bucket === '') throw new ObjectIOError('InvalidArgument', 'the bucket name is empty', false)
  if (bucket.includes(':')) throw new ObjectIOError('InvalidArgument', 'Qiniu bucket names cannot contain ":"', false)
  if (key === '') throw new ObjectIOError('InvalidArgument', 'the object key is empty', false)
  if (!key.isWellFormed()) throw new ObjectIOError('InvalidArgument', 'the object key is not well-formed Unicode', false)
}
