/**
 * Typed client for the emulators' control API (`/__emulator/...`, no auth).
 * Uses only `fetch`, so it runs in workerd tests as well as in Node.
 *
 * Routes (all JSON):
 *   PUT    /__emulator/buckets/<bucket>        {objects?: SeedObject[]}  create or replace → {bucket, objects: n}
 *   PATCH  /__emulator/buckets/<bucket>        {upsert?: SeedObject[], update?: ObjectUpdate[], delete?: string[]} → {bucket, objects: n}
 *   GET    /__emulator/buckets/<bucket>        → {objects: EmulatorObject[]} (sorted by the UTF-8 bytes of the key); 404 if missing
 *   DELETE /__emulator/buckets/<bucket>        → {deleted: boolean}
 *   POST   /__emulator/faults                  FaultRule → 201 StoredFault
 *   GET    /__emulator/faults?bucket=b         → StoredFault[] (remaining rules, each with its
 *                                                 counters: fired, and draws/opsHit; faults.ts)
 *   DELETE /__emulator/faults?bucket=b         → {cleared: n}
 *   GET    /__emulator/log?bucket=b            → LogEntry[] (oldest first)
 *   DELETE /__emulator/log?bucket=b            → {cleared: n}
 */
import type { FaultKind, FaultRule, StoredFault } from './faults.ts'

export type { FaultCounters, FaultKind, FaultRule, StoredFault } from './faults.ts'

/** An object to seed. Everything but `key` is optional. */
export interface SeedObject {
  key: string
  /** Default 0. */
  fsize?: number
  /** Default: the Qiniu etag of the key's UTF-8 bytes (28 chars, starts with "F"). */
  hash?: string
  /** Default application/octet-stream. */
  mimeType?: string
  /** 100-ns units. Default now. Pass a decimal string for exact values (they exceed 2^53). */
  putTime?: number | string
  /** 0 standard, 1 IA, 2 archive, 3 deep archive, 4 archive-IR. Default 0. */
  type?: number
  /** 0 enabled, 1 disabled. Default 0. */
  status?: number
  /** Archive/deep-archive only: 1 restoring, 2 restored; 0 or absent = frozen. */
  restoreStatus?: number
  /** Lower-case hex. */
  md5?: string
  /** x-qn-meta, keys without the prefix. */
  meta?: Record<string, string>
  /** Unix seconds. */
  expiration?: number
  transitionToIA?: number
  transitionToArchiveIR?: number
  transitionToARCHIVE?: number
  transitionToDeepArchive?: number
  cacheControl?: string
  contentDisposition?: string
  contentLanguage?: string
  contentEncoding?: string
  expires?: string
}

/** An object's full state as the control API returns it. */
export interface EmulatorObject {
  key: string
  fsize: number
  hash: string
  mimeType: string
  /** 100-ns units as a decimal string (exact; the value exceeds 2^53). */
  putTime: string
  type: number
  status: number
  restoreStatus?: 1 | 2
  md5?: string
  meta: Record<string, string>
  expiration?: number
  transitionToIA?: number
  transitionToArchiveIR?: number
  transitionToARCHIVE?: number
  transitionToDeepArchive?: number
  cacheControl?: string
  contentDisposition?: string
  contentLanguage?: string
  contentEncoding?: string
  expires?: string
}

/** Partial update of an existing object: listed fields are set; `null` removes an optional field. */
export type ObjectUpdate = { key: string } & { [K in Exclude<keyof SeedObject, 'key'>]?: SeedObject[K] | null }

export interface BucketPatch {
  /** Created or fully replaced (defaults apply to omitted fields). */
  upsert?: SeedObject[]
  /** Merged into existing objects (400 if one is missing). */
  update?: ObjectUpdate[]
  /** Keys to remove (missing keys are ignored). */
  delete?: string[]
}

