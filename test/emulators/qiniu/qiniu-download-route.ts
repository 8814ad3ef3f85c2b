/**
 * Private downloads: `GET|HEAD /download/<bucket>/<key>?e=<deadline>&token=<AK>:<sign>`.
 *
 * On Qiniu a download domain is bound to one bucket and the URL names no bucket. The emulator has
 * one host, so its "domains" are path prefixes: `<emulator>/download/<bucket>` is the domain of
 * `<bucket>`, and an account's `downloadDomain` names it. Everything after the prefix is the key,
 * percent-decoded.
 *
 * The token is checked as the download servers check it: `sign` must be
 * urlsafe_b64(HMAC-SHA1(SK, <the URL up to, not including, "&token=">)), recomputed here with the
 * qiniu SDK's own `util.hmacSha1` over `http://<Host><path>?<query>` as received; a missing or
 * wrong token or a past `e` is 401. Range: one `bytes=` range answers 206 with Content-Range, one
 * past the end 416; anything else the whole object (200). A missing object is 404, a disabled one
 * 403. Objects seeded without content serve `fsize` zero bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import qiniu from 'qiniu'
import { applyFaults, loggedFault, requestLogger, safeEqual, sendError, type RouteContext } from './qiniu-route-support.ts'

export const DOWNLOAD_PREFIX = '/download/'

type Token = { ok: true; accessKey: string } | { ok: false; error: string; accessKey: string | null }

function checkToken(ctx: RouteContext, req: IncomingMessage, rawPath: string, rawQuery: string): Token {
  const at = rawQuery.lastIndexOf('&token=')
  if (at < 0) return { ok: false, error: 'download token not specified', accessKey: null }
  const signedQuery = rawQuery.slice(0, at)
  const token = rawQuery.slice(at + '&token='.length)
  const colon = token.indexOf(':')
  const accessKey = colon > 0 ? token.slice(0, colon) : null
  const secretKey = accessKey === null ? undefined : ctx.credentials.get(accessKey)
  if (accessKey === null || secretKey === undefined || !req.headers.host) return { ok: false, error: 'bad token', accessKey }
  const signedUrl = `http://${req.headers.host}${rawPath}?${signedQuery}`
  const expected = qiniu.util.base64ToUrlSafe(qiniu.util.hmacSha1(signedUrl, secretKey))
  if (!safeEqual(expected, token.slice(colon + 1))) return { ok: false, error: 'bad token', accessKey }
  const e = new URLSearchParams(signedQuery).get('e')
  if (e === null || !/^\d{1,12}$/.test(e)) return { ok: false, error: 'bad token: no deadline', accessKey }
  if (Number(e) * 1000 < ctx.now()) return { ok: false, error: 'token expired', accessKey }
  return { ok: true, accessKey }
}

/** [start, end] inclusive of one satisfiable range; 'unsatisfiable'; or undefined for the whole object. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const n = Number(m[2])
    return n === 0 || size === 0 ? 'unsatisfiable' : [Math.max(0, size - n), size - 1]
  }
  const start = Number(m[1])
  if (m[2] !== '' && Number(m[2]) < start) return undefined // invalid: ignored, as RFC 9110 says
  if (start >= size) return 'unsatisfiable'
  return [start, m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)]
}

export async function handleDownload(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
  const at = ctx.now()
  req.resume()
  const rest = rawPath.slice(DOWNLOAD_PREFIX.length)
  const slash = rest.indexOf('/')
  let bucket: string | undefined
  let key: string | undefined
  try {
    bucket = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash))
    key = slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1))
  } catch {
    bucket = undefined
  }
  const token = checkToken(ctx, req, rawPath, rawQuery)
  const log = requestLogger(ctx, req, rawPath, bucket, token.accessKey, at)
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    log(405)
    return sendError(res, 405, 'method not allowed', { Allow: 'GET, HEAD' })
  }
  if (bucket === undefined || key === undefined || bucket === '' || key === '') {
    log(400)
    return sendError(res, 400, 'invalid path: /download/<bucket>/<key>')
  }
  if (!token.ok) {
    log(401)
    return sendError(res, 401, token.error)
  }
  const faults = await applyFaults(ctx, res, { bucket, key }, log)
  if (faults.answered) return
  if (faults.opFault) {
    log(faults.opFault.code, 'op')
    return sendError(res, faults.opFault.code, faults.opFault.error ?? ctx.defaultError(faults.opFault.code))
  }
  const fault = loggedFault(faults)
  const o = ctx.store.getObject(bucket, key)
  if (!o) {
    log(404, fault)
    return sendError(res, 404, ctx.store.buckets.has(bucket) ? 'Document not found' : 'no such bucket')
  }
  if (o.status === 1) {
    log(403, fault)
    return sendError(res, 403, 'file disabled')
  }
  const content = o.content ?? Buffer.alloc(o.fsize)
  const headers: Record<string, string> = {
    'Content-Type': o.mimeType,
    ETag: `"${o.hash}"`,
    'Accept-Ranges': 'bytes',
    'Last-Modified': new Date(Number(o.putTime / 10_000n)).toUTCString(),
  }
  const range = parseRange(req.headers.range, content.length)
  if (range === 'unsatisfiable') {
    log(416, fault)
    return sendError(res, 416, 'requested range not satisfiable', { 'Content-Range': `bytes */${content.length}` })
  }
  const [status, body] = range ? [206, content.subarray(range[0], range[1] + 1)] : [200, content]
  if (range) headers['Content-Range'] = `bytes ${range[0]}-${range[1]}/${content.length}`
  headers['Content-Length'] = String(body.length)
  log(status, fault)
  res.writeHead(status, headers)
  res.end(req.method === 'HEAD' ? undefined : body)
}
