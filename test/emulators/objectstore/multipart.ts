/**
 * Multipart uploads, both dialects (S3 CreateMultipartUpload / OSS InitiateMultipartUpload, and
 * UploadPart, CompleteMultipartUpload, AbortMultipartUpload), with the services' rules:
 *
 *   POST   /b/k?uploads                  → 200 InitiateMultipartUploadResult {Bucket, Key, UploadId};
 *                                          Content-Type, metadata, storage class, ACL and tagging
 *                                          headers are kept for the object; 404 NoSuchBucket
 *   PUT    /b/k?partNumber=N&uploadId=U  → 200 with the part's ETag (its MD5; Content-MD5 checked
 *                                          when sent); N an integer 1..10000 else 400
 *                                          InvalidArgument; the same N again replaces the part;
 *                                          unknown upload (or one of another key) → 404 NoSuchUpload
 *   POST   /b/k?uploadId=U               <CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…>
 *                                        → 200 CompleteMultipartUploadResult {Location, Bucket, Key,
 *                                          ETag}. Checked in this order: the XML (MalformedXML, also
 *                                          for no parts), the upload (404 NoSuchUpload), part numbers
 *                                          strictly ascending (400 InvalidPartOrder), each part
 *                                          uploaded with that ETag (quotes and case ignored; 400
 *                                          InvalidPart), each part but the last at least the minimum
 *                                          size (400 EntityTooSmall; S3 5 MiB, OSS 100 KiB, or the
 *                                          emulator option minPartBytes). Parts uploaded but not
 *                                          listed are dropped. The object's ETag is the MD5 of the
 *                                          listed parts' binary MD5s, then `-<parts>`.
 *   DELETE /b/k?uploadId=U               → 204; 404 NoSuchUpload when unknown
 * Upload ids are opaque (S3: base64url text; OSS: 32 upper-case hex digits). An `inner-error`
 * fault rule applies to CompleteMultipartUpload (S3 may answer 200 with an <Error> body there).
 */
import { createHash, randomBytes } from 'node:crypto'
import type { ObjectStoreOperation, ObjectStoreUpload } from '../control.ts'
import type { FaultTarget } from '../faults.ts'
import {
  aclFromHeader, bucketOf, checkContentMd5, empty, metaFromHeaders, parseBody, storageClassHeader, tagsFromHeader, versioned, xmlAnswer, xmlShape,
  type OpEnv, type Plan, type RequestInfo,
} from './operations.ts'
import { ApiError, type Dialect } from './types.ts'
import { children, el, listOf, node, textOf, XmlSyntaxError } from './xml.ts'

export const MAX_PART_NUMBER = 10_000
/** The services' smallest part but the last. */
export const DEFAULT_MIN_PART_BYTES = { s3: 5 * 1024 * 1024, oss: 100 * 1024 } as const

interface Part {
  body: Buffer
  /** Lower-case hex. */
  md5: string
}

interface Upload {
  id: string
  bucket: string
  key: string
  initiated: number
  contentType: string
  meta: Record<string, string>
  storageClass: string
  acl: string
  tags: Array<[string, string]>
  parts: Map<number, Part>
}

/** Uploads in progress, by id. */
export class MultipartUploads {
  private readonly byId = new Map<string, Upload>()

  add(u: Omit<Upload, 'id' | 'parts'>, d: Dialect): Upload {
    const id = d.id === 's3' ? randomBytes(48).toString('base64url') : randomBytes(16).toString('hex').toUpperCase()
    const upload: Upload = { ...u, id, parts: new Map() }
    this.byId.set(id, upload)
    return upload
  }

  /** The upload `id` of this bucket and key, else 404 NoSuchUpload. */
  get(bucket: string, key: string, id: string): Upload {
    const u = this.byId.get(id)
    if (!u || u.bucket !== bucket || u.key !== key) throw noSuchUpload(id)
    return u
  }

  remove(id: string): void {
    this.byId.delete(id)
  }

  /** Uploads in progress in a bucket, for the control API (oldest first). */
  list(bucket: string): ObjectStoreUpload[] {
    return [...this.byId.values()]
      .filter((u) => u.bucket === bucket)
      .map((u) => ({ key: u.key, uploadId: u.id, initiated: new Date(u.initiated).toISOString(), parts: [...u.parts.entries()].sort(([a], [b]) => a - b).map(([n, p]) => ({ partNumber: n, size: p.body.length, etag: p.md5 })) }))
  }
}

const noSuchUpload = (id: string) =>
  new ApiError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { fields: [['UploadId', id]] })
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest()
const bareEtag = (e: string) => e.trim().replace(/^"|"$/g, '').toLowerCase()

/** Which multipart request a request on an object is, if any. */
export function classifyMultipart(method: string, query: ReadonlyMap<string, string>, copy: boolean): ObjectStoreOperation | undefined {
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload'
  if (!query.has('uploadId')) return undefined
  if (method === 'PUT') return copy ? 'Unsupported' : 'UploadPart'
  if (method === 'POST') return 'CompleteMultipartUpload'
  if (method === 'DELETE') return 'AbortMultipartUpload'
  return undefined
}

function partNumberOf(r: RequestInfo, d: Dialect): number {
  const v = r.query.get('partNumber') ?? ''
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_PART_NUMBER)
    throw d.errors.invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, 'partNumber', v)
  return Number(v)
}

