/**
 * The object-store requests and their semantics, shared by both dialects. Each request is
 * classified, then `prepare` validates its syntax (headers, Content-MD5, XML) and returns a plan;
 * `run` applies it to the store. server.ts puts auth and fault rules between the two, so a
 * request that is malformed does not consume fault rules, and an `op` fault rule can stop a plan
 * (or single keys of a DeleteObjects) before it touches the store.
 *
 * Requests (path-style `/<bucket>/<key>` or virtual-hosted, see server.ts):
 *   HEAD   /b/k[?versionId]        HeadObject       (Range → 206; If-Match/If-None-Match)
 *   GET    /b/k[?versionId]        GetObject        (Range → 206 + Content-Range; 416 InvalidRange)
 *   PUT    /b/k                    PutObject        (Content-MD5, meta, storage class, ACL, tagging;
 *                                                    S3 If-None-Match: * / If-Match; OSS x-oss-forbid-overwrite)
 *   PUT    /b/k + copy-source      CopyObject       (metadata/tagging directives, storage class, ACL, conditions)
 *   DELETE /b/k[?versionId]        DeleteObject
 *   POST   /b?delete               DeleteObjects / DeleteMultipleObjects
 *   GET|PUT|DELETE /b/k?tagging    Get/Put/DeleteObjectTagging
 *   GET|PUT /b/k?acl               Get/PutObjectAcl (canned ACLs only)
 *   POST   /b/k?restore            RestoreObject
 *   GET    /b?list-type=2          ListObjectsV2 (list-objects.ts)
 *   POST   /b/k?uploads, PUT /b/k?partNumber&uploadId, POST|DELETE /b/k?uploadId
 *                                  multipart uploads (multipart.ts)
 * Anything else answers 501 NotImplemented (405 MethodNotAllowed for an unknown method on an object).
 */
import { createHash } from 'node:crypto'
import type { ObjectStoreOperation } from '../control.ts'
import type { FaultTarget, OpFaultHit } from '../faults.ts'
import { prepareListObjectsV2 } from './list-objects.ts'
import { classifyMultipart, prepareMultipart, type MultipartUploads } from './multipart.ts'
import { etagHex, ObjectStore, type BucketState, type StoredVersion } from './store.ts'
import { ApiError, type Dialect, type Query } from './types.ts'
import { buildXml, children, el, listOf, node, parseXmlDocument, textOf, XmlSyntaxError, type XmlNode, type XmlValue } from './xml.ts'

export const MAX_DELETE_KEYS = 1000
const MAX_KEY_BYTES = 1024
/** The owner id GetObjectAcl reports (the example canonical user id of the AWS docs). */
export const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a'

export interface Answer {
  status: number
  headers: Record<string, string>
  body: string | Buffer
  /** For the request log. */
  errorCode?: string
  keyErrors?: number
}

export interface Plan {
  /** Fault targets per op (DeleteObjects: one per key; otherwise one op touching every object). */
  targets: FaultTarget[][]
  /** Whether an `op` rule fails single keys (DeleteObjects) rather than the whole request. */
  perKey: boolean
  /** Whether `inner-error` rules apply (DeleteObjects, CopyObject). */
  innerError: boolean
  run(hits: ReadonlyMap<number, OpFaultHit>): Answer
}

export interface RequestInfo {
  method: string
  headers: Record<string, string>
  query: Query
  bucket: string
  key: string | undefined
  body: Buffer
}

export interface OpEnv {
  dialect: Dialect
  store: ObjectStore
  now: () => number
  /** Restores complete by themselves after this long; undefined = only through the control API. */
  restoreDelayMs: number | undefined
  /** Multipart uploads in progress (multipart.ts). */
  uploads: MultipartUploads
  /** The smallest part CompleteMultipartUpload accepts but for the last. */
  minPartBytes: number
}

export interface CopySource {
  bucket: string
  key: string
  versionId?: string
}

