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

/** Qiniu URL-safe base64: '+'→'-', '/'→'_', and (unlike common base64url) '=' padding kept. */
export function toBase64Url(data: ArrayBuffer | Uint8Array): string {
  return toBase64(data).replace(/\+/g, '-').replace(/\//g, '_')
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
