/**
 * What AWS Signature V2 and OSS Signature V1 share: both sign
 * `VERB \n Content-MD5 \n Content-Type \n Date \n <prefixed headers><resource>` with HMAC-SHA1 and
 * send `<SCHEME> <AK>:base64(sig)`. They differ only in the header prefix (`x-amz-` / `x-oss-`),
 * the scheme word, the sub-resource allow-list and how the resource path is formed, which each
 * signer supplies.
 */

import type { AccessKeyCredentials, SigningStages } from './request-signer.ts'
import { toBase64 } from './encoding.ts'
import { hmac } from './hash.ts'

/** A query parameter that takes part in the canonicalized resource; no value means a bare key. */
export interface SubResource {
  name: string
  value?: string
}

/** RFC 1123 date in GMT (`Fri, 24 May 2013 00:00:00 GMT`): the Date / x-amz-date / x-oss-date form. */
export function httpDate(d: Date): string {
  // toUTCString is specified (ES2018+) as exactly the IMF-fixdate form HTTP uses.
  return d.toUTCString()
}

/**
 * `name:value\n` for every header whose lower-case name starts with prefix, sorted by name,
 * values trimmed; '' when there are none. Repeated headers arrive joined by Headers as `a, b`.
 */
export function canonicalPrefixedHeaders(headers: Headers, prefix: string): string {
  const lines: [string, string][] = []
  for (const [name, value] of headers) {
    if (name.startsWith(prefix)) lines.push([name, value.trim()])
  }
  lines.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return lines.map(([name, value]) => `${name}:${value}\n`).join('')
}

/** `?a&b=c` of the sub-resources sorted by name (then value), or '' when there are none. */
export function canonicalSubresources(resources: SubResource[]): string {
  if (resources.length === 0) return ''
  const sorted = [...resources].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : (a.value ?? '') < (b.value ?? '') ? -1 : 1,
  )
  return '?' + sorted.map((r) => (r.value === undefined ? r.name : `${r.name}=${r.value}`)).join('&')
}

/** What the string to sign is built from; date is the exact Date-slot text (may be ''). */
export interface HeaderStringToSignInput {
  method: string
  headers: Headers
  date: string
  headerPrefix: string
  resource: string
}

/** VERB \n Content-MD5 \n Content-Type \n Date \n canonical prefixed headers + resource. */
export function headerStringToSign(input: HeaderStringToSignInput): string {
  const { headers } = input
  return (
    `${input.method.toUpperCase()}\n` +
    `${headers.get('content-md5') ?? ''}\n` +
    `${headers.get('content-type') ?? ''}\n` +
    `${input.date}\n` +
    canonicalPrefixedHeaders(headers, input.headerPrefix) +
    input.resource
  )
}

/**
 * Sign a string to sign with HMAC-SHA1 and set `Authorization: <scheme> <AK>:<base64 sig>` on
 * headers; returns the stages (no canonical request in this family).
 */
export async function signHmacSha1Header(
  scheme: string,
  creds: AccessKeyCredentials,
  headers: Headers,
  stringToSign: string,
): Promise<SigningStages> {
  const signature = toBase64(await hmac('SHA-1', creds.secretAccessKey, stringToSign))
  const authorization = `${scheme} ${creds.accessKeyId}:${signature}`
  headers.set('authorization', authorization)
  return { stringToSign, authorization }
}