/** Which request this is. Throws ApiError for methods the emulator does not take. */
export function classify(method: string, key: string | undefined, query: Query, headers: Record<string, string>, d: Dialect): ObjectStoreOperation {
  if (key === undefined) {
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects'
    if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2'
    return 'Unsupported'
  }
  const copy = headers[`${d.prefix}copy-source`] !== undefined
  const multipart = classifyMultipart(method, query, copy)
  if (multipart !== undefined) return multipart
  switch (method) {
    case 'HEAD':
      return 'HeadObject'
    case 'GET':
      return query.has('tagging') ? 'GetObjectTagging' : query.has('acl') ? 'GetObjectAcl' : 'GetObject'
    case 'PUT':
      return query.has('tagging') ? 'PutObjectTagging' : query.has('acl') ? 'PutObjectAcl' : copy ? 'CopyObject' : 'PutObject'
    case 'DELETE':
      return query.has('tagging') ? 'DeleteObjectTagging' : 'DeleteObject'
    case 'POST':
      return query.has('restore') ? 'RestoreObject' : 'Unsupported'
    default:
      return 'Unsupported'
  }
}

/** Parses `x-amz-copy-source` / `x-oss-copy-source`: `[/]bucket/url-encoded-key[?versionId=v]`, decoded once. */
export function parseCopySource(value: string, d: Dialect): CopySource {
  const bad = (why: string) => d.errors.invalidArgument(`Invalid copy source: ${why}`, `${d.prefix}copy-source`, value)
  let v = value.startsWith('/') ? value.slice(1) : value
  let versionId: string | undefined
  const qi = v.indexOf('?')
  if (qi >= 0) {
    const qs = new URLSearchParams(v.slice(qi + 1))
    v = v.slice(0, qi)
    const vid = qs.get('versionId')
    if (vid !== null) {
      if (vid === '') throw bad('empty versionId')
      versionId = vid
    }
  }
  const si = v.indexOf('/')
  if (si <= 0 || si === v.length - 1) throw bad('expected /bucket/key')
  let bucket: string
  let key: string
  try {
    bucket = decodeURIComponent(v.slice(0, si))
    key = decodeURIComponent(v.slice(si + 1))
  } catch {
    throw bad('bad percent-encoding')
  }
  if (!key.isWellFormed()) throw bad('key is not valid UTF-8')
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId }
}

// ------------------------------------------------------------------------------------ helpers

const md5b64 = (b: Uint8Array) => createHash('md5').update(b).digest('base64')

export function checkContentMd5(r: RequestInfo, d: Dialect, required: boolean): void {
  const v = r.headers['content-md5']
  if (v === undefined) {
    if (required) throw d.errors.missingContentMd5()
    return
  }
  if (!/^[A-Za-z0-9+/]{22}==$/.test(v)) throw d.errors.invalidDigest()
  const computed = md5b64(r.body)
  if (computed !== v) throw d.errors.badDigest(v, computed)
}

export function metaFromHeaders(h: Record<string, string>, d: Dialect): Record<string, string> {
  const p = `${d.prefix}meta-`
  const meta: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) if (k.startsWith(p) && k.length > p.length) meta[k.slice(p.length)] = v
  return meta
}

export function storageClassHeader(h: Record<string, string>, d: Dialect): string | undefined {
  const v = h[`${d.prefix}storage-class`]
  if (v === undefined) return undefined
  if (!d.storageClasses.includes(v)) throw d.errors.invalidStorageClass(v)
  return v
}

export function aclFromHeader(h: Record<string, string>, d: Dialect): string | undefined {
  const v = h[d.aclHeader]
  if (v === undefined) return undefined
  if (!d.acls.includes(v)) throw d.errors.invalidAcl(v)
  return v
}

export function tagsFromHeader(h: Record<string, string>, d: Dialect): Array<[string, string]> | undefined {
  const v = h[`${d.prefix}tagging`]
  if (v === undefined) return undefined
  const tags = [...new URLSearchParams(v)]
  const e = d.checkTags(tags)
  if (e) throw e
  return tags
}

