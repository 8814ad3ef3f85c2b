/**
 * RSF listing: `GET|POST /list?bucket=<b>&marker=<m>&limit=<n>&prefix=<p>` — the rsf host's API,
 * authenticated with a management token exactly as the RS routes are (qiniu-auth.ts).
 *
 * Keys come in the order of their UTF-8 bytes, at most `limit` (1–1000, default 1000; anything else
 * is 400) a page, those starting with `prefix`. `marker` is where the previous page ended, in
 * Qiniu's own form: urlsafe_b64(`{"c":0,"k":"<last key>"}`); the last page has no marker. A marker
 * that does not decode answers 640, an unknown bucket 631, a bucket of another region (on a
 * multi-region account) 400 "incorrect region". `delimiter` (common prefixes) is not
 * emulated: a non-empty one answers 400 rather than a listing that ignores it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBody, sendJsonText } from '../http-io.ts'
import { authenticate } from './qiniu-auth.ts'
import { applyFaults, loggedFault, sendError, type RouteContext } from './qiniu-route-support.ts'
import { compareKeys, toJson } from './qiniu-store.ts'
import type { LogEntry } from '../control.ts'

const MAX_LIMIT = 1000

export const encodeMarker = (lastKey: string): string => Buffer.from(JSON.stringify({ c: 0, k: lastKey }), 'utf8').toString('base64url')

function decodeMarker(marker: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+=*$/.test(marker)) return undefined
  try {
    const m: unknown = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'))
    const k = (m as { k?: unknown } | null)?.k
    return typeof k === 'string' ? k : undefined
  } catch {
    return undefined
  }
}

export async function handleList(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
  const at = ctx.now()
  const method = req.method ?? 'GET'
  if (method !== 'GET' && method !== 'POST') {
    req.resume()
    return sendError(res, 405, 'method not allowed', { Allow: 'GET, POST' })
  }
  const body = (await readBody(req, 64 * 1024)).toString('utf8')
  const q = new URLSearchParams(rawQuery)
  const bucket = q.get('bucket') ?? ''
  const auth = authenticate(req, body, { credentials: ctx.credentials, now: ctx.now, maxSkewMs: ctx.maxSkewMs })
  const log = (httpStatus: number, fault?: LogEntry['fault']) => {
    const e: LogEntry = { method, path: rawPath, auth: auth.scheme, accessKey: auth.accessKey, ops: 1, httpStatus, at }
    if (fault) e.fault = fault
    if (bucket !== '') ctx.log.record([bucket], e)
  }
  if (!auth.ok) {
    log(auth.status)
    return sendError(res, auth.status, auth.error)
  }
  const limitText = q.get('limit') ?? ''
  const limit = limitText === '' ? MAX_LIMIT : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN
  const marker = q.get('marker') ?? ''
  const after = marker === '' ? undefined : decodeMarker(marker)
  const bad =
    bucket === '' ? 'invalid bucket name'
    : !(limit >= 1 && limit <= MAX_LIMIT) ? `invalid limit: ${limitText} (1 to ${MAX_LIMIT})`
    : (q.get('delimiter') ?? '') !== '' ? 'the emulator does not support delimiter'
    : undefined
  if (bad !== undefined) {
    log(400)
    return sendError(res, 400, bad)
  }
  const faults = await applyFaults(ctx, res, { bucket }, log)
  if (faults.answered) return
  if (faults.opFault) {
    log(faults.opFault.code, 'op')
    return sendError(res, faults.opFault.code, faults.opFault.error ?? ctx.defaultError(faults.opFault.code))
  }
  const fault = loggedFault(faults)
  if (marker !== '' && after === undefined) {
    log(640, fault)
    return sendError(res, 640, 'invalid marker')
  }
  const elsewhere = ctx.otherRegion?.(bucket)
  if (elsewhere) {
    log(elsewhere.code, fault)
    return sendError(res, elsewhere.code, elsewhere.error)
  }
  const objects = ctx.store.buckets.get(bucket)
  if (!objects) {
    log(631, fault)
    return sendError(res, 631, 'no such bucket')
  }
  const prefix = q.get('prefix') ?? ''
  const matching = [...objects.values()]
    .filter((o) => o.key.startsWith(prefix) && (after === undefined || compareKeys(o.key, after) > 0))
    .sort((a, b) => compareKeys(a.key, b.key))
  const page = matching.slice(0, limit)
  const items = page.map((o) => {
    const item: Record<string, unknown> = { key: o.key, hash: o.hash, fsize: o.fsize, mimeType: o.mimeType, putTime: o.putTime, type: o.type, status: o.status }
    if (o.md5 !== undefined) item.md5 = o.md5
    return item
  })
  const answer: Record<string, unknown> = { items }
  if (matching.length > limit) answer.marker = encodeMarker(page.at(-1)!.key)
  log(200, fault)
  sendJsonText(res, 200, toJson(answer))
}
