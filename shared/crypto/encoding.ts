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
  return base64UrlOf(bytes, bytes.length)
}

// A short string's UTF-8 bytes are written here rather than by TextEncoder: in workerd each
// encode() crosses into C++ and cost ~0.3 µs, a third of an EncodedEntryURI (0.3 ms per
// 1,000-op Qiniu batch). 171 UTF-16 units take at most 513 bytes.
const SHORT = 171
const scratch = new Uint8Array(3 * SHORT)
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/

/**
 * {@link toBase64Url} of a string's UTF-8 bytes (as TextEncoder writes them: an unpaired
 * surrogate becomes U+FFFD), encoded in place for short strings.
 */
export function utf8ToBase64Url(s: string): string {
  // ASCII text is its own UTF-8 and its own binary string: btoa (native) encodes it in one call,
  // ~2× cheaper in workerd than the table pass, whose string concatenations dominate it.
  if (ASCII.test(s)) {
    const b = btoa(s)
    return b.includes('+') || b.includes('/') ? b.replaceAll('+', '-').replaceAll('/', '_') : b
  }
  if (s.length > SHORT) return toBase64Url(utf8(s))
  let n = 0
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      scratch[n++] = c
      continue
    }
    if (c < 0x800) {
      scratch[n++] = 0xc0 | (c >> 6)
      scratch[n++] = 0x80 | (c & 63)
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        i++
        scratch[n++] = 0xf0 | (c >> 18)
        scratch[n++] = 0x80 | ((c >> 12) & 63)
        scratch[n++] = 0x80 | ((c >> 6) & 63)
        scratch[n++] = 0x80 | (c & 63)
        continue
      }
      c = 0xfffd
    }
    scratch[n++] = 0xe0 | (c >> 12)
    scratch[n++] = 0x80 | ((c >> 6) & 63)
    scratch[n++] = 0x80 | (c & 63)
  }
  return base64UrlOf(scratch, n)
}

/** The table pass of {@link toBase64Url} over the first `length` bytes. */
function base64UrlOf(bytes: Uint8Array, length: number): string {
  let out = ''
  let i = 0
  for (; i + 2 < length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += URL_SAFE[n >>> 18]! + URL_SAFE[(n >>> 12) & 63]! + URL_SAFE[(n >>> 6) & 63]! + URL_SAFE[n & 63]!
  }
  const rest = length - i
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
