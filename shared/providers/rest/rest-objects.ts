import { md5Hex } from '../../crypto/hash.ts'
import { utf8 } from '../../crypto/encoding.ts'
import { ObjectIOError, type ObjectIO } from '../../engine/types.ts'
import type { RestDeps, RestRequest } from './rest-client.ts'
import { parseErrorDocument } from './rest-codes.ts'
import type { RestDialect } from './rest-dialect.ts'
import { checkAddress, failedAnswer, readBytes, readText, sendRaw, toError, unquote } from './rest-io.ts'
import { DEFAULT_PART_BYTES, multipartWrite } from './rest-multipart.ts'

// eslint-disable-next-line no-control-regex
const HEADER_SAFE = /^[\u0020-\u007e]*$/

export interface RestObjectsOptions {
  /** Bodies larger than this go up in parts of this size (default 8 MiB). */
  partBytes?: number
}

/**
 * Whole-object reads and writes over the S3-style REST API (s3, ctyun, oss): HEAD, ranged GET and
 * writes, each signed like every other request of the dialect. A body up to the part size is one
 * PUT with Content-MD5; a larger one a multipart upload (rest-multipart.ts), so that a failure
 * costs one part rather than the whole body, and no single request nears the providers' limits.
 */
export function createRestObjects(dialect: RestDialect, deps: RestDeps, opts: RestObjectsOptions = {}): ObjectIO {
  const send = (req: RestRequest, signal: AbortSignal | undefined) => sendRaw(dialect, deps, req, signal)
  const failed = (answer: Response, signal: AbortSignal | undefined) => failedAnswer(dialect, answer, signal)
  const partBytes = opts.partBytes ?? DEFAULT_PART_BYTES

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
      if (bytes.length > partBytes) return multipartWrite(dialect, deps, { bucket, key, contentType }, bytes, partBytes, signal)
      const answer = await send({ method: 'PUT', bucket, key, body: bytes, contentType }, signal)
      if (!answer.ok) throw await failed(answer, signal)
      await answer.body?.cancel()
      const etag = unquote(answer.headers.get('ETag'))
      // S3 and OSS always answer a PUT with the ETag; without one, a single PUT's ETag is its MD5.
      return { etag: etag !== '' ? etag : await md5Hex(bytes) }
    },
  }
}
