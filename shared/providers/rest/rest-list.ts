import { ObjectIOError, type ListedObject, type ListPage, type ObjectLister } from '../../engine/types.ts'
import { createXmlParser, parseWellFormed } from '../../xml/xml.ts'
import type { RestDeps, RestRequest } from './rest-client.ts'
import type { RestDialect } from './rest-dialect.ts'
import { resultText, sendRaw, unquote } from './rest-io.ts'

/** ListObjectsV2 answers at most 1,000 keys a call on S3 and OSS. */
export const LIST_PAGE_LIMIT = 1000

const parser = createXmlParser(['Contents'])

interface ListContents {
  Key?: string
  Size?: string
  LastModified?: string
  ETag?: string
}

interface ListBucketResult {
  IsTruncated?: string
  NextContinuationToken?: string
  EncodingType?: string
  Contents?: ListContents[]
}

/**
 * The ListObjectsV2 request for one page: `GET /<bucket>?list-type=2` with the prefix, the page
 * size, the previous page's continuation token, and `encoding-type=url` so that keys holding
 * characters XML 1.0 cannot carry (control characters) still come back intact. V4 signs every
 * query parameter; S3 V2 signs none of these; OSS V1 signs `continuation-token` (a sub-resource
 * in its list) and nothing else here.
 */
export function listObjectsRequest(bucket: string, prefix: string, token: string | null, limit: number): RestRequest {
  const query: [string, string][] = [['list-type', '2']]
  if (token !== null) query.push(['continuation-token', token])
  query.push(['encoding-type', 'url'], ['max-keys', String(limit)])
  if (prefix !== '') query.push(['prefix', prefix])
  return { method: 'GET', bucket, query }
}

/** `encoding-type=url` names are form-encoded: '+' is a space (S3 and OSS alike). */
function decodeName(dialect: RestDialect, s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    throw new ObjectIOError('ProviderError', `${dialect.label} listed a name that is not URL-encoded: ${JSON.stringify(s)}`, false)
  }
}

const unreadable = (dialect: RestDialect, why: string) => new ObjectIOError('ProviderError', `${dialect.label} answered an unreadable object listing (${why})`, true)

/** A ListBucketResult document → one page; `next` is the provider's continuation token, as it must be sent back. */
export function parseListResult(dialect: RestDialect, text: string): ListPage {
  let result: ListBucketResult
  try {
    const doc = parseWellFormed(parser, text) as { ListBucketResult?: ListBucketResult | string }
    if (doc.ListBucketResult === undefined) throw new Error('no ListBucketResult')
    result = typeof doc.ListBucketResult === 'object' ? doc.ListBucketResult : {}
  } catch (err) {
    throw unreadable(dialect, err instanceof Error ? err.message : String(err))
  }
  const encoded = result.EncodingType === 'url'
  const objects = (result.Contents ?? []).map((c): ListedObject => {
    const size = Number(c.Size)
    if (typeof c.Key !== 'string' || c.Key === '' || !Number.isSafeInteger(size) || size < 0) throw unreadable(dialect, 'an entry without a key or size')
    const modified = new Date(c.LastModified ?? '')
    const o: ListedObject = {
      key: encoded ? decodeName(dialect, c.Key) : c.Key,
      size,
      lastModified: Number.isNaN(modified.getTime()) ? (c.LastModified ?? '') : modified.toISOString(),
    }
    const etag = unquote(c.ETag)
    if (etag !== '') o.etag = etag
    return o
  })
  if (result.IsTruncated !== 'true') return { objects, next: null }
  const token = result.NextContinuationToken
  if (token === undefined || token === '') throw unreadable(dialect, 'truncated without a NextContinuationToken')
  return { objects, next: encoded && dialect.listTokenEncoded ? decodeName(dialect, token) : token }
}

/**
 * Paged listing through ListObjectsV2 (s3, ctyun, oss): one provider call per page, the
 * continuation token as the cursor. Failures throw ObjectIOError with the unified code; throttling
 * and server faults are retriable.
 */
export function createRestLister(dialect: RestDialect, deps: RestDeps): ObjectLister {
  return {
    async list(bucket, prefix, cursor, opts = {}) {
      if (bucket === '') throw new ObjectIOError('InvalidArgument', 'the bucket name is empty', false)
      const asked = opts.limit !== undefined && Number.isFinite(opts.limit) ? Math.floor(opts.limit) : LIST_PAGE_LIMIT
      const limit = Math.min(LIST_PAGE_LIMIT, Math.max(1, asked))
      const answer = await sendRaw(dialect, deps, listObjectsRequest(bucket, prefix, cursor, limit), opts.signal)
      const page = parseListResult(dialect, await resultText(dialect, answer, opts.signal))
      // A provider that answers a token it was just given would make the job list forever.
      if (page.next !== null && page.next === cursor && page.objects.length === 0) throw unreadable(dialect, 'the same continuation token again')
      return page
    },
  }
}
