/**
 * Pieces of request authentication that S3 (auth-s3.ts) and OSS (auth-oss.ts) share: OSS V4 is
 * modelled on SigV4, so the header layout, the compact date and the query decoding are the same.
 */
import { timingSafeEqual } from 'node:crypto'

const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/
export const SHA256_HEX_RE = /^[0-9a-f]{64}$/

/** Compares signatures in constant time, so that timing does not leak how much of one matched. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Parses `YYYYMMDDTHHMMSSZ`; NaN when malformed or not a real date. */
export function parseAmzDate(s: string): number {
  const m = AMZ_DATE_RE.exec(s)
  if (!m) return NaN
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)
  return new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') === s ? t : NaN
}

/** Decodes a query component the way URLSearchParams does ('+' is a space). Throws on bad escapes. */
export function decodeQueryComponent(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '))
}

/** All query parameters as received, decoded, in order (a name may repeat). Throws URIError. */
export function queryPairs(rawQuery: string): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const part of rawQuery.split('&')) {
    if (part === '') continue
    const i = part.indexOf('=')
    out.push(i < 0 ? [decodeQueryComponent(part), ''] : [decodeQueryComponent(part.slice(0, i)), decodeQueryComponent(part.slice(i + 1))])
  }
  return out
}

/**
 * The `Name=value, ...` components after the scheme of a V4-style Authorization header (S3 SigV4
 * and OSS V4 share the layout): exactly the `required` names plus any of the `optional` ones, a
 * `Credential` scope of five non-empty parts and a `Signature` of 64 hex digits. Undefined when
 * malformed.
 */
export function parseV4Components(
  rest: string,
  names: { required: readonly string[]; optional?: readonly string[] },
): { parts: Map<string, string>; scope: string[]; signature: string } | undefined {
  const parts = new Map<string, string>()
  for (const p of rest.split(',')) {
    const t = p.trim()
    const i = t.indexOf('=')
    if (i <= 0) return undefined
    parts.set(t.slice(0, i), t.slice(i + 1))
  }
  const allowed = [...names.required, ...(names.optional ?? [])]
  if (names.required.some((n) => !parts.has(n)) || [...parts.keys()].some((n) => !allowed.includes(n))) return undefined
  const scope = parts.get('Credential')!.split('/')
  const signature = parts.get('Signature')!
  if (scope.length !== 5 || scope.some((x) => x === '') || !SHA256_HEX_RE.test(signature)) return undefined
  return { parts, scope, signature }
}
