/**
 * Byte/string encodings used by the signers: UTF-8, base64 (standard and Qiniu's URL-safe
 * variant), and hex. Runtime-agnostic: relies only on TextEncoder/TextDecoder and btoa/atob.
 */

const encoder = new TextEncoder()
// fatal: a key or entry that is not valid UTF-8 must be rejected, not silently given U+FFFD.
// ignoreBOM: keep a leading U+FEFF; by default it is stripped, which would corrupt such a key.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// String.fromCharCode(...bytes) spreads every byte as an argument and overflows the call stack
// somewhere past ~100k arguments, so binary strings are built in chunks well below that.
const CHUNK = 0x8000

/** UTF-8 encode a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s)
}

/** Decode UTF-8 bytes, throwing a TypeError on malformed input. */
export function utf8Decode(bytes: ArrayBuffer | Uint8Array): string {
  return strictDecoder.decode(bytes)
}

function asBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data)
}

/** Standard base64 (RFC 4648 §4) with '=' padding. */
export function toBase64(data: ArrayBuffer | Uint8Array): string {
  const bytes = asBytes(data)
  const parts: string[] = []
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const chunk = bytes.subarray(i, i + CHUNK) as unknown as number[]
    parts.push(String.fromCharCode.apply(null, chunk))
  }
  return btoa(parts.join(''))
}

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Qiniu URL-safe base64: '+'→'-', '/'→'_', and (unlike common base64url) '=' padding kept. */
export function toBase64Url(data: ArrayBuffer | Uint8Array): string {
  const bytes = asBytes(data)
  // Entry URIs are short and built a thousand times a batch: one table pass beats
  // fromCharCode + btoa + two regex replaces there; long inputs keep the native path.
  if (bytes.length > 512) return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_')
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += URL_SAFE[n >>> 18]! + URL_SAFE[(n >>> 12) & 63]! + URL_SAFE[(n >>> 6) & 63]! + URL_SAFE[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += URL_SAFE[n >>> 18]! + URL_SAFE[(n >>> 12) & 63]! + '=='
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += URL_SAFE[n >>> 18]! + URL_SAFE[(n >>> 12) & 63]! + URL_SAFE[(n >>> 6) & 63]! + '='
  }
  return out
}

/** Decode base64 in either alphabet (standard or URL-safe); padding is optional. */
export function fromBase64(s: string): Uint8Array {
  // atob implements the WHATWG forgiving-base64 decoder: it accepts missing padding and throws
  // on characters outside the standard alphabet, so mapping the URL-safe ones first suffices.
  const binary = atob(s.replace(/-/g, '+').replace(/_/g, '/'))
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/** Decode URL-safe base64; accepts the standard alphabet too, so it is an alias of fromBase64. */
export function fromBase64Url(s: string): Uint8Array {
  return fromBase64(s)
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lower-case hex of the bytes. */
export function toHex(data: ArrayBuffer | Uint8Array): string {
  const bytes = asBytes(data)
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
  return out
}
