import { utf8 } from '../../crypto/encoding.ts'
import { md5Base64 } from '../../crypto/hash.ts'
import type { CallContext } from '../../engine/types.ts'
import type { RestDialect } from './rest-dialect.ts'

export interface RestRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE'
  bucket: string
  key?: string
  query?: readonly (readonly [string, string])[]
  headers?: Record<string, string>
  /** An XML body: sent with Content-Type application/xml and its Content-MD5. */
  xml?: string
  /** A raw body (an object's content; not with `xml`): sent with `contentType` and its Content-MD5. */
  body?: string | Uint8Array
  /** Content-Type of a raw `body`; default application/octet-stream. */
  contentType?: string
}

export interface RestDeps {
  fetch: typeof fetch
}

/** Builds and signs one request; exported so tests can check the exact bytes and headers. */
export async function buildRestRequest(dialect: RestDialect, req: RestRequest, now: Date): Promise<{ url: URL; init: RequestInit }> {
  const url = dialect.url(req.bucket, req.key, req.query)
  const headers = new Headers(req.headers)
  if (req.xml !== undefined && req.body !== undefined) throw new TypeError('a REST request takes an xml or a raw body, not both')
  const text = req.xml ?? req.body
  // Encoded once, for both the Content-MD5 and the request (a multi-delete body is ~50 KB).
  const body = typeof text === 'string' ? utf8(text) : text
  if (body !== undefined) {
    headers.set('Content-Type', req.xml !== undefined ? 'application/xml' : (req.contentType ?? 'application/octet-stream'))
    // S3 and OSS require Content-MD5 on multi-delete and check it on every body they take, so a
    // body damaged on the way is refused rather than stored.
    headers.set('Content-MD5', await md5Base64(body))
  }
  await dialect.signer({ method: req.method, url, headers, bucket: req.bucket, ...(req.key !== undefined ? { key: req.key } : {}) }, now)
  return { url, init: { method: req.method, headers, ...(body !== undefined ? { body } : {}) } }
}

export interface RestAnswer {
  status: number
  headers: Headers
  body: string
}

/** Sends a signed request and reads the whole answer; transport failures propagate to the engine. */
export async function sendRest(dialect: RestDialect, deps: RestDeps, req: RestRequest, ctx: CallContext): Promise<RestAnswer> {
  const { url, init } = await buildRestRequest(dialect, req, ctx.now())
  const response = await deps.fetch(url, { ...init, signal: ctx.signal })
  const body = req.method === 'HEAD' ? '' : await response.text()
  return { status: response.status, headers: response.headers, body }
}
