/**
 * Qiniu management-API tokens: legacy "QBox" and v2 "Qiniu". Pure functions; the signing-string
 * builders are exported on their own so each stage can be checked against upstream vectors.
 */

import { toBase64Url } from '../../crypto/encoding.ts'
import { hmac } from '../../crypto/hash.ts'

/** The form content type; both token kinds treat it specially. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded'

const OCTET_STREAM = 'application/octet-stream'
const X_QINIU_PREFIX = 'X-Qiniu-'

/** A Qiniu AccessKey/SecretKey pair. */
export interface QiniuCredentials {
  accessKey: string
  secretKey: string
}

/** Inputs of the QBox signing string. rawQuery is the query without its leading '?'. */
export interface QboxSigningInput {
  path: string
  rawQuery?: string
  contentType?: string
  body?: string
}

/** Headers in any of the shapes callers have at hand (plain object, pairs, or a Headers). */
export type QiniuHeadersInit = Record<string, string> | Iterable<readonly [string, string]>

/** Inputs of the v2 signing string. host is exactly what fetch sends: `new URL(url).host`. */
export interface QiniuV2SigningInput {
  method: string
  path: string
  rawQuery?: string
  host: string
  contentType?: string
  headers?: QiniuHeadersInit
  body?: string
}

/** Format a date as Qiniu's X-Qiniu-Date, `yyyyMMddTHHmmssZ` in UTC. */
export function qiniuDate(d: Date): string {
  // toISOString is always UTC `yyyy-MM-ddTHH:mm:ss.sssZ`; strip separators and milliseconds.
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')
}

/** `AK:urlsafe_b64(HMAC-SHA1(SK, data))`, the shared core of both tokens (Go `Mac.Sign`). */
export async function qiniuSign(
  accessKey: string,
  secretKey: string,
  data: string,
): Promise<string> {
  return `${accessKey}:${toBase64Url(await hmac('SHA-1', secretKey, data))}`
}

function pathAndQuery(path: string, rawQuery: string | undefined): string {
  return rawQuery ? `${path}?${rawQuery}` : path
}

/** QBox signing string: `path[?query]\n` plus the body for form requests only. */
export function qboxSigningString({ path, rawQuery, contentType, body }: QboxSigningInput): string {
  let data = `${pathAndQuery(path, rawQuery)}\n`
  // Go's incBody: only an exactly-`application/x-www-form-urlencoded` body is signed (no
  // `;charset=` suffix). The Node SDK appends any body it is handed, but its callers only pass
  // form bodies, so the Go rule is the one both effectively agree on and what the server checks.
  if (body && contentType === FORM_CONTENT_TYPE) data += body
  return data
}

/** Authorization header value `QBox <AK>:<sign>` for a management request. */
export async function signQbox(input: QiniuCredentials & QboxSigningInput): Promise<string> {
  return `QBox ${await qiniuSign(input.accessKey, input.secretKey, qboxSigningString(input))}`
}

// RFC 7230 tchar. Node's SDK table lists '\\' where the RFC (and Go) have "'"; we follow the RFC
// since fetch would refuse a header name with a backslash anyway.
const TOKEN_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * MIME-canonical header name (`x-qIniu-aAa` → `X-Qiniu-Aaa`). A name with any non-token
 * character is returned unchanged, as Go's textproto and Node's SDK do.
 */
export function canonicalMimeHeaderKey(name: string): string {
  if (!TOKEN_CHAR.test(name)) return name
  return name
    .split('-')
    .map((part) => part.slice(0, 1).toUpperCase() + part.slice(1).toLowerCase())
    .join('-')
}

function headerPairs(headers: QiniuHeadersInit): Iterable<readonly [string, string]> {
  const maybeIterable = headers as Partial<Iterable<readonly [string, string]>>
  if (typeof maybeIterable[Symbol.iterator] === 'function') {
    return headers as Iterable<readonly [string, string]>
  }
  return Object.entries(headers as Record<string, string>)
}

/** Sorted `Name: value` lines of the X-Qiniu-* headers that v2 signs. */
function xQiniuHeaderLines(headers: QiniuHeadersInit | undefined): string[] {
  if (!headers) return []
  const picked: [string, string][] = []
  for (const [rawName, value] of headerPairs(headers)) {
    const name = canonicalMimeHeaderKey(rawName)
    // The bare prefix `X-Qiniu-` (and `X-Qiniu`) is not an X-Qiniu header for signing purposes.
    if (name.length > X_QINIU_PREFIX.length && name.startsWith(X_QINIU_PREFIX)) {
      picked.push([name, value])
    }
  }
  // Go sorts by name, then value, in byte order. Header names are ASCII and header values are
  // ByteStrings (code points ≤ 0xFF), where UTF-16 code-unit order is the same order.
  picked.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
  return picked.map(([name, value]) => `${name}: ${value}`)
}

/** v2 ("Qiniu") signing string; see provider-protocols.md §1.4 for the exact layout. */
export function qiniuV2SigningString(input: QiniuV2SigningInput): string {
  const { method, path, rawQuery, host, headers, body } = input
  // Unset or empty Content-Type is signed as the form type (Go and Node agree). Callers should
  // still send it explicitly so what is signed is what the server sees.
  const contentType = input.contentType || FORM_CONTENT_TYPE
  let data = `${method.toUpperCase()} ${pathAndQuery(path, rawQuery)}`
  data += `\nHost: ${host}`
  data += `\nContent-Type: ${contentType}`
  for (const line of xQiniuHeaderLines(headers)) data += `\n${line}`
  data += '\n\n'
  // Body rule follows Node (everything but octet-stream). Go signs only form and JSON bodies and
  // the doc additionally requires Content-Length; all three agree for the form and JSON bodies
  // this gateway sends.
  if (body && contentType !== OCTET_STREAM) data += body
  return data
}

/** Authorization header value `Qiniu <AK>:<sign>` for a management request. */
export async function signQiniuV2(input: QiniuCredentials & QiniuV2SigningInput): Promise<string> {
  return `Qiniu ${await qiniuSign(input.accessKey, input.secretKey, qiniuV2SigningString(input))}`
}
