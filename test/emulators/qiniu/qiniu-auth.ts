/**
 * Authentication of Qiniu management requests, checked with the official `qiniu` SDK signers (an
 * implementation independent of the gateway's):
 *   - `QBox <AK>:<sig>`  = generateAccessToken(mac, 'http://' + Host + url, body) where the body
 *     is included only when Content-Type is exactly `application/x-www-form-urlencoded`.
 *   - `Qiniu <AK>:<sig>` = generateAccessTokenV2(mac, 'http://' + Host + url, method,
 *     Content-Type, body, X-Qiniu-* headers) where the body is included only when Content-Type
 *     is exactly `application/x-www-form-urlencoded` or `application/json` (the Go SDK rule,
 *     `incBodyV2`; the Node SDK would include it for any type but octet-stream).
 *   The Host header is used as received. The Node SDK's v2 signer appends a non-default port a
 *   second time, so v2 tokens only verify correctly when the emulator is reached on port 80.
 *   Then, if `X-Qiniu-Date` is present, it must be `yyyyMMddTHHmmssZ` within maxSkewMs of the
 *   clock, else 403.
 */
import type { IncomingMessage } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import qiniu from 'qiniu'

export const FORM = 'application/x-www-form-urlencoded'
const JSON_CT = 'application/json'
const DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/

export type AuthResult =
  | { ok: true; scheme: 'Qiniu' | 'QBox'; accessKey: string }
  | { ok: false; status: 401 | 403; error: string; scheme: 'Qiniu' | 'QBox' | 'none'; accessKey: string | null }

export interface QiniuAuthOptions {
  /** Access key → secret key. */
  credentials: ReadonlyMap<string, string>
  maxSkewMs: number
  now: () => number
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export function authenticate(req: IncomingMessage, body: string, opts: QiniuAuthOptions): AuthResult {
  const header = req.headers.authorization
  const m = header === undefined ? null : /^(Qiniu|QBox) ([^:\s]+):(\S+)$/.exec(header)
  if (!m) return { ok: false, status: 401, error: 'bad token', scheme: 'none', accessKey: null }
  const scheme = m[1] as 'Qiniu' | 'QBox'
  const accessKey = m[2]!
  const fail = (status: 401 | 403, error: string): AuthResult => ({ ok: false, status, error, scheme, accessKey })
  const secretKey = opts.credentials.get(accessKey)
  const hostHeader = req.headers.host
  if (secretKey === undefined || !hostHeader) return fail(401, 'bad token')
  const mac = new qiniu.auth.digest.Mac(accessKey, secretKey)
  const requestURI = 'http://' + hostHeader + (req.url ?? '/')
  const contentType = req.headers['content-type']
  let expected: string
  try {
    if (scheme === 'QBox') {
      expected = qiniu.util.generateAccessToken(mac, requestURI, contentType === FORM ? body : undefined)
    } else {
      const qiniuHeaders: Record<string, string> = {}
      for (const [name, values] of Object.entries(req.headersDistinct)) {
        if (name.startsWith('x-qiniu-') && values && values[0] !== undefined) qiniuHeaders[name] = values[0]
      }
      const withBody = contentType === FORM || contentType === JSON_CT
      expected = qiniu.util.generateAccessTokenV2(mac, requestURI, req.method ?? 'GET', contentType ?? '', withBody ? body : undefined, qiniuHeaders)
    }
  } catch {
    return fail(401, 'bad token')
  }
  if (!safeEqual(expected, header!)) return fail(401, 'bad token')
  const date = req.headersDistinct['x-qiniu-date']?.[0]
  if (date !== undefined) {
    const d = DATE_RE.exec(date)
    const t = d ? Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!) : NaN
    const valid = d !== null && new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') === date
    if (!valid) return fail(403, 'invalid X-Qiniu-Date')
    if (Math.abs(opts.now() - t) > opts.maxSkewMs) return fail(403, 'request time too skewed')
  }
  return { ok: true, scheme, accessKey }
}
