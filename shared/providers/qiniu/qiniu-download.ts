/**
 * Qiniu private download URLs: `<domain>/<key>?e=<deadline>&token=<AK>:<urlsafe_b64(HMAC-SHA1(SK,
 * url-with-e))>`, the algorithm of every Qiniu SDK (`privateDownloadUrl`). A domain is bound to one
 * bucket, so the URL names no bucket.
 */
import { ObjectIOError } from '../../engine/types.ts'
import { qiniuSign, type QiniuCredentials } from './qiniu-auth.ts'

/** How long a download URL stays valid: long enough for one read however slow, and no longer. */
export const DOWNLOAD_URL_TTL_S = 3600

/**
 * The key as a URL path: each '/'-separated segment percent-encoded (encodeURIComponent, so '+',
 * '%', '?', '#' and spaces are escaped), the '/' kept, as the download servers decode it.
 */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/')
}

/**
 * Signs a download URL: appends `e=<deadline>` (with '?' or '&', as the URL already has a query or
 * not), signs that whole URL, and appends `token=`. The SDKs' `privateDownloadUrl` step, exported
 * for the upstream vectors.
 */
export async function signDownloadUrl(baseUrl: string, deadline: number, creds: QiniuCredentials): Promise<string> {
  const withDeadline = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}e=${deadline}`
  return `${withDeadline}&token=${await qiniuSign(creds.accessKey, creds.secretKey, withDeadline)}`
}

/**
 * The private download URL of `key` under `domain` (a base URL, possibly with a path). What is
 * signed is the URL exactly as fetch will send it (parsed and serialised first), since the server
 * checks the token against the URL it receives.
 */
export async function privateDownloadUrl(domain: string, key: string, deadline: number, creds: QiniuCredentials): Promise<string> {
  const base = new URL(domain)
  if (base.search !== '' || base.hash !== '') throw new ObjectIOError('InvalidArgument', 'the Qiniu download domain must be a plain base URL, without a query or fragment', false)
  // '.' and '..' segments would be resolved away by URL parsing (also as %2E), reading another key.
  if (key.split('/').some((s) => s === '.' || s === '..'))
    throw new ObjectIOError('InvalidArgument', 'Qiniu download URLs cannot carry "." or ".." path segments', false)
  const url = new URL(`${base.href.replace(/\/+$/, '')}/${encodeKeyPath(key)}`)
  return signDownloadUrl(url.href, deadline, creds)
}
