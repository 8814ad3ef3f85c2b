/**
 * Form upload: `POST /` with a multipart/form-data body of `token`, `key` (optional), `crc32`
 * (optional) and `file` — the up host's API. The body is parsed by undici's `Response.formData()`.
 *
 * The upload token `<AK>:<sign>:<encodedPutPolicy>` is checked with the qiniu SDK's own helpers:
 * `sign` must be urlsafe_b64(HMAC-SHA1(SK, encodedPutPolicy)) (`util.hmacSha1`), the policy
 * (`util.urlSafeBase64Decode`) must have a string `scope` and an integer `deadline` not past.
 * Scope `<bucket>:<key>` allows exactly that key and overwrites it (with `isPrefixalScope: 1`, keys
 * starting with it); scope `<bucket>` only adds objects (an existing key answers 614 unless its
 * content is the same), and so does `insertOnly: 1`. Without a `key` field the key is the hash.
 *
 * Answers: 200 `{hash, key}`; 400 body shape; 401 missing/bad/expired token; 403 key outside the
 * scope; 406 crc32 mismatch; 413 body over the cap; 614 exists; 631 no such bucket; on one region
 * of a multi-region account, 400 "incorrect region" for a bucket of another region.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { crc32 } from 'node:zlib'
import qiniu from 'qiniu'
import { mediaType, readBody } from '../http-io.ts'
import { applyFaults, loggedFault, requestLogger, safeEqual, sendError, type RouteContext } from './qiniu-route-support.ts'
import { qiniuEtag, toJson } from './qiniu-store.ts'

/** Far below Qiniu's 1 GB form limit, far above what the gateway writes (report shards, manifests). */
const MAX_UPLOAD = 64 * 1024 * 1024

interface Policy {
  bucket: string
  /** The key (or key prefix) the scope names; undefined for a bucket-only scope. */
  scopeKey?: string
  prefixal: boolean
  insertOnly: boolean
}

type TokenCheck = { ok: true; accessKey: string; policy: Policy } | { ok: false; status: 400 | 401; error: string; accessKey: string | null; bucket?: string }

function checkUploadToken(ctx: RouteContext, token: string | undefined): TokenCheck {
  if (token === undefined || token === '') return { ok: false, status: 401, error: 'token not specified', accessKey: null }
  const parts = token.split(':')
  if (parts.length !== 3) return { ok: false, status: 401, error: 'bad token', accessKey: null }
  const [accessKey, sign, encoded] = parts as [string, string, string]
  const secretKey = ctx.credentials.get(accessKey)
  if (secretKey === undefined) return { ok: false, status: 401, error: 'bad token', accessKey }
  const expected = qiniu.util.base64ToUrlSafe(qiniu.util.hmacSha1(encoded, secretKey))
  if (!safeEqual(expected, sign)) return { ok: false, status: 401, error: 'bad token', accessKey }
  let raw: unknown
  try {
    raw = JSON.parse(qiniu.util.urlSafeBase64Decode(encoded))
  } catch {
    return { ok: false, status: 400, error: 'invalid put policy', accessKey }
  }
  const p = raw as { scope?: unknown; deadline?: unknown; isPrefixalScope?: unknown; insertOnly?: unknown }
  if (typeof raw !== 'object' || raw === null || typeof p.scope !== 'string' || p.scope === '') return { ok: false, status: 400, error: 'invalid put policy: no scope', accessKey }
  const colon = p.scope.indexOf(':')
  const bucket = colon < 0 ? p.scope : p.scope.slice(0, colon)
  if (typeof p.deadline !== 'number' || !Number.isSafeInteger(p.deadline)) return { ok: false, status: 400, error: 'invalid put policy: no deadline', accessKey, bucket }
  if (p.deadline * 1000 < ctx.now()) return { ok: false, status: 401, error: 'expired token', accessKey, bucket }
  const policy: Policy = { bucket, prefixal: p.isPrefixalScope === 1, insertOnly: p.insertOnly === 1 }
  if (colon >= 0) policy.scopeKey = p.scope.slice(colon + 1)
  return { ok: true, accessKey, policy }
}

export async function handleUpload(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = ctx.now()
  const fail = (status: number, error: string, bucket?: string, accessKey: string | null = null) => {
    requestLogger(ctx, req, '/', bucket, accessKey, at)(status)
    sendError(res, status, error)
  }
  if (req.method !== 'POST') {
    req.resume()
    return sendError(res, 405, 'method not allowed', { Allow: 'POST' })
  }
  const contentType = req.headers['content-type']
  const raw = await readBody(req, MAX_UPLOAD).catch((e: unknown) => e as Error)
  if (raw instanceof Error) return fail(413, 'request entity too large')
  if (mediaType(contentType) !== 'multipart/form-data') return fail(400, 'content type must be multipart/form-data')
  let form: FormData
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType! } }).formData()
  } catch {
    return fail(400, 'invalid multipart/form-data body')
  }
  const field = (name: string) => {
    const v = form.get(name)
    return typeof v === 'string' ? v : undefined
  }
  const checked = checkUploadToken(ctx, field('token'))
  if (!checked.ok) return fail(checked.status, checked.error, checked.bucket, checked.accessKey)
  const { policy, accessKey } = checked
  const file = form.get('file')
  if (!(file instanceof Blob)) return fail(400, 'file is not specified in multipart', policy.bucket, accessKey)
  const content = Buffer.from(await file.arrayBuffer())
  const hash = qiniuEtag(content)
  // Without a key field the key is the hash, which a scope naming a key never matches.
  const key = field('key') ?? hash
  const inScope = policy.scopeKey === undefined || (policy.prefixal ? key.startsWith(policy.scopeKey) : key === policy.scopeKey)
  if (!inScope || key === '') return fail(403, "key doesn't match with scope", policy.bucket, accessKey)
  const crc = field('crc32')
  if (crc !== undefined && (!/^\d{1,10}$/.test(crc) || Number(crc) !== crc32(content))) return fail(406, 'crc32 not match', policy.bucket, accessKey)

  const log = requestLogger(ctx, req, '/', policy.bucket, accessKey, at)
  const bucket = ctx.store.buckets.get(policy.bucket)
  // Only a scope with the key (and without insertOnly) may replace an object with other content.
  const refused = () => !!bucket?.has(key) && (policy.scopeKey === undefined || policy.insertOnly) && bucket.get(key)!.hash !== hash
  const elsewhere = ctx.otherRegion?.(policy.bucket)
  const store = () => {
    if (bucket && !elsewhere && !refused()) ctx.store.putObject(policy.bucket, key, content, file.type || 'application/octet-stream')
  }
  const faults = await applyFaults(ctx, res, { bucket: policy.bucket, key }, log, store)
  if (faults.answered) return
  if (faults.opFault) {
    log(faults.opFault.code, 'op')
    return sendError(res, faults.opFault.code, faults.opFault.error ?? ctx.defaultError(faults.opFault.code))
  }
  const fault = loggedFault(faults)
  if (elsewhere) {
    log(elsewhere.code, fault)
    return sendError(res, elsewhere.code, elsewhere.error)
  }
  if (!bucket) {
    log(631, fault)
    return sendError(res, 631, 'no such bucket')
  }
  if (refused()) {
    log(614, fault)
    return sendError(res, 614, 'file exists')
  }
  store()
  log(200, fault)
  res.setHeader('Cache-Control', 'no-store')
  res.writeHead(200, { 'Content-Type': 'application/json' })
  res.end(toJson({ hash, key }))
}
