/** Digests and HMAC over WebCrypto (crypto.subtle), with a bounded cache of imported HMAC keys. */

import { toBase64, toHex, utf8 } from './encoding.ts'

/** Hash functions the signers use for HMAC. */
export type HmacHash = 'SHA-1' | 'SHA-256'

/** Key material accepted by {@link hmac} and {@link hmacKey}. */
export type HmacKeyMaterial = string | ArrayBuffer | Uint8Array

/** Most imported HMAC keys kept; beyond this the least recently used one is dropped. */
export const HMAC_KEY_CACHE_LIMIT = 256

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? utf8(data) : data
}

/** SHA-256 digest of a string (UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', bytesOf(data))
}

/** Lower-case hex SHA-256. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await sha256(data))
}

/**
 * MD5 digest. Not part of the WebCrypto standard: workerd supports it for legacy protocols
 * (Content-MD5), Node's WebCrypto does not, so this only runs in Workers.
 */
export function md5(data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest('MD5', bytesOf(data))
}

/** Standard base64 MD5, the form Content-MD5 headers use. */
export async function md5Base64(data: string | Uint8Array): Promise<string> {
  return toBase64(await md5(data))
}

/** Lower-case hex MD5. */
export async function md5Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await md5(data))
}

// Promises are cached (not resolved keys) so concurrent first uses share one importKey call.
// Map iteration order is insertion order, which makes delete+set a cheap LRU.
const keyCache = new Map<string, Promise<CryptoKey>>()

function cacheId(hash: HmacHash, key: HmacKeyMaterial): string {
  // The 's'/'b' tag keeps a string key and a binary key with the same text form apart.
  if (typeof key === 'string') return `${hash}|s|${key}`
  return `${hash}|b|${toHex(key)}`
}

/** Imported HMAC CryptoKey for the secret, cached so repeated signing does not re-import. */
export function hmacKey(hash: HmacHash, key: HmacKeyMaterial): Promise<CryptoKey> {
  const id = cacheId(hash, key)
  const hit = keyCache.get(id)
  if (hit) {
    keyCache.delete(id)
    keyCache.set(id, hit)
    return hit
  }
  const raw = typeof key === 'string' ? utf8(key) : key
  const imported = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash }, false, ['sign'])
  // A failed import must not poison the cache for later calls.
  imported.catch(() => {
    if (keyCache.get(id) === imported) keyCache.delete(id)
  })
  keyCache.set(id, imported)
  if (keyCache.size > HMAC_KEY_CACHE_LIMIT) {
    const oldest = keyCache.keys().next().value
    if (oldest !== undefined) keyCache.delete(oldest)
  }
  return imported
}

/** HMAC of a string (UTF-8) or bytes under the given hash. */
export async function hmac(
  hash: HmacHash,
  key: HmacKeyMaterial,
  msg: string | Uint8Array,
): Promise<ArrayBuffer> {
  return crypto.subtle.sign('HMAC', await hmacKey(hash, key), bytesOf(msg))
}
