/**
 * Qiniu form upload (`POST <up host>/`, multipart/form-data with `token`, `key` and `file`) and its
 * upload token `<AK>:<urlsafe_b64(HMAC-SHA1(SK, encodedPutPolicy))>:<encodedPutPolicy>`.
 */
import { toHex, utf8 } from '../../crypto/encoding.ts'
import { encodeBase64UrlString } from '../../crypto/qiniu-entry.ts'
import { qiniuSign, type QiniuCredentials } from './qiniu-auth.ts'

/** How long an upload token stays valid: one upload, with room for a slow link. */
export const UPLOAD_TOKEN_TTL_S = 3600

/** The put policy fields this gateway sets (Qiniu has many more). */
export interface PutPolicy {
  /** `<bucket>` (insert only) or `<bucket>:<key>` (this key, overwriting it). */
  scope: string
  /** Unix seconds after which the token is refused. */
  deadline: number
  [field: string]: unknown
}

/** The upload token of a put policy; the policy's JSON keeps the fields' order, which is what is signed. */
export async function uploadToken(policy: PutPolicy, creds: QiniuCredentials): Promise<string> {
  const encoded = encodeBase64UrlString(JSON.stringify(policy))
  return `${await qiniuSign(creds.accessKey, creds.secretKey, encoded)}:${encoded}`
}

export interface UploadForm {
  body: Uint8Array
  /** The request's Content-Type, with the boundary. */
  contentType: string
}

/**
 * The multipart/form-data body of a form upload, built byte for byte: FormData would turn a lone
 * CR or LF in the key into CRLF (the HTML form encoding rules), changing the key. The file part is
 * last, as the upload API asks.
 */
export function uploadForm(fields: { token: string; key: string }, file: { bytes: Uint8Array; contentType: string; filename: string }): UploadForm {
  // 128 random bits: the chance of the boundary occurring in the content is negligible.
  const boundary = `----batchgate-${toHex(crypto.getRandomValues(new Uint8Array(16)))}`
  const head = (name: string, extra = '') => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n`
  const parts = [
    utf8(`${head('token')}\r\n${fields.token}\r\n`),
    utf8(`${head('key')}\r\n${fields.key}\r\n`),
    utf8(`${head('file', `; filename="${escapeQuoted(file.filename)}"`)}Content-Type: ${file.contentType}\r\n\r\n`),
    file.bytes,
    utf8(`\r\n--${boundary}--\r\n`),
  ]
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    body.set(p, at)
    at += p.length
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

/** A quoted header parameter, escaped as the HTML form encoding does: '"' → %22, CR → %0D, LF → %0A. */
const escapeQuoted = (s: string) => s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