/** One provider request (a /batch or a single-op call) that touched the bucket. */
export interface LogEntry {
  method: string
  /** Request path without the query, e.g. "/batch". */
  path: string
  auth: 'Qiniu' | 'QBox' | 'none'
  /** The access key the request claimed (even when its signature was wrong); null without one. */
  accessKey: string | null
  /** Number of ops in the request. */
  ops: number
  /** HTTP status answered; 0 when the connection was dropped. */
  httpStatus: number
  /** Epoch milliseconds when the request arrived. */
  at: number
  /** The request-level fault that fired (`op` when only op-level faults fired). */
  fault?: FaultKind
}

function controlUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path
}

async function call<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { 'content-type': 'application/json' }
  }
  const res = await fetch(controlUrl(baseUrl, path), init)
  const text = await res.text()
  if (!res.ok) throw new Error(`emulator control ${method} ${path} → ${res.status}: ${text}`)
  return (text === '' ? undefined : JSON.parse(text)) as T
}

const bucketPath = (bucket: string) => `/__emulator/buckets/${encodeURIComponent(bucket)}`
const q = (bucket: string) => `?bucket=${encodeURIComponent(bucket)}`

/** Creates (or replaces) `bucket` holding exactly `objects`. */
export async function seedBucket(baseUrl: string, bucket: string, objects: SeedObject[] = []): Promise<void> {
  await call(baseUrl, 'PUT', bucketPath(bucket), { objects })
}

/** Upserts, updates and deletes objects of an existing bucket. */
export async function patchBucket(baseUrl: string, bucket: string, patch: BucketPatch): Promise<void> {
  await call(baseUrl, 'PATCH', bucketPath(bucket), patch)
}

/** Marks an archive object as restored (restoreStatus 2), as if the restore had finished. */
export async function markRestored(baseUrl: string, bucket: string, key: string): Promise<void> {
  await patchBucket(baseUrl, bucket, { update: [{ key, restoreStatus: 2 }] })
}

/** Removes a bucket; resolves to whether it existed. */
export async function deleteBucket(baseUrl: string, bucket: string): Promise<boolean> {
  const r = await call<{ deleted: boolean }>(baseUrl, 'DELETE', bucketPath(bucket))
  return r.deleted
}

/** Full state of every object in `bucket`, sorted by key bytes. Throws if the bucket does not exist. */
export async function listObjects(baseUrl: string, bucket: string): Promise<EmulatorObject[]> {
  const r = await call<{ objects: EmulatorObject[] }>(baseUrl, 'GET', bucketPath(bucket))
  return r.objects
}

/** Adds a fault rule; resolves to the stored rule (with its id). */
export async function addFault(baseUrl: string, rule: FaultRule): Promise<StoredFault> {
  return call<StoredFault>(baseUrl, 'POST', '/__emulator/faults', rule)
}

/** Remaining fault rules of `bucket`, with what each has done (`fired`; `draws` with a `rate`; `opsHit`). */
export async function listFaults(baseUrl: string, bucket: string): Promise<StoredFault[]> {
  return call<StoredFault[]>(baseUrl, 'GET', `/__emulator/faults${q(bucket)}`)
}

/** Removes the fault rules of `bucket`; resolves to how many were removed. */
export async function clearFaults(baseUrl: string, bucket: string): Promise<number> {
  const r = await call<{ cleared: number }>(baseUrl, 'DELETE', `/__emulator/faults${q(bucket)}`)
  return r.cleared
}

/** Provider requests received that touched `bucket`, oldest first. */
export async function requestLog(baseUrl: string, bucket: string): Promise<LogEntry[]> {
  return call<LogEntry[]>(baseUrl, 'GET', `/__emulator/log${q(bucket)}`)
}

/** Forgets the request log of `bucket`. */
export async function clearRequestLog(baseUrl: string, bucket: string): Promise<number> {
  const r = await call<{ cleared: number }>(baseUrl, 'DELETE', `/__emulator/log${q(bucket)}`)
  return r.cleared
}

// ---------------------------------------------------------------- PDS (test/emulators/pds)
//
// The PDS emulator serves the same control routes with drives in place of buckets (a drive id is
// the `bucket` of the routes and of fault rules; a file id is the `key`), and files in place of
// objects: PUT {objects: PdsSeedFile[]}, PATCH {upsert?, update?, delete?: fileIds}, GET → {objects:
// PdsFile[]} sorted by file id. Faults, log and their clients above work unchanged (an `op` fault's
// `code` is the child response's HTTP status and its `error` the PDS error code, e.g. "TooManyRequests").