function checkKey(key: string, d: Dialect): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw d.id === 's3'
      ? new ApiError(400, 'KeyTooLongError', 'Your key is too long', { fields: [['MaxSizeAllowed', String(MAX_KEY_BYTES)], ['Size', String(Buffer.byteLength(key))]] })
      : new ApiError(400, 'InvalidObjectName', 'The specified object is not valid.')
  }
}

export function xmlAnswer(status: number, root: XmlNode, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'Content-Type': 'application/xml', ...headers }, body: buildXml(root) }
}

export const empty = (status: number, headers: Record<string, string> = {}): Answer => ({ status, headers, body: '' })

export function parseBody(r: RequestInfo, d: Dialect, root: string, arrays: string[]): XmlValue {
  try {
    return parseXmlDocument(r.body, root, arrays)
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw d.errors.malformedXml(e.message)
    throw e
  }
}

/** Runs `f` and turns XmlSyntaxError from the element helpers into MalformedXML. */
export function xmlShape<T>(d: Dialect, f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw d.errors.malformedXml(e.message)
    throw e
  }
}

export function bucketOf(env: OpEnv, name: string): BucketState {
  const b = env.store.bucket(name)
  if (!b) throw env.dialect.errors.noSuchBucket(name)
  return b
}

export const versioned = (b: BucketState) => b.versioning !== 'Unversioned'

/** The version a request addresses (current, or ?versionId). Delete markers → 404 (405 by id). */
function addressed(env: OpEnv, b: BucketState, key: string, versionId: string | undefined): StoredVersion {
  const d = env.dialect
  const h = (v: StoredVersion) => ({ [`${d.prefix}delete-marker`]: 'true', [`${d.prefix}version-id`]: v.versionId })
  if (versionId !== undefined) {
    const v = env.store.version(b, key, versionId)
    if (!v) throw d.errors.noSuchVersion(key, versionId)
    if (v.deleteMarker) throw new ApiError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { headers: h(v) })
    return v
  }
  const v = env.store.current(b, key)
  if (!v) throw d.errors.noSuchKey(key)
  if (v.deleteMarker) {
    const e = d.errors.noSuchKey(key)
    throw new ApiError(e.status, e.code, e.message, { fields: e.fields, ...(e.ec === undefined ? {} : { ec: e.ec }), headers: h(v) })
  }
  return v
}

function restoreHeader(v: StoredVersion): string | undefined {
  if (!v.restore) return undefined
  if (v.restore.ongoing) return 'ongoing-request="true"'
  return `ongoing-request="false", expiry-date="${new Date(v.restore.expiry ?? 0).toUTCString()}"`
}

function objectHeaders(env: OpEnv, b: BucketState, v: StoredVersion): Record<string, string> {
  const d = env.dialect
  const h: Record<string, string> = {
    ETag: d.etag(etagHex(v)),
    'Content-Type': v.contentType,
    'Last-Modified': new Date(v.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
  }
  for (const [k, x] of Object.entries(v.meta)) h[`${d.prefix}meta-${k}`] = x
  if (d.sendStorageClass(v.storageClass)) h[`${d.prefix}storage-class`] = v.storageClass
  const restore = restoreHeader(v)
  if (restore !== undefined) h[`${d.prefix}restore`] = restore
  if (versioned(b)) h[`${d.prefix}version-id`] = v.versionId
  if (v.tags.length > 0) h[`${d.prefix}tagging-count`] = String(v.tags.length)
  if (d.id === 'oss') h['x-oss-object-type'] = 'Normal'
  return h
}

/** A single `bytes=` range → [start, end] inclusive, 'unsatisfiable', or undefined (ignored: whole object). */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const n = Number(m[2])
    if (n === 0 || size === 0) return 'unsatisfiable'
    return [Math.max(0, size - n), size - 1]
  }
  const start = Number(m[1])
  if (m[2] !== '' && Number(m[2]) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  const end = m[2] === '' ? size - 1 : Number(m[2])
  return [start, Math.min(end, size - 1)]
}

