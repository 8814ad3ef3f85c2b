import { toBase64Url } from '../../crypto/encoding.ts'

/** Qiniu hashes content in 4 MiB blocks. */
export const QETAG_BLOCK = 4 * 1024 * 1024

const sha1 = async (data: Uint8Array) => new Uint8Array(await crypto.subtle.digest('SHA-1', data))

/**
 * Qiniu's ETag of whole content (its `hash`, the "qetag"): up to one 4 MiB block,
 * urlsafe_base64(0x16 ‖ sha1(data)); beyond, urlsafe_base64(0x96 ‖ sha1(sha1(block₁) ‖ … ‖ sha1(blockₙ))).
 * Always 28 characters (21 bytes, so no padding).
 */
export async function qiniuEtag(data: Uint8Array): Promise<string> {
  if (data.length <= QETAG_BLOCK) return toBase64Url(prefixed(0x16, await sha1(data)))
  const blocks = Math.ceil(data.length / QETAG_BLOCK)
  const digests = new Uint8Array(blocks * 20)
  for (let i = 0; i < blocks; i++) digests.set(await sha1(data.subarray(i * QETAG_BLOCK, (i + 1) * QETAG_BLOCK)), i * 20)
  return toBase64Url(prefixed(0x96, await sha1(digests)))
}

function prefixed(mark: number, digest: Uint8Array): Uint8Array {
  const out = new Uint8Array(21)
  out[0] = mark
  out.set(digest, 1)
  return out
}