/** A file or folder to seed into a drive. Everything but fileId, name and parentFileId is optional. */
export interface PdsSeedFile {
  fileId: string
  name: string
  /** The containing folder's file id; `root` for the drive's top level. */
  parentFileId: string
  /** Default `file`. */
  type?: 'file' | 'folder'
  /** Files only; default 0. */
  size?: number
  /** Files only; default the upper-case hex SHA-1 of the file id. */
  contentHash?: string
  /** Files only; default application/octet-stream. */
  mimeType?: string
  /** Free text, as PDS stores it (batchgate writes a JSON object). */
  userMeta?: string
  userTags?: Record<string, string>
  /** ISO 8601; default now. */
  createdAt?: string
  updatedAt?: string
}

/** A file's full state as the PDS control API returns it. */
export interface PdsFile {
  fileId: string
  name: string
  parentFileId: string
  type: 'file' | 'folder'
  size: number
  contentHash: string
  mimeType: string
  userMeta?: string
  userTags: Record<string, string>
  createdAt: string
  updatedAt: string
}

/** Partial update of an existing file: listed fields are set; `null` removes an optional field. */
export type PdsFileUpdate = { fileId: string } & { [K in Exclude<keyof PdsSeedFile, 'fileId'>]?: PdsSeedFile[K] | null }

export interface PdsDrivePatch {
  /** Created or fully replaced (defaults apply to omitted fields). */
  upsert?: PdsSeedFile[]
  /** Merged into existing files (400 if one is missing). */
  update?: PdsFileUpdate[]
  /** File ids to remove with everything under them (missing ids are ignored). */
  delete?: string[]
}

/** One `/v2/batch` request that touched the drive. Never holds the token. */
export interface PdsLogEntry {
  method: string
  path: string
  /** The Authorization scheme the request used. */
  auth: 'Bearer' | 'none'
  /** Whether the Bearer token was one the emulator accepts. */
  tokenValid: boolean
  /** Child requests in the call. */
  ops: number
  /** The child requests' `url`s, in request order. */
  urls: string[]
  /** HTTP status answered; 0 when the connection was dropped. */
  httpStatus: number
  /** Epoch milliseconds when the request arrived. */
  at: number
  fault?: FaultKind
}

/** Creates (or replaces) drive `driveId` holding exactly `files`. */
export async function seedDrive(baseUrl: string, driveId: string, files: PdsSeedFile[] = []): Promise<void> {
  await call(baseUrl, 'PUT', bucketPath(driveId), { objects: files })
}

/** Upserts, updates and deletes files of an existing drive. */
export async function patchDrive(baseUrl: string, driveId: string, patch: PdsDrivePatch): Promise<void> {
  await call(baseUrl, 'PATCH', bucketPath(driveId), patch)
}

/** Every file and folder of drive `driveId`, sorted by file id. Throws if the drive does not exist. */
export async function listDriveFiles(baseUrl: string, driveId: string): Promise<PdsFile[]> {
  const r = await call<{ objects: PdsFile[] }>(baseUrl, 'GET', bucketPath(driveId))
  return r.objects
}

/** `/v2/batch` requests received that touched drive `driveId`, oldest first. */
export async function pdsRequestLog(baseUrl: string, driveId: string): Promise<PdsLogEntry[]> {
  return call<PdsLogEntry[]>(baseUrl, 'GET', `/__emulator/log${q(driveId)}`)
}

// ---------------------------------------------------------------------------------------------
// Object-store emulators (S3-compatible and Aliyun OSS; test/emulators/objectstore/). Same routes
// and shapes as above: fault rules and request logs use addFault / listFaults / clearFaults /
// clearRequestLog / deleteBucket unchanged; the functions below add the object-store bodies.
//
//   PUT    /__emulator/buckets/<bucket>   {objects?: ObjectStoreSeedObject[], versioning?}
//   PATCH  /__emulator/buckets/<bucket>   ObjectStorePatch
//   GET    /__emulator/buckets/<bucket>   → ObjectStoreBucketState ({versioning, objects, versions})
//   GET    /__emulator/log?bucket=b       → ObjectStoreLogEntry[]
// ---------------------------------------------------------------------------------------------