function uploadIdOf(r: RequestInfo): string {
  const id = r.query.get('uploadId') ?? ''
  if (id === '') throw noSuchUpload(id)
  return id
}

export function prepareMultipart(op: ObjectStoreOperation, r: RequestInfo, env: OpEnv): Plan {
  const d = env.dialect
  const key = r.key!
  const targets: FaultTarget[][] = [[{ bucket: r.bucket, key }]]
  const plan = (run: () => ReturnType<Plan['run']>, innerError = false): Plan => ({ targets, perKey: false, innerError, run })
  const ns = d.xmlns ? { xmlns: d.xmlns } : undefined

  switch (op) {
    case 'CreateMultipartUpload': {
      const storageClass = storageClassHeader(r.headers, d) ?? d.defaultStorageClass
      const acl = aclFromHeader(r.headers, d) ?? d.defaultAcl
      const tags = tagsFromHeader(r.headers, d) ?? []
      return plan(() => {
        bucketOf(env, r.bucket)
        const meta = metaFromHeaders(r.headers, d)
        const contentType = r.headers['content-type'] ?? d.defaultContentType
        const u = env.uploads.add({ bucket: r.bucket, key, initiated: env.now(), contentType, meta, storageClass, acl, tags }, d)
        return xmlAnswer(200, node('InitiateMultipartUploadResult', [el('Bucket', r.bucket), el('Key', key), el('UploadId', u.id)], ns))
      })
    }
    case 'UploadPart': {
      const n = partNumberOf(r, d)
      const id = uploadIdOf(r)
      checkContentMd5(r, d, false)
      return plan(() => {
        bucketOf(env, r.bucket)
        const u = env.uploads.get(r.bucket, key, id)
        const body = Buffer.from(r.body)
        const part = { body, md5: md5(body).toString('hex') }
        u.parts.set(n, part)
        return empty(200, { ETag: d.etag(part.md5) })
      })
    }
    case 'CompleteMultipartUpload': {
      const id = uploadIdOf(r)
      checkContentMd5(r, d, false)
      const doc = parseBody(r, d, 'CompleteMultipartUpload', ['Part'])
      const listed = xmlShape(d, () =>
        listOf(children(doc, 'CompleteMultipartUpload'), 'Part').map((p) => {
          const c = children(p, 'Part')
          const num = textOf(c, 'PartNumber')?.trim()
          const etag = textOf(c, 'ETag')
          if (num === undefined || !/^\d{1,5}$/.test(num) || etag === undefined) throw new XmlSyntaxError('<Part> needs a numeric <PartNumber> and an <ETag>')
          return { n: Number(num), etag }
        }),
      )
      if (listed.length === 0 || listed.length > MAX_PART_NUMBER) throw d.errors.malformedXml('1 to 10000 <Part> elements')
      return plan(() => complete(env, r, id, listed), true)
    }
    case 'AbortMultipartUpload': {
      const id = uploadIdOf(r)
      return plan(() => {
        bucketOf(env, r.bucket)
        env.uploads.get(r.bucket, key, id)
        env.uploads.remove(id)
        return empty(204)
      })
    }
    default:
      throw d.errors.notImplemented(`${r.method} multipart request`)
  }
}

function complete(env: OpEnv, r: RequestInfo, id: string, listed: { n: number; etag: string }[]): ReturnType<Plan['run']> {
  const d = env.dialect
  const b = bucketOf(env, r.bucket)
  const u = env.uploads.get(r.bucket, r.key!, id)
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.n <= listed[i - 1]!.n)
      throw new ApiError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', { fields: [['UploadId', id]] })
  }
  const parts = listed.map(({ n, etag }) => {
    const p = u.parts.get(n)
    if (!p || bareEtag(etag) !== p.md5) {
      throw new ApiError(400, 'InvalidPart', "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", {
        fields: [['UploadId', id], ['PartNumber', String(n)], ['ETag', etag]],
      })
    }
    return { n, ...p }
  })
  const min = env.minPartBytes
  parts.slice(0, -1).forEach((p) => {
    if (p.body.length < min) {
      throw new ApiError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
        fields: [['ProposedSize', String(p.body.length)], ['MinSizeAllowed', String(min)], ['PartNumber', String(p.n)], ['ETag', d.etag(p.md5)]],
      })
    }
  })
  const body = Buffer.concat(parts.map((p) => p.body))
  const multipartEtag = `${md5(Buffer.concat(parts.map((p) => Buffer.from(p.md5, 'hex')))).toString('hex')}-${parts.length}`
  const v = env.store.put(b, {
    key: u.key,
    body,
    md5: md5(body).toString('hex'),
    multipartEtag,
    contentType: u.contentType,
    lastModified: env.now(),
    meta: u.meta,
    storageClass: u.storageClass,
    tags: u.tags,
    acl: u.acl,
  })
  env.uploads.remove(id)
  const location = `http://${r.headers.host ?? 'localhost'}/${encodeURIComponent(r.bucket)}/${u.key.split('/').map(encodeURIComponent).join('/')}`
  const h = versioned(b) ? { [`${d.prefix}version-id`]: v.versionId } : {}
  const fields = [el('Location', location), el('Bucket', r.bucket), el('Key', u.key), el('ETag', d.etag(multipartEtag))]
  return xmlAnswer(200, node('CompleteMultipartUploadResult', fields, d.xmlns ? { xmlns: d.xmlns } : undefined), h)
}
