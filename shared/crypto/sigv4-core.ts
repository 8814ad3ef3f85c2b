/**
 * What AWS SigV4 and OSS V4 share: RFC 3986 encoding, the canonical query and headers, the
 * HMAC-SHA256 key-derivation chain (with a bounded cache of derived keys) and the
 * canonical request → string to sign → signature pipeline. The two schemes differ only in the
 * few names and rules a {@link SigV4Dialect} carries; everything else lives here once.
 */

import { toHex, utf8 } from './encoding.ts'
import { hmac, hmacKey, sha256Hex } from './hash.ts'

/** The names and rules that tell AWS SigV4 and OSS V4 apart. */
export interface SigV4Dialect {
  /** First line of the string to sign and Authorization scheme: `AWS4-HMAC-SHA256`. */
  algorithm: string
  /** Prepended to the secret for the first HMAC: `AWS4` or `aliyun_v4`. */
  keyPrefix: string
  /** Last element of the credential scope: `aws4_request` or `aliyun_v4_request`. */
  terminator: string
  /** Write a query key with an empty value bare, `k` (OSS), instead of `k=` (AWS). */
  bareEmptyQueryKey: boolean
  /** Collapse inner runs of whitespace in header values (AWS "Trimall"); OSS only trims. */
  collapseHeaderSpaces: boolean
}

/** Most derived signing keys kept; beyond this the least recently used one is dropped. */
export const SIGNING_KEY_CACHE_LIMIT = 64

/** `yyyyMMddTHHmmssZ` in UTC: x-amz-date / x-oss-date of V4 signatures. */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')
}

const HEX_UPPER = Array.from({ length: 256 }, (_, i) => '%' + i.toString(16).toUpperCase().padStart(2, '0'))

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e // - . _ ~
  )
}

function encodeByte(b: number): string {
  return isUnreserved(b) ? String.fromCharCode(b) : HEX_UPPER[b]!
}

/**
 * RFC 3986 percent-encoding of a raw string's UTF-8 bytes (only `A-Za-z0-9-._~` stay), with
 * upper-case hex; '/' is kept when keepSlash. Same as ali-oss `encodeString` and Go `escapePath`.
 */
export function uriEncode(raw: string, keepSlash = false): string {
  // encodeURIComponent leaves !'()* alone, which RFC 3986 (and both servers) treat as reserved.
  const encoded = encodeURIComponent(raw).replace(/[!'()*]/g, (c) => HEX_UPPER[c.charCodeAt(0)]!)
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded
}

/**
 * Canonical URI of an already percent-encoded path: each segment normalised to exactly one level
 * of RFC 3986 encoding. Existing `%XX` triplets are kept as bytes (never encoded twice, hex made
 * upper-case, `%2F` stays inside its segment) and the characters WHATWG URL leaves literal in a
 * path (`!$&'()*+,;=:@`, a lone `%`) are encoded. Idempotent, so a path built with
 * {@link uriEncode} is signed as sent.
 */
export function canonicalUriPath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) =>
      segment.replace(/%([0-9A-Fa-f]{2})|[^%]+|%/g, (run, hex: string | undefined) =>
        hex === undefined ? uriEncode(run) : encodeByte(parseInt(hex, 16)),
      ),
    )
    .join('/')
}

/**
 * Canonical query string: every parameter decoded (form rules: '+' is a space, as aws4fetch and
 * the OSS Go SDK read it) and RFC 3986 re-encoded, sorted by encoded key then value, joined with
 * '&'. A parameter with an empty value is `k=` or, when bareEmptyKey, `k`. Empty keys are dropped.
 */
export function canonicalQuery(search: string, bareEmptyKey: boolean): string {
  const pairs: [string, string][] = []
  for (const [k, v] of new URLSearchParams(search)) {
    if (k !== '') pairs.push([uriEncode(k), uriEncode(v)])
  }
  pairs.sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
  return pairs.map(([k, v]) => (v === '' && bareEmptyKey ? k : `${k}=${v}`)).join('&')
}

/** The canonical-headers block (`name:value\n` per header) and the `;`-joined sorted names. */
export interface CanonicalHeaders {
  canonical: string
  names: string
}