/** Bucket versioning state ('Unversioned' = never enabled). */
export type ObjectStoreVersioning = 'Unversioned' | 'Enabled' | 'Suspended'

/** Archive restore state of one object version. */
export interface ObjectStoreRestore {
  /** true while the restore runs; false once the copy is readable (until `expiry`). */
  ongoing: boolean
  /** ISO 8601; when the restored copy expires (restored objects only). When seeding a finished
   * restore without it, the emulator sets now + `days` (default 1). */
  expiry?: string
  /** Days and tier of the request that started it, when known. */
  days?: number
  tier?: string
}

/** An object (version) to seed. Everything but `key` is optional. */
export interface ObjectStoreSeedObject {
  key: string
  /** Content as UTF-8 text; default empty. */
  body?: string
  /** Content as base64 bytes (instead of `body`). */
  bodyBase64?: string
  /** Default binary/octet-stream (S3) or application/octet-stream (OSS). */
  contentType?: string
  /** User metadata, names without the x-amz-meta-/x-oss-meta- prefix (stored lower-case). */
  meta?: Record<string, string>
  /** The provider's own names: STANDARD, GLACIER, DEEP_ARCHIVE, ... (S3); Standard, IA, Archive, ColdArchive, DeepColdArchive (OSS). */
  storageClass?: string
  tags?: Record<string, string>
  /** Canned ACL; default private (S3) or default (OSS). */
  acl?: string
  /** Archive classes only. */
  restore?: ObjectStoreRestore
  /** ISO 8601; default now. */
  lastModified?: string
  /** Versioned buckets only; default a generated id. */
  versionId?: string
  /** Versioned buckets only: this version is a delete marker (body and fields are ignored). */
  deleteMarker?: boolean
}

/** One stored object version as the control API returns it. */
export interface ObjectStoreObject {
  key: string
  /** 'null' in unversioned buckets (and for versions written while suspended). */
  versionId: string
  isLatest: boolean
  deleteMarker: boolean
  size: number
  /**
   * Lower-case hex MD5 of the content, unquoted (the wire ETag quotes it; OSS upper-cases it); for
   * an object a multipart upload wrote, its multipart ETag `<hex>-<parts>`.
   */
  etag: string
  contentType: string
  /** ISO 8601. */
  lastModified: string
  meta: Record<string, string>
  storageClass: string
  tags: Record<string, string>
  acl: string
  restore?: ObjectStoreRestore
  /** Content decoded as UTF-8, and exactly as base64. */
  body: string
  bodyBase64: string
}

export interface ObjectStoreBucketState {
  versioning: ObjectStoreVersioning
  /** Current versions that are not delete markers, sorted by the UTF-8 bytes of the key. */
  objects: ObjectStoreObject[]
  /** Every version incl. delete markers: by key, newest first. */
  versions: ObjectStoreObject[]
  /** Multipart uploads begun and neither completed nor aborted, oldest first. */
  uploads: ObjectStoreUpload[]
}

/** A multipart upload in progress. */
export interface ObjectStoreUpload {
  key: string
  uploadId: string
  /** ISO 8601. */
  initiated: string
  /** The parts uploaded so far, by part number; `etag` is the part's MD5, lower-case hex. */
  parts: { partNumber: number; size: number; etag: string }[]
}

/** Partial update of an existing version: listed fields are set; `null` removes an optional one. */
export type ObjectStoreUpdate = { key: string; versionId?: string } & {
  [K in Exclude<keyof ObjectStoreSeedObject, 'key' | 'versionId' | 'deleteMarker'>]?: ObjectStoreSeedObject[K] | null
}

