/** Qiniu EncodedEntryURI: URL-safe base64 of `bucket:key`, as used in management op paths. */

import { fromBase64Url, utf8Decode, utf8ToBase64Url } from './encoding.ts'

/**
 * EncodedEntryURI of `bucket:key`, or of `bucket` alone when key is undefined (Node SDK rule;
 * an empty-string key still gets the colon). Padding is kept, as Qiniu expects.
 */
export function encodedEntryURI(bucket: string, key?: string): string {
  return encodeBase64UrlString(key === undefined ? bucket : `${bucket}:${key}`)
}

/** Qiniu URL-safe base64 of a string's UTF-8 bytes (mime and meta values in op paths). */
export function encodeBase64UrlString(s: string): string {
  return utf8ToBase64Url(s)
}

/**
 * Inverse of {@link encodedEntryURI}. Splits at the FIRST ':' because bucket names cannot
 * contain one while keys can. Throws on bad base64 or invalid UTF-8.
 */
export function decodeEncodedEntryURI(e: string): { bucket: string; key?: string } {
  const entry = utf8Decode(fromBase64Url(e))
  const colon = entry.indexOf(':')
  if (colon < 0) return { bucket: entry }
  return { bucket: entry.slice(0, colon), key: entry.slice(colon + 1) }
}