/** Canonical headers of lower-case (name, value) pairs: sorted by name, values trimmed. */
export function canonicalHeaders(entries: [string, string][], collapseSpaces: boolean): CanonicalHeaders {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  let canonical = ''
  for (const [name, value] of sorted) {
    const trimmed = value.trim()
    canonical += `${name}:${collapseSpaces ? trimmed.replace(/\s+/g, ' ') : trimmed}\n`
  }
  return { canonical, names: sorted.map(([name]) => name).join(';') }
}

/** The six parts of a canonical request, each already in canonical form. */
export interface CanonicalRequestParts {
  method: string
  uri: string
  query: string
  headers: CanonicalHeaders
  payloadHash: string
}

/** METHOD \n URI \n query \n headers-block \n names \n payload hash (the headers block ends in \n). */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  return [
    parts.method.toUpperCase(),
    parts.uri,
    parts.query,
    parts.headers.canonical,
    parts.headers.names,
    parts.payloadHash,
  ].join('\n')
}

// Promises are cached so concurrent first signatures of a day share one derivation; insertion
// order makes delete+set a cheap LRU (same scheme as hash.ts).
const signingKeys = new Map<string, Promise<CryptoKey>>()

async function deriveSigningKey(
  dialect: SigV4Dialect,
  secret: string,
  date: string,
  region: string,
  service: string,
): Promise<CryptoKey> {
  const kDate = await hmac('SHA-256', dialect.keyPrefix + secret, date)
  const kRegion = await hmac('SHA-256', kDate, region)
  const kService = await hmac('SHA-256', kRegion, service)
  const kSigning = await hmac('SHA-256', kService, dialect.terminator)
  return hmacKey('SHA-256', kSigning)
}

/**
 * HMAC key of the chain prefix+secret → date (yyyyMMdd) → region → service → terminator,
 * cached per (prefix, terminator, secret, date, region, service): the same CryptoKey is returned
 * until the date changes or the entry is evicted.
 */
export function signingKey(
  dialect: SigV4Dialect,
  secret: string,
  date: string,
  region: string,
  service: string,
): Promise<CryptoKey> {
  // JSON of an array cannot collide across fields the way a ','-join could.
  const id = JSON.stringify([dialect.keyPrefix, dialect.terminator, secret, date, region, service])
  const hit = signingKeys.get(id)
  if (hit) {
    signingKeys.delete(id)
    signingKeys.set(id, hit)
    return hit
  }
  const derived = deriveSigningKey(dialect, secret, date, region, service)
  // A failed derivation must not poison the cache for later calls.
  derived.catch(() => {
    if (signingKeys.get(id) === derived) signingKeys.delete(id)
  })
  signingKeys.set(id, derived)
  if (signingKeys.size > SIGNING_KEY_CACHE_LIMIT) {
    const oldest = signingKeys.keys().next().value
    if (oldest !== undefined) signingKeys.delete(oldest)
  }
  return derived
}

/** What {@link signV4} needs besides the dialect. datetime is `yyyyMMddTHHmmssZ`. */
export interface SigV4Input {
  secret: string
  datetime: string
  region: string
  service: string
  canonicalRequest: string
}

/** Credential scope, string to sign and hex signature of one request. */
export interface SigV4Signature {
  scope: string
  stringToSign: string
  signature: string
}

/** String to sign `ALG \n datetime \n scope \n hex(sha256(creq))` and its HMAC-SHA256 signature. */
export async function signV4(dialect: SigV4Dialect, input: SigV4Input): Promise<SigV4Signature> {
  const date = input.datetime.slice(0, 8)
  const scope = `${date}/${input.region}/${input.service}/${dialect.terminator}`
  const stringToSign = [
    dialect.algorithm,
    input.datetime,
    scope,
    await sha256Hex(input.canonicalRequest),
  ].join('\n')
  const key = await signingKey(dialect, input.secret, date, input.region, input.service)
  const signature = toHex(await crypto.subtle.sign('HMAC', key, utf8(stringToSign)))
  return { scope, stringToSign, signature }
}