function etagMatches(list: string, v: StoredVersion, d: Dialect): boolean {
  const mine = d.etag(etagHex(v)).replace(/"/g, '').toLowerCase()
  return list.split(',').some((t) => {
    const x = t.trim().replace(/^W\//, '').replace(/"/g, '').toLowerCase()
    return x === '*' || x === mine
  })
}

// ---------------------------------------------------------------------------------- requests

export function prepare(op: ObjectStoreOperation, r: RequestInfo, env: OpEnv, copySource: CopySource | undefined): Plan {
  const d = env.dialect
  const single = (targets: FaultTarget[], run: () => Answer, innerError = false): Plan => ({
    targets: [targets],
    perKey: false,
    innerError,
    run: () => run(),
  })
  const key = r.key
  const versionId = r.query.get('versionId')
  if (key !== undefined) checkKey(key, d)
  const target: FaultTarget[] = key === undefined ? [{ bucket: r.bucket }] : [{ bucket: r.bucket, key }]

  switch (op) {
    case 'HeadObject':
    case 'GetObject':
      return single(target, () => getObject(env, r, op === 'HeadObject'))
    case 'PutObject': {
      checkContentMd5(r, d, false)
      const storageClass = storageClassHeader(r.headers, d)
      const acl = aclFromHeader(r.headers, d)
      const tags = tagsFromHeader(r.headers, d)
      return single(target, () => putObject(env, r, { storageClass, acl, tags }))
    }
    case 'CopyObject': {
      const src = copySource!
      checkKey(src.key, d)
      const directive = r.headers[`${d.prefix}metadata-directive`] ?? 'COPY'
      if (directive !== 'COPY' && directive !== 'REPLACE') throw d.errors.invalidArgument('Unknown metadata directive.', `${d.prefix}metadata-directive`, directive)
      const tagDirective = r.headers[`${d.prefix}tagging-directive`] ?? 'COPY'
      if (!['COPY', 'REPLACE'].includes(tagDirective.toUpperCase())) throw d.errors.invalidArgument('Unknown tagging directive.', `${d.prefix}tagging-directive`, tagDirective)
      const storageClass = storageClassHeader(r.headers, d)
      const acl = aclFromHeader(r.headers, d)
      const tags = tagsFromHeader(r.headers, d)
      return single(
        [...target, { bucket: src.bucket, key: src.key }],
        () => copyObject(env, r, src, { replace: directive === 'REPLACE', replaceTags: tagDirective.toUpperCase() === 'REPLACE', storageClass, acl, tags }),
        true,
      )
    }
    case 'DeleteObject':
      return single(target, () => {
        const b = bucketOf(env, r.bucket)
        const o = versionId !== undefined ? env.store.deleteVersion(b, key!, versionId) : env.store.deleteCurrent(b, key!)
        const h: Record<string, string> = {}
        if (o.deleteMarker) h[`${d.prefix}delete-marker`] = 'true'
        const vid = o.deleteMarkerVersionId ?? o.versionId
        if (vid !== undefined) h[`${d.prefix}version-id`] = vid
        return empty(204, h)
      })
    case 'DeleteObjects':
      return prepareDeleteObjects(r, env)
    case 'GetObjectTagging':
      return single(target, () => {
        const b = bucketOf(env, r.bucket)
        const v = addressed(env, b, key!, versionId)
        const tagSet = node('TagSet', v.tags.map(([k, x]) => node('Tag', [el('Key', k), el('Value', x)])))
        const h = versioned(b) ? { [`${d.prefix}version-id`]: v.versionId } : {}
        return xmlAnswer(200, node('Tagging', [tagSet], d.xmlns ? { xmlns: d.xmlns } : undefined), h)
      })
    case 'PutObjectTagging': {
      checkContentMd5(r, d, false)
      const doc = parseBody(r, d, 'Tagging', ['Tag'])
      const tags = xmlShape(d, () => {
        const tagging = children(doc, 'Tagging')
        if (tagging['TagSet'] === undefined) throw new XmlSyntaxError('missing <TagSet>')
        return listOf(children(tagging['TagSet'], 'TagSet'), 'Tag').map((t): [string, string] => {
          const c = children(t, 'Tag')
          const k = textOf(c, 'Key')
          const v = textOf(c, 'Value')
          if (k === undefined || v === undefined) throw new XmlSyntaxError('<Tag> needs <Key> and <Value>')
          return [k, v]
        })
      })
      const e = d.checkTags(tags)
      if (e) throw e
      return single(target, () => {
        const b = bucketOf(env, r.bucket)
        const v = addressed(env, b, key!, versionId)
        v.tags = tags
        return empty(200, versioned(b) ? { [`${d.prefix}version-id`]: v.versionId } : {})
      })
    }
    case 'DeleteObjectTagging':
      return single(target, () => {
        const b = bucketOf(env, r.bucket)
        const v = addressed(env, b, key!, versionId)
        v.tags = []
        return empty(204, versioned(b) ? { [`${d.prefix}version-id`]: v.versionId } : {})
      })
    case 'GetObjectAcl':
      return single(target, () => {
        const b = bucketOf(env, r.bucket)
        const v = addressed(env, b, key!, versionId)
        return xmlAnswer(200, d.aclDocument(v.acl, OWNER_ID), versioned(b) ? { [`${d.prefix}version-id`]: v.versionId } : {})
      })
    case 'PutObjectAcl': {
      if (Object.keys(r.headers).some((h) => h.startsWith(`${d.prefix}grant-`))) throw d.errors.notImplemented('grant headers; canned ACLs only')
      const acl = aclFromHeader(r.headers, d)
      if (acl === undefined) {
        if (r.body.length > 0) throw d.errors.notImplemented('ACL documents; canned ACLs only')
        throw d.id === 's3'
          ? new ApiError(400, 'MissingSecurityHeader', 'Your request was missing a required header', { fields: [['MissingHeaderName', d.aclHeader]] })
          : d.errors.invalidAcl('')
      }
      return single(target, () => {
        const b = bucketOf(env, r.bucket)
        const v = addressed(env, b, key!, versionId)
        v.acl = acl
        return empty(200, versioned(b) ? { [`${d.prefix}version-id`]: v.versionId } : {})
      })
    }
    case 'RestoreObject': {
      checkContentMd5(r, d, false)
      let days = 1
      let tier: string | undefined
      if (r.body.length === 0 && !d.restoreBodyOptional) throw d.errors.malformedXml('RestoreObject needs a <RestoreRequest> body')
      if (r.body.length > 0) {
        const doc = parseBody(r, d, 'RestoreRequest', [])
        const parsed = xmlShape(d, () => {
          const c = children(doc, 'RestoreRequest')
          const daysText = textOf(c, 'Days')
          const job = c[d.restoreJobElement]
          const t = job === undefined ? undefined : textOf(children(job, d.restoreJobElement), 'Tier')
          return { daysText, tier: t }
        })
        if (parsed.daysText === undefined) {
          if (!d.restoreBodyOptional) throw d.errors.malformedXml('missing <Days>')
        } else {
          if (!/^\d{1,9}$/.test(parsed.daysText.trim())) throw d.errors.malformedXml('<Days> must be an integer')
          days = Number(parsed.daysText.trim())
        }
        tier = parsed.tier
      }
      return single(target, () => restoreObject(env, r, days, tier))
    }
    case 'ListObjectsV2':
      return prepareListObjectsV2(r, env)
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CompleteMultipartUpload':
    case 'AbortMultipartUpload':
      return prepareMultipart(op, r, env)
    case 'Unsupported':
      throw d.errors.notImplemented(`${r.method} ${key === undefined ? 'bucket' : 'object'} request`)
  }
}

function getObject(env: OpEnv, r: RequestInfo, head: boolean): Answer {
  const d = env.dialect
  const b = bucketOf(env, r.bucket)
  const v = addressed(env, b, r.key!, r.query.get('versionId'))
  const h = objectHeaders(env, b, v)
  const ifMatch = r.headers['if-match']
  if (ifMatch !== undefined && !etagMatches(ifMatch, v, d)) throw new ApiError(412, 'PreconditionFailed', d.messageFor('PreconditionFailed'), { fields: [['Condition', 'If-Match']] })
  const ifNoneMatch = r.headers['if-none-match']
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, v, d)) return empty(304, { ETag: h.ETag!, 'Last-Modified': h['Last-Modified']! })
  if (!head && env.store.isFrozen(v)) throw d.errors.frozen(v.storageClass)
  const size = v.body.length
  const range = parseRange(r.headers.range, size)
  if (range === 'unsatisfiable') {
    throw new ApiError(416, 'InvalidRange', 'The requested range is not satisfiable', {
      fields: [['RangeRequested', r.headers.range ?? ''], ['ActualObjectSize', String(size)]],
      headers: { 'Content-Range': `bytes */${size}` },
    })
  }
  if (range) {
    const [start, end] = range
    h['Content-Range'] = `bytes ${start}-${end}/${size}`
    h['Content-Length'] = String(end - start + 1)
    return { status: 206, headers: h, body: head ? '' : v.body.subarray(start, end + 1) }
  }
  h['Content-Length'] = String(size)
  return { status: 200, headers: h, body: head ? '' : v.body }
}