export interface ObjectStorePatch {
  /** Written as new current versions (a new version in versioned buckets). */
  upsert?: ObjectStoreSeedObject[]
  /** Merged into the current version (or `versionId`); 400 if missing. */
  update?: ObjectStoreUpdate[]
  /** Keys whose every version is removed (missing keys are ignored). */
  delete?: string[]
  versioning?: 'Enabled' | 'Suspended'
}

export type ObjectStoreOperation =
  | 'HeadObject'
  | 'GetObject'
  | 'PutObject'
  | 'CopyObject'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'GetObjectTagging'
  | 'PutObjectTagging'
  | 'DeleteObjectTagging'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'RestoreObject'
  | 'ListObjectsV2'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'Unsupported'

/** One provider request that touched the bucket (as destination or copy source). */
export interface ObjectStoreLogEntry {
  method: string
  /** Request path as received, without the query. */
  path: string
  /** Raw query string without '?', '' when none. */
  query: string
  operation: ObjectStoreOperation
  /** The addressed bucket and key (decoded); null when none. */
  bucket: string | null
  key: string | null
  addressing: 'path' | 'virtual'
  auth: 'AWS4-HMAC-SHA256' | 'AWS' | 'OSS4-HMAC-SHA256' | 'OSS' | 'none'
  /** The access key the request claimed (even when its signature was wrong); null without one. */
  accessKey: string | null
  /** V4 only: the region of the credential scope. */
  region?: string
  /** 1, or the number of <Object> entries of a DeleteObjects request. */
  ops: number
  /** HTTP status answered; 0 when the connection was dropped. */
  httpStatus: number
  /** <Code> of the error document answered (also inside an HTTP 200 inner error). */
  errorCode?: string
  /** Number of per-key <Error> entries in a DeleteObjects answer. */
  keyErrors?: number
  /** Epoch milliseconds when the request arrived. */
  at: number
  fault?: FaultKind
}

/** Creates (or replaces) an object-store bucket holding exactly `objects` (in version order). */
export async function seedObjectStoreBucket(
  baseUrl: string,
  bucket: string,
  objects: ObjectStoreSeedObject[] = [],
  opts: { versioning?: 'Enabled' | 'Suspended' } = {},
): Promise<void> {
  await call(baseUrl, 'PUT', bucketPath(bucket), opts.versioning === undefined ? { objects } : { objects, versioning: opts.versioning })
}

/** Upserts, updates and deletes objects of an existing object-store bucket. */
export async function patchObjectStoreBucket(baseUrl: string, bucket: string, patch: ObjectStorePatch): Promise<void> {
  await call(baseUrl, 'PATCH', bucketPath(bucket), patch)
}

/** Versioning, current objects and all versions of an object-store bucket. Throws if it does not exist. */
export async function getObjectStoreBucket(baseUrl: string, bucket: string): Promise<ObjectStoreBucketState> {
  return call<ObjectStoreBucketState>(baseUrl, 'GET', bucketPath(bucket))
}

/** Current (non-delete-marker) objects of an object-store bucket, sorted by key bytes. */
export async function listObjectStoreObjects(baseUrl: string, bucket: string): Promise<ObjectStoreObject[]> {
  return (await getObjectStoreBucket(baseUrl, bucket)).objects
}

/**
 * Finishes an archive restore as if it had completed now: readable for `days` (default 1; the
 * emulator computes the expiry from its own clock).
 */
export async function markObjectRestored(baseUrl: string, bucket: string, key: string, opts: { days?: number; versionId?: string } = {}): Promise<void> {
  const update: ObjectStoreUpdate = { key, restore: { ongoing: false, days: opts.days ?? 1 } }
  if (opts.versionId !== undefined) update.versionId = opts.versionId
  await patchObjectStoreBucket(baseUrl, bucket, { update: [update] })
}

/** Object-store requests received that touched `bucket`, oldest first. */
export async function objectStoreRequestLog(baseUrl: string, bucket: string): Promise<ObjectStoreLogEntry[]> {
  return call<ObjectStoreLogEntry[]>(baseUrl, 'GET', `/__emulator/log${q(bucket)}`)
}
