/**
 * In-memory buckets of the object-store emulators: versioned objects with content, metadata,
 * storage class, tags, ACL and archive-restore state. No I/O and no protocol: the dialects give
 * names (storage classes, ACLs) and server.ts gives the semantics of each request.
 *
 * Versioning (S3 and OSS alike): a bucket is Unversioned, Enabled or Suspended.
 * - Unversioned: one version per key, id 'null'; a write replaces it; a delete removes it.
 * - Enabled: a write adds a version with a new id; a delete without a version id adds a delete
 *   marker; a delete with one removes that version for good.
 * - Suspended: a write replaces the 'null' version; a delete without a version id replaces the
 *   'null' version with a delete marker whose id is 'null'.
 */
import { createHash, randomBytes } from 'node:crypto'
import type {
  ObjectStoreBucketState,
  ObjectStoreObject,
  ObjectStorePatch,
  ObjectStoreRestore,
  ObjectStoreSeedObject,
  ObjectStoreVersioning,
} from '../control.ts'

export class SeedError extends Error {}

export interface RestoreState {
  ongoing: boolean
  /** Epoch ms; restored copies only. */
  expiry?: number
  /** Epoch ms when an ongoing restore completes by itself (emulator option restoreDelayMs). */
  completesAt?: number
  days?: number
  tier?: string
}

export interface StoredVersion {
  key: string
  versionId: string
  deleteMarker: boolean
  body: Buffer
  /** Lower-case hex. */
  md5: string
  /** Written by CompleteMultipartUpload: its ETag, lower-case `<hex>-<parts>` (else the ETag is the MD5). */
  multipartEtag?: string
  contentType: string
  /** Epoch ms. */
  lastModified: number
  meta: Record<string, string>
  storageClass: string
  /** In insertion order. */
  tags: Array<[string, string]>
  acl: string
  restore?: RestoreState
}

export interface BucketState {
  versioning: ObjectStoreVersioning
  /** Key → versions, oldest first (the last one is current). */
  keys: Map<string, StoredVersion[]>
}

/** What the store needs from a dialect to validate seeds. */
export interface StoreNames {
  storageClasses: readonly string[]
  defaultStorageClass: string
  archiveClasses: readonly string[]
  acls: readonly string[]
  defaultAcl: string
  defaultContentType: string
}

export interface DeleteOutcome {
  /** The version id the answer reports (the given one, or the new delete marker's). */
  versionId?: string
  /** The answer reports a delete marker (created, or removed by version id). */
  deleteMarker: boolean
  deleteMarkerVersionId?: string
}

export const md5Hex = (b: Uint8Array): string => createHash('md5').update(b).digest('hex')

/** The ETag of a version, unquoted lower-case hex: its MD5, or a multipart upload's `<hex>-<parts>`. */
export const etagHex = (v: StoredVersion): string => v.multipartEtag ?? v.md5

import { compareKeys } from '../key-order.ts'

export { compareKeys }