interface WriteOpts {
  storageClass: string | undefined
  acl: string | undefined
  tags: Array<[string, string]> | undefined
}

/** S3 conditional writes (If-None-Match: * / If-Match) and OSS x-oss-forbid-overwrite on the destination. */
function checkOverwrite(env: OpEnv, r: RequestInfo, b: BucketState, key: string): void {
  const d = env.dialect
  const cur = env.store.current(b, key)
  const exists = cur !== undefined && !cur.deleteMarker
  if (d.id === 's3') {
    const inm = r.headers['if-none-match']
    if (inm !== undefined) {
      if (inm.trim() !== '*') throw new ApiError(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', { fields: [['Header', 'If-None-Match']] })
      if (exists) throw new ApiError(412, 'PreconditionFailed', d.messageFor('PreconditionFailed'), { fields: [['Condition', 'If-None-Match']] })
    }
    const im = r.headers['if-match']
    if (im !== undefined) {
      if (!exists) throw d.errors.noSuchKey(key)
      if (!etagMatches(im, cur, d)) throw new ApiError(412, 'PreconditionFailed', d.messageFor('PreconditionFailed'), { fields: [['Condition', 'If-Match']] })
    }
  }
  const forbid = d.forbidOverwriteHeader === undefined ? undefined : r.headers[d.forbidOverwriteHeader]
  // OSS ignores x-oss-forbid-overwrite in buckets with versioning enabled or suspended.
  if (forbid !== undefined && forbid.toLowerCase() === 'true' && !versioned(b) && exists) throw d.errors.fileAlreadyExists()
}

function putObject(env: OpEnv, r: RequestInfo, o: WriteOpts): Answer {
  const d = env.dialect
  const b = bucketOf(env, r.bucket)
  checkOverwrite(env, r, b, r.key!)
  const body = Buffer.from(r.body)
  const v = env.store.put(b, {
    key: r.key!,
    body,
    md5: createHash('md5').update(body).digest('hex'),
    contentType: r.headers['content-type'] ?? d.defaultContentType,
    lastModified: env.now(),
    meta: metaFromHeaders(r.headers, d),
    storageClass: o.storageClass ?? d.defaultStorageClass,
    tags: o.tags ?? [],
    acl: o.acl ?? d.defaultAcl,
  })
  const h: Record<string, string> = { ETag: d.etag(v.md5) }
  if (versioned(b)) h[`${d.prefix}version-id`] = v.versionId
  return empty(200, h)
}

function copyObject(env: OpEnv, r: RequestInfo, src: CopySource, o: WriteOpts & { replace: boolean; replaceTags: boolean }): Answer {
  const d = env.dialect
  const b = bucketOf(env, r.bucket)
  const sb = bucketOf(env, src.bucket)
  let s: StoredVersion | undefined
  if (src.versionId !== undefined) {
    s = env.store.version(sb, src.key, src.versionId)
    if (!s) throw d.id === 's3' ? d.errors.noSuchVersion(src.key, src.versionId) : d.errors.noSuchKey(src.key)
    if (s.deleteMarker) {
      throw d.id === 's3'
        ? new ApiError(400, 'InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.')
        : d.errors.noSuchKey(src.key)
    }
  } else {
    s = env.store.current(sb, src.key)
    if (!s || s.deleteMarker) throw d.errors.noSuchKey(src.key)
  }
  const sim = r.headers[`${d.prefix}copy-source-if-match`]
  if (sim !== undefined && !etagMatches(sim, s, d)) throw new ApiError(412, 'PreconditionFailed', d.messageFor('PreconditionFailed'), { fields: [['Condition', `${d.prefix}copy-source-if-match`]] })
  const sinm = r.headers[`${d.prefix}copy-source-if-none-match`]
  if (sinm !== undefined && etagMatches(sinm, s, d)) throw new ApiError(412, 'PreconditionFailed', d.messageFor('PreconditionFailed'), { fields: [['Condition', `${d.prefix}copy-source-if-none-match`]] })

  const cur = env.store.current(b, r.key!)
  const inPlace = src.bucket === r.bucket && src.key === r.key && (cur === s)
  const classChange = o.storageClass !== undefined && o.storageClass !== s.storageClass
  if (inPlace && !o.replace && !classChange && !d.copyInPlaceAllowed) {
    throw new ApiError(400, 'InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
  }
  if (env.store.isFrozen(s)) throw d.errors.frozen(s.storageClass)
  checkOverwrite(env, r, b, r.key!)
  // S3 copies land in STANDARD unless the request names a class; OSS keeps the source's class.
  const storageClass = o.storageClass ?? (d.id === 'oss' ? s.storageClass : d.defaultStorageClass)
  const keepRestore = inPlace && d.copyInPlaceAllowed && storageClass === s.storageClass && s.restore !== undefined
  const source = s
  const v = env.store.put(b, {
    key: r.key!,
    body: source.body,
    md5: source.md5,
    contentType: o.replace ? (r.headers['content-type'] ?? d.defaultContentType) : source.contentType,
    lastModified: env.now(),
    meta: o.replace ? metaFromHeaders(r.headers, d) : { ...source.meta },
    storageClass,
    tags: o.replaceTags ? (o.tags ?? []) : source.tags.map(([k, x]): [string, string] => [k, x]),
    acl: o.acl ?? d.defaultAcl,
    ...(keepRestore ? { restore: { ...source.restore! } } : {}),
  })
  const h: Record<string, string> = {}
  if (versioned(b)) h[`${d.prefix}version-id`] = v.versionId
  if (versioned(sb)) h[`${d.prefix}copy-source-version-id`] = source.versionId
  return xmlAnswer(200, node('CopyObjectResult', [el('ETag', d.etag(v.md5)), el('LastModified', new Date(v.lastModified).toISOString())], d.xmlns ? { xmlns: d.xmlns } : undefined), h)
}

function restoreObject(env: OpEnv, r: RequestInfo, days: number, tier: string | undefined): Answer {
  const d = env.dialect
  const b = bucketOf(env, r.bucket)
  const v = addressed(env, b, r.key!, r.query.get('versionId'))
  if (!env.store.isArchive(v)) throw d.errors.restoreNotArchive(v.storageClass)
  const e = d.checkRestore(days, tier, v.storageClass)
  if (e) throw e
  env.store.settleRestore(v)
  const h = versioned(b) ? { [`${d.prefix}version-id`]: v.versionId } : {}
  if (v.restore?.ongoing) throw d.errors.restoreInProgress()
  const now = env.now()
  if (v.restore) {
    v.restore = { ongoing: false, expiry: now + days * 86_400_000, days }
    if (tier !== undefined) v.restore.tier = tier
    return empty(200, h)
  }
  v.restore = { ongoing: true, days }
  if (tier !== undefined) v.restore.tier = tier
  if (env.restoreDelayMs !== undefined) v.restore.completesAt = now + env.restoreDelayMs
  return empty(202, h)
}

interface DeleteEntry {
  key: string
  versionId: string | undefined
}

function prepareDeleteObjects(r: RequestInfo, env: OpEnv): Plan {
  const d = env.dialect
  checkContentMd5(r, d, true)
  let encodingUrl = false
  const enc = r.query.get('encoding-type')
  if (d.supportsEncodingType && enc !== undefined) {
    if (enc !== 'url') throw d.errors.invalidArgument('The encoding type is not supported. Only url is supported.', 'encoding-type', enc)
    encodingUrl = true
  }
  const doc = parseBody(r, d, 'Delete', ['Object'])
  const { quiet, entries } = xmlShape(d, () => {
    const c = children(doc, 'Delete')
    const q = textOf(c, 'Quiet')
    if (q !== undefined && !/^(true|false)$/i.test(q.trim())) throw new XmlSyntaxError('<Quiet> must be true or false')
    const objects = listOf(c, 'Object').map((o): DeleteEntry => {
      const oc = children(o, 'Object')
      const key = textOf(oc, 'Key')
      if (key === undefined) throw new XmlSyntaxError('<Object> needs a <Key>')
      return { key, versionId: textOf(oc, 'VersionId') }
    })
    return { quiet: q !== undefined && q.trim().toLowerCase() === 'true', entries: objects }
  })
  if (entries.length === 0) throw d.errors.malformedXml('no <Object>')
  if (entries.length > MAX_DELETE_KEYS) throw d.errors.malformedXml(`more than ${MAX_DELETE_KEYS} objects`)
  for (const e of entries) {
    if (e.key === '') throw d.id === 's3' ? new ApiError(400, 'UserKeyMustBeSpecified', 'The bucket POST must contain the specified field name. If it is specified, please check the order of the fields.') : d.errors.malformedXml('empty <Key>')
    checkKey(e.key, d)
  }
  return {
    targets: entries.map((e) => [{ bucket: r.bucket, key: e.key }]),
    perKey: true,
    innerError: true,
    run(hits) {
      const b = bucketOf(env, r.bucket)
      const out: XmlNode[] = []
      let errors = 0
      const showKey = (k: string) => (encodingUrl ? encodeURIComponent(k).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : k)
      entries.forEach((e, i) => {
        const hit = hits.get(i)
        const vid = e.versionId === undefined ? [] : [el('VersionId', e.versionId)]
        if (hit) {
          errors++
          const code = hit.errorCode ?? d.codeForStatus(hit.code)
          out.push(node('Error', [el('Key', showKey(e.key)), ...vid, el('Code', code), el('Message', hit.error ?? d.messageFor(code))]))
          return
        }
        const o = e.versionId !== undefined ? env.store.deleteVersion(b, e.key, e.versionId) : env.store.deleteCurrent(b, e.key)
        if (quiet) return
        const marker = o.deleteMarker ? [el('DeleteMarker', 'true'), el('DeleteMarkerVersionId', o.deleteMarkerVersionId!)] : []
        out.push(node('Deleted', [el('Key', showKey(e.key)), ...vid, ...marker]))
      })
      if (quiet && errors === 0 && d.quietSuccessEmptyBody) return { status: 200, headers: {}, body: '', keyErrors: 0 }
      if (encodingUrl) out.push(el('EncodingType', 'url'))
      return { ...xmlAnswer(200, node('DeleteResult', out, d.xmlns ? { xmlns: d.xmlns } : undefined)), keyErrors: errors }
    },
  }
}
