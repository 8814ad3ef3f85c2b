import { md5 } from '../../crypto/hash.ts'
import { toHex } from '../../crypto/encoding.ts'
import { ObjectIOError } from '../../engine/types.ts'
import { buildXml, createXmlParser } from '../../xml/xml.ts'
import type { RestDeps } from './rest-client.ts'
import type { RestDialect } from './rest-dialect.ts'
import { failedAnswer, resultText, sendRaw, unquote } from './rest-io.ts'

/** Part size when the account does not set one: a report shard (≤ 64 MiB) goes in at most 8 parts. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024
/** S3 and OSS both number parts 1 to 10,000. */
export const MAX_PARTS = 10_000
/** How long an AbortMultipartUpload after a failure may take; it is best effort. */
const ABORT_TIMEOUT_MS = 10_000

const parser = createXmlParser()

export interface UploadedPart {
  partNumber: number
  /** As the UploadPart answer gave it (quoted). */
  etag: string
}

/** The CompleteMultipartUpload body: every part in ascending order with the ETag its upload answered. */
export function completeMultipartXml(parts: readonly UploadedPart[]): string {
  return buildXml({ CompleteMultipartUpload: { Part: parts.map((p) => ({ PartNumber: String(p.partNumber), ETag: p.etag })) } })
}

/** One element of a multipart answer's root (`UploadId`, `ETag`), or undefined. */
function resultField(text: string, root: string, field: string): string | undefined {
  try {
    const doc = parser.parse(text) as Record<string, unknown>
    const result = doc[root]
    const value = result && typeof result === 'object' ? (result as Record<string, unknown>)[field] : undefined
    return typeof value === 'string' && value !== '' ? value : undefined
  } catch {
    return undefined
  }
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then `-<number of parts>`. */
export async function multipartEtag(parts: readonly Uint8Array[]): Promise<string> {
  const digests = await Promise.all(parts.map((p) => md5(p)))
  const joined = new Uint8Array(digests.length * 16)
  digests.forEach((d, i) => joined.set(new Uint8Array(d), i * 16))
  return `${toHex(await md5(joined))}-${parts.length}`
}

/**
 * Writes `bytes` in parts of `partBytes` (the last one shorter): CreateMultipartUpload (`POST
 * ?uploads`, carrying the object's Content-Type), one UploadPart (`PUT ?partNumber&uploadId`,
 * with its Content-MD5) per part in order, then CompleteMultipartUpload with the parts' ETags.
 * Any failure after the upload exists aborts it (so no parts are left billed), then throws.
 * `uploads`, `partNumber` and `uploadId` are sub-resources, signed by every signature version.
 */
export async function multipartWrite(
  dialect: RestDialect,
  deps: RestDeps,
  target: { bucket: string; key: string; contentType: string },
  bytes: Uint8Array,
  partBytes: number,
  signal: AbortSignal | undefined,
): Promise<{ etag: string }> {
  const { bucket, key } = target
  const count = Math.ceil(bytes.length / partBytes)
  if (count > MAX_PARTS) throw new ObjectIOError('InvalidArgument', `${bytes.length} bytes need more than ${MAX_PARTS} parts of ${partBytes} bytes`, false)

  const created = await sendRaw(dialect, deps, { method: 'POST', bucket, key, query: [['uploads', '']], headers: { 'Content-Type': target.contentType } }, signal)
  const uploadId = resultField(await resultText(dialect, created, signal), 'InitiateMultipartUploadResult', 'UploadId')
  if (uploadId === undefined) throw new ObjectIOError('ProviderError', `${dialect.label} answered CreateMultipartUpload without an UploadId`, true)

  const slices = Array.from({ length: count }, (_, i) => bytes.subarray(i * partBytes, Math.min(bytes.length, (i + 1) * partBytes)))
  try {
    const parts: UploadedPart[] = []
    // One part at a time: the parts are views of one buffer already in memory, and a report
    // write is not worth a provider's concurrent-request budget.
    for (const [i, body] of slices.entries()) {
      const query = [['partNumber', String(i + 1)], ['uploadId', uploadId]] as const
      const answer = await sendRaw(dialect, deps, { method: 'PUT', bucket, key, query, body }, signal)
      if (!answer.ok) throw await failedAnswer(dialect, answer, signal)
      await answer.body?.cancel()
      const etag = answer.headers.get('ETag')
      if (!etag) throw new ObjectIOError('ProviderError', `${dialect.label} answered part ${i + 1} without an ETag`, true)
      parts.push({ partNumber: i + 1, etag })
    }
    const done = await sendRaw(dialect, deps, { method: 'POST', bucket, key, query: [['uploadId', uploadId]], xml: completeMultipartXml(parts) }, signal)
    const etag = unquote(resultField(await resultText(dialect, done, signal), 'CompleteMultipartUploadResult', 'ETag'))
    return { etag: etag !== '' ? etag : await multipartEtag(slices) }
  } catch (err) {
    await abortUpload(dialect, deps, bucket, key, uploadId)
    throw err
  }
}

/** AbortMultipartUpload, best effort: its own failure must not hide the one that caused it. */
async function abortUpload(dialect: RestDialect, deps: RestDeps, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    const answer = await sendRaw(dialect, deps, { method: 'DELETE', bucket, key, query: [['uploadId', uploadId]] }, AbortSignal.timeout(ABORT_TIMEOUT_MS))
    await answer.body?.cancel()
  } catch {
    // The upload stays until the bucket's lifecycle rule (or a later abort) removes it.
  }
}
