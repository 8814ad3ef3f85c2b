import { md5Hex } from '../../crypto/hash.ts'
import { utf8 } from '../../crypto/encoding.ts'
import { ObjectIOError, type ObjectIO } from '../../engine/types.ts'
import { buildRestRequest, type RestDeps, type RestRequest } from './rest-client.ts'
import { parseErrorDocument, restErrorOutcome } from './rest-codes.ts'
import type { RestDialect } from './rest-dialect.ts'

// eslint-disable-next-line no-control-regex
const HEADER_SAFE = /^[\u0020-\u007e]*$/
const unquote = (etag: string | null) => (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '')

/**
 * Whole-object reads and writes over the S3-style REST API (s3, ctyun, oss): HEAD, ranged GET and
 * a single PUT with Content-MD5, each signed like every other request of the dialect.
 *
 * Not done: multipart upload. One PUT takes up to 5 GB on S3 and OSS, far above a report shard
 * (at most 64 MiB), but the whole body is held in memory and sent again in full on a retry.
 */
export function createRestObjects(dialect: RestDialect, deps: RestDeps): ObjectIO {
  const send = (req: RestRequest, signal: AbortSignal | undefined) => sendRaw(dialect, deps, req, signal)

  /** The unified error of a failed answer (reading its error document, if it has one). */
  async function failed(answer: Response, signal: AbortSignal | undefined): Promise<ObjectIOError> {
    const text = await readText(dialect, answer, signal)
    return toError(dialect, answer, text)
  }

  return {
    async head(bucket, key, signal) {
      checkAddress(dialect, bucket, key)
      const answer = await send({ method: 'HEAD', bucket, key }, signal)
      if (answer.ok) return { size: Number(answer.headers.get('Content-Length') ?? 0), etag: unquote(answer.headers.get('ETag')) }
      if (answer.status !== 404) throw toError(dialect, answer, '')
      // A HEAD answer has no body, so a 404 does not say whether the key or the bucket is missing:
      // one byte of a GET does (its 404 carries the error document). Only a missing bucket throws;
      // an object that appeared since the HEAD (2xx, or 416 when empty) was still missing then.
      const probe = await send({ method: 'GET', bucket, key, headers: { Range: 'bytes=0-0' } }, signal)
      const text = await readText(dialect, probe, signal)
      const missingBucket = probe.status === 404 && parseErrorDocument(text)?.code === 'NoSuchBucket'
      if (missingBucket || (!probe.ok && probe.status !== 404 && probe.status !== 416)) throw toError(dialect, probe, text)
      return null
    },

    async readRange(bucket, key, start, end, signal) {
      checkAddress(dialect, bucket, key)
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < 0)
        throw new ObjectIOError('InvalidArgument', `a byte range needs whole numbers ≥ 0, not [${start}, ${end})`, false)
      if (end <= start) return new Uint8Array(0)
      const answer = await send({ method: 'GET', bucket, key, headers: { Range: `bytes=${start}-${end - 1}` } }, signal)
      // 416: the range starts at or past the end of the object (or the object is empty).
      if (answer.status === 416) {
        await answer.body?.cancel()
        return new Uint8Array(0)
      }
      if (answer.status !== 200 && answer.status !== 206) throw await failed(answer, signal)
      const bytes = await readBytes(dialect, answer, signal)
      // A server that ignores Range answers 200 with the whole object.
      if (answer.status === 200) return bytes.slice(start, end)
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(answer.headers.get('Content-Range') ?? '')
      if (range && Number(range[1]) !== start)
        throw new ObjectIOError('ProviderError', `${dialect.label} answered bytes from ${range[1]} for a range from ${start}`, true)
      return bytes.length > end - start ? bytes.slice(0, end - start) : bytes
    },

    async write(bucket, key, body, contentType, signal) {
      checkAddress(dialect, bucket, key)
      if (!HEADER_SAFE.test(contentType)) throw new ObjectIOError('InvalidArgument', 'the content type must be printable ASCII', false)
      const bytes = typeof body === 'string' ? utf8(body) : body
      const answer = await send({ method: 'PUT', bucket, key, body: bytes, contentType }, signal)
      if (!answer.ok) throw await failed(answer, signal)
      await answer.body?.cancel()
      const etag = unquote(answer.headers.get('ETag'))
      // S3 and OSS always answer a PUT with the ETag; without one, a single PUT's ETag is its MD5.
      return { etag: etag !== '' ? etag : await md5Hex(bytes) }
    },
  }
}

/** Keys that cannot be addressed in a URL path are refused rather than sent somewhere else. */
function checkAddress(dialect: RestDialect, bucket: string, key: string): void {
  if (bucket === '') throw new ObjectIOError('InvalidArgument', 'the bucket name is empty', false)
  if (key === '') throw new ObjectIOError('InvalidArgument', 'the object key is empty', false)
  if (key.split('/').some((s) => s === '.' || s === '..'))
    throw new ObjectIOError('InvalidArgument', `${dialect.label} object URLs cannot carry "." or ".." path segments`, false)
}

/**
 * Signs and sends one request. A transport failure is a retriable ProviderError, the signal's
 * timeout a retriable Timeout; any other abort propagates as the signal's own reason.
 */
async function sendRaw(dialect: RestDialect, deps: RestDeps, req: RestRequest, signal: AbortSignal | undefined): Promise<Response> {
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

async function readBytes(dialect: RestDialect, answer: Response, signal: AbortSignal | undefined): Promise<Uint8Array> {
  try {
    return new Uint8Array(await answer.arrayBuffer())
  } catch (err) {
    throw transportError(dialect, err, signal)
  }
}

async function readText(dialect: RestDialect, answer: Response, signal: AbortSignal | undefined): Promise<string> {
  try {
    return await answer.text()
  } catch (err) {
    throw transportError(dialect, err, signal)
  }
}

/** An error answer → the unified code; throttling and server faults are retriable. */
function toError(dialect: RestDialect, answer: Response, text: string): ObjectIOError {
  const outcome = restErrorOutcome(dialect.label, answer.status, parseErrorDocument(text), answer.headers.get('Retry-After'))
  const error = outcome.kind === 'retry' ? outcome.error : (outcome.error ?? { code: 'ProviderError' as const, message: `${dialect.label} answered ${answer.status}` })
  const said = error.provider ? ` (${error.provider.code}${error.provider.message && error.provider.message !== error.message ? `: ${error.provider.message}` : ''})` : ''
  return new ObjectIOError(error.code, `${error.message}${said}`, outcome.kind === 'retry')
}