export function newVersionId(): string {
  return randomBytes(24).toString('base64url')
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const SEED_FIELDS = ['key', 'body', 'bodyBase64', 'contentType', 'meta', 'storageClass', 'tags', 'acl', 'restore', 'lastModified', 'versionId', 'deleteMarker']

export class ObjectStore {
  readonly buckets = new Map<string, BucketState>()
  private readonly now: () => number
  private readonly names: StoreNames

  constructor(names: StoreNames, opts: { now?: () => number } = {}) {
    this.names = names
    this.now = opts.now ?? Date.now
  }

  bucket(name: string): BucketState | undefined {
    return this.buckets.get(name)
  }

  /** The current version (possibly a delete marker), with an elapsed restore settled. */
  current(bucket: BucketState, key: string): StoredVersion | undefined {
    const vs = bucket.keys.get(key)
    const v = vs?.[vs.length - 1]
    if (v) this.settleRestore(v)
    return v
  }

  version(bucket: BucketState, key: string, versionId: string): StoredVersion | undefined {
    const v = bucket.keys.get(key)?.find((x) => x.versionId === versionId)
    if (v) this.settleRestore(v)
    return v
  }

  /** Applies the clock to a restore: completes it when due, forgets it when expired. */
  settleRestore(v: StoredVersion): void {
    const r = v.restore
    if (!r) return
    const now = this.now()
    if (r.ongoing && r.completesAt !== undefined && r.completesAt <= now) {
      v.restore = { ongoing: false, expiry: r.completesAt + (r.days ?? 1) * 86_400_000 }
      if (r.days !== undefined) v.restore.days = r.days
      if (r.tier !== undefined) v.restore.tier = r.tier
    }
    if (v.restore && !v.restore.ongoing && v.restore.expiry !== undefined && v.restore.expiry <= now) delete v.restore
  }

  isArchive(v: StoredVersion): boolean {
    return this.names.archiveClasses.includes(v.storageClass)
  }

  /** An archive-class version whose content cannot be read now. */
  isFrozen(v: StoredVersion): boolean {
    this.settleRestore(v)
    return this.isArchive(v) && !(v.restore && !v.restore.ongoing)
  }

  /** Writes a new current version (per the bucket's versioning). Returns it. */
  put(bucket: BucketState, data: Omit<StoredVersion, 'versionId' | 'deleteMarker'>): StoredVersion {
    const vs = bucket.keys.get(data.key) ?? []
    const v: StoredVersion = { ...data, deleteMarker: false, versionId: 'null' }
    if (bucket.versioning === 'Enabled') v.versionId = newVersionId()
    else if (bucket.versioning === 'Unversioned') vs.length = 0
    else this.removeNull(vs)
    vs.push(v)
    bucket.keys.set(data.key, vs)
    return v
  }

  private removeNull(vs: StoredVersion[]): void {
    const i = vs.findIndex((x) => x.versionId === 'null')
    if (i >= 0) vs.splice(i, 1)
  }

  /** Deletes the current object (delete marker when versioned). A missing key is no error. */
  deleteCurrent(bucket: BucketState, key: string): DeleteOutcome {
    const vs = bucket.keys.get(key)
    if (bucket.versioning === 'Unversioned') {
      bucket.keys.delete(key)
      return { deleteMarker: false }
    }
    const list = vs ?? []
    const marker: StoredVersion = {
      key,
      versionId: bucket.versioning === 'Enabled' ? newVersionId() : 'null',
      deleteMarker: true,
      body: Buffer.alloc(0),
      md5: md5Hex(Buffer.alloc(0)),
      contentType: '',
      lastModified: this.now(),
      meta: {},
      storageClass: this.names.defaultStorageClass,
      tags: [],
      acl: this.names.defaultAcl,
    }
    if (bucket.versioning === 'Suspended') this.removeNull(list)
    list.push(marker)
    bucket.keys.set(key, list)
    return { deleteMarker: true, deleteMarkerVersionId: marker.versionId }
  }

  /** Removes one version for good. A missing version is no error. */
  deleteVersion(bucket: BucketState, key: string, versionId: string): DeleteOutcome {
    const vs = bucket.keys.get(key)
    const i = vs ? vs.findIndex((x) => x.versionId === versionId) : -1
    if (!vs || i < 0) return { versionId, deleteMarker: false }
    const [removed] = vs.splice(i, 1)
    if (vs.length === 0) bucket.keys.delete(key)
    return removed!.deleteMarker ? { versionId, deleteMarker: true, deleteMarkerVersionId: versionId } : { versionId, deleteMarker: false }
  }

  // ---------------------------------------------------------------- control side

  /** Creates or replaces a bucket. Throws SeedError on invalid input. */
  putBucket(name: string, body: unknown): number {
    if (name === '') throw new SeedError('bucket name must not be empty')
    const b = isObj(body) ? body : {}
    for (const k of Object.keys(b)) if (k !== 'objects' && k !== 'versioning') throw new SeedError(`unknown field "${k}"`)
    const versioning = this.parseVersioning(b.versioning) ?? 'Unversioned'
    const bucket: BucketState = { versioning, keys: new Map() }
    for (const s of this.seedList(b.objects ?? [], 'objects')) this.addSeed(bucket, s, true)
    this.buckets.set(name, bucket)
    return this.countCurrent(bucket)
  }

  /** Upserts / updates / deletes; returns the number of current objects, or undefined if no bucket. */
  patchBucket(name: string, patch: unknown): number | undefined {
    const bucket = this.buckets.get(name)
    if (!bucket) return undefined
    if (!isObj(patch)) throw new SeedError('body must be a JSON object')
    for (const k of Object.keys(patch)) if (!['upsert', 'update', 'delete', 'versioning'].includes(k)) throw new SeedError(`unknown field "${k}"`)
    const { upsert, update, delete: del } = patch as ObjectStorePatch
    const versioning = this.parseVersioning(patch.versioning)
    if (del !== undefined && (!Array.isArray(del) || del.some((k) => typeof k !== 'string'))) throw new SeedError('"delete" must be an array of keys')
    // Validate on a copy, then swap it in: all or nothing.
    const copy: BucketState = { versioning: versioning ?? bucket.versioning, keys: new Map([...bucket.keys].map(([k, vs]) => [k, vs.map((v) => ({ ...v }))])) }
    for (const s of this.seedList(upsert ?? [], 'upsert')) this.addSeed(copy, s, false)
    for (const u of this.seedList(update ?? [], 'update')) this.applyUpdate(copy, u)
    for (const k of del ?? []) copy.keys.delete(k)
    this.buckets.set(name, copy)
    return this.countCurrent(copy)
  }

  deleteBucket(name: string): boolean {
    return this.buckets.delete(name)
  }

  /** The bucket's versioning, objects and versions (server.ts adds its multipart uploads). */
  bucketState(name: string): Omit<ObjectStoreBucketState, 'uploads'> | undefined {
    const bucket = this.buckets.get(name)
    if (!bucket) return undefined
    const keys = [...bucket.keys.keys()].sort(compareKeys)
    const objects: ObjectStoreObject[] = []
    const versions: ObjectStoreObject[] = []
    for (const k of keys) {
      const vs = bucket.keys.get(k)!
      vs.forEach((v) => this.settleRestore(v))
      const latest = vs[vs.length - 1]!
      if (!latest.deleteMarker) objects.push(this.view(latest, true))
      for (let i = vs.length - 1; i >= 0; i--) versions.push(this.view(vs[i]!, i === vs.length - 1))
    }
    return { versioning: bucket.versioning, objects, versions }
  }

  private countCurrent(bucket: BucketState): number {
    let n = 0
    for (const vs of bucket.keys.values()) if (!vs[vs.length - 1]!.deleteMarker) n++
    return n
  }

  private view(v: StoredVersion, isLatest: boolean): ObjectStoreObject {
    const o: ObjectStoreObject = {
      key: v.key,
      versionId: v.versionId,
      isLatest,
      deleteMarker: v.deleteMarker,
      size: v.body.length,
      etag: etagHex(v),
      contentType: v.contentType,
      lastModified: new Date(v.lastModified).toISOString(),
      meta: { ...v.meta },
      storageClass: v.storageClass,
      tags: Object.fromEntries(v.tags),
      acl: v.acl,
      body: v.body.toString('utf8'),
      bodyBase64: v.body.toString('base64'),
    }
    if (v.restore) {
      const r: ObjectStoreRestore = { ongoing: v.restore.ongoing }
      if (v.restore.expiry !== undefined) r.expiry = new Date(v.restore.expiry).toISOString()
      if (v.restore.days !== undefined) r.days = v.restore.days
      if (v.restore.tier !== undefined) r.tier = v.restore.tier
      o.restore = r
    }
    return o
  }

  private parseVersioning(v: unknown): 'Enabled' | 'Suspended' | undefined {
    if (v === undefined) return undefined
    if (v !== 'Enabled' && v !== 'Suspended') throw new SeedError('"versioning" must be "Enabled" or "Suspended"')
    return v
  }

  private seedList(v: unknown, field: string): Array<Record<string, unknown> & { key: string }> {
    if (!Array.isArray(v)) throw new SeedError(`"${field}" must be an array`)
    for (const s of v) {
      if (!isObj(s)) throw new SeedError(`"${field}" items must be objects`)
      if (typeof s.key !== 'string') throw new SeedError(`"${field}" items need a string "key"`)
      if (!s.key.isWellFormed()) throw new SeedError(`"${field}": key ${JSON.stringify(s.key)} is not well-formed Unicode`)
      if (s.key === '' || Buffer.byteLength(s.key) > 1024) throw new SeedError(`"${field}": key must be 1..1024 UTF-8 bytes`)
      for (const k of Object.keys(s)) {
        if (!SEED_FIELDS.includes(k)) throw new SeedError(`"${field}": unknown field "${k}"`)
        if (field === 'update' && k === 'deleteMarker') throw new SeedError('"update": "deleteMarker" cannot be changed')
      }
    }
    return v as Array<Record<string, unknown> & { key: string }>
  }

  /** Adds a seed as the newest version of its key. `initial`: explicit version ids/duplicates allowed per versioning. */
  private addSeed(bucket: BucketState, s: Record<string, unknown> & { key: string }, initial: boolean): void {
    const vs = bucket.keys.get(s.key) ?? []
    const versioned = bucket.versioning !== 'Unversioned'
    if (!versioned && (s.versionId !== undefined || s.deleteMarker !== undefined)) throw new SeedError(`key ${JSON.stringify(s.key)}: versionId/deleteMarker need a versioned bucket`)
    if (initial && !versioned && vs.length > 0) throw new SeedError(`duplicate key ${JSON.stringify(s.key)}`)
    if (s.deleteMarker !== undefined && typeof s.deleteMarker !== 'boolean') throw new SeedError('"deleteMarker" must be a boolean')
    let versionId: string
    if (s.versionId !== undefined) {
      if (typeof s.versionId !== 'string' || s.versionId === '') throw new SeedError('"versionId" must be a non-empty string')
      versionId = s.versionId
    } else versionId = bucket.versioning === 'Enabled' ? newVersionId() : 'null'
    if (vs.some((x) => x.versionId === versionId)) {
      if (versionId !== 'null' || initial) throw new SeedError(`key ${JSON.stringify(s.key)}: duplicate versionId ${JSON.stringify(versionId)}`)
    }
    const v = this.fromSeed(s, versionId)
    if (!versioned) vs.length = 0
    else if (versionId === 'null') this.removeNull(vs)
    vs.push(v)
    bucket.keys.set(s.key, vs)
  }

  private fromSeed(s: Record<string, unknown> & { key: string }, versionId: string): StoredVersion {
    const deleteMarker = s.deleteMarker === true
    const v: StoredVersion = {
      key: s.key,
      versionId,
      deleteMarker,
      body: Buffer.alloc(0),
      md5: '',
      contentType: this.names.defaultContentType,
      lastModified: this.now(),
      meta: {},
      storageClass: this.names.defaultStorageClass,
      tags: [],
      acl: this.names.defaultAcl,
    }
    this.setFields(v, s)
    if (deleteMarker) v.body = Buffer.alloc(0)
    v.md5 = md5Hex(v.body)
    return v
  }

  private applyUpdate(bucket: BucketState, u: Record<string, unknown> & { key: string }): void {
    const vs = bucket.keys.get(u.key)
    let v: StoredVersion | undefined
    if (u.versionId !== undefined) {
      if (typeof u.versionId !== 'string') throw new SeedError('"versionId" must be a string')
      v = vs?.find((x) => x.versionId === u.versionId)
    } else v = vs?.[vs.length - 1]
    if (!v) throw new SeedError(`update: no object ${JSON.stringify(u.key)}${u.versionId !== undefined ? ` version ${JSON.stringify(u.versionId)}` : ''}`)
    if (v.deleteMarker) throw new SeedError(`update: ${JSON.stringify(u.key)} is a delete marker`)
    const { versionId: _v, ...fields } = u
    this.setFields(v, fields, true)
    v.md5 = md5Hex(v.body)
    // New content is no longer the multipart upload's.
    if (fields.body !== undefined || fields.bodyBase64 !== undefined) delete v.multipartEtag
  }

  /** Sets the seed fields present in `s` on `v` (validated). `nulls`: null resets a field. */
  private setFields(v: StoredVersion, s: Record<string, unknown>, nulls = false): void {
    const has = (k: string) => s[k] !== undefined && !(nulls && s[k] === null)
    const reset = (k: string) => nulls && s[k] === null
    if (s.body !== undefined && s.bodyBase64 !== undefined) throw new SeedError('give "body" or "bodyBase64", not both')
    if (has('body')) {
      if (typeof s.body !== 'string') throw new SeedError('"body" must be a string')
      v.body = Buffer.from(s.body, 'utf8')
    } else if (has('bodyBase64')) {
      if (typeof s.bodyBase64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s.bodyBase64)) throw new SeedError('"bodyBase64" must be base64')
      v.body = Buffer.from(s.bodyBase64, 'base64')
    } else if (reset('body') || reset('bodyBase64')) v.body = Buffer.alloc(0)
    if (has('contentType')) {
      if (typeof s.contentType !== 'string') throw new SeedError('"contentType" must be a string')
      v.contentType = s.contentType
    } else if (reset('contentType')) v.contentType = this.names.defaultContentType
    if (has('meta')) v.meta = Object.fromEntries(Object.entries(this.stringRecord(s.meta, 'meta')).map(([k, x]) => [k.toLowerCase(), x]))
    else if (reset('meta')) v.meta = {}
    if (has('tags')) v.tags = Object.entries(this.stringRecord(s.tags, 'tags'))
    else if (reset('tags')) v.tags = []
    if (has('storageClass')) {
      if (typeof s.storageClass !== 'string' || !this.names.storageClasses.includes(s.storageClass)) {
        throw new SeedError(`"storageClass" must be one of ${this.names.storageClasses.join(', ')}`)
      }
      v.storageClass = s.storageClass
    } else if (reset('storageClass')) v.storageClass = this.names.defaultStorageClass
    if (has('acl')) {
      if (typeof s.acl !== 'string' || !this.names.acls.includes(s.acl)) throw new SeedError(`"acl" must be one of ${this.names.acls.join(', ')}`)
      v.acl = s.acl
    } else if (reset('acl')) v.acl = this.names.defaultAcl
    if (has('lastModified')) {
      const t = typeof s.lastModified === 'string' ? Date.parse(s.lastModified) : NaN
      if (Number.isNaN(t)) throw new SeedError('"lastModified" must be an ISO 8601 date')
      v.lastModified = t
    } else if (reset('lastModified')) v.lastModified = this.now()
    if (has('restore')) v.restore = this.parseRestore(s.restore)
    else if (reset('restore')) delete v.restore
    if (v.restore && !this.names.archiveClasses.includes(v.storageClass)) {
      throw new SeedError(`"restore" needs an archive storage class (${this.names.archiveClasses.join(', ')})`)
    }
  }

  private stringRecord(v: unknown, field: string): Record<string, string> {
    if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) throw new SeedError(`"${field}" must map strings to strings`)
    return v as Record<string, string>
  }

  private parseRestore(v: unknown): RestoreState {
    if (!isObj(v) || typeof v.ongoing !== 'boolean') throw new SeedError('"restore" must be {ongoing: boolean, expiry?, days?, tier?}')
    for (const k of Object.keys(v)) if (!['ongoing', 'expiry', 'days', 'tier'].includes(k)) throw new SeedError(`"restore": unknown field "${k}"`)
    const r: RestoreState = { ongoing: v.ongoing }
    if (v.days !== undefined) {
      if (typeof v.days !== 'number' || !Number.isInteger(v.days) || v.days < 1) throw new SeedError('"restore.days" must be a positive integer')
      r.days = v.days
    }
    if (v.tier !== undefined) {
      if (typeof v.tier !== 'string') throw new SeedError('"restore.tier" must be a string')
      r.tier = v.tier
    }
    if (v.expiry !== undefined) {
      if (v.ongoing) throw new SeedError('"restore.expiry" is for finished restores (ongoing: false)')
      const t = typeof v.expiry === 'string' ? Date.parse(v.expiry) : NaN
      if (Number.isNaN(t)) throw new SeedError('"restore.expiry" must be an ISO 8601 date')
      r.expiry = t
    } else if (!v.ongoing) r.expiry = this.now() + (r.days ?? 1) * 86_400_000
    return r
  }
}
