/**
 * In-memory Qiniu Kodo buckets and the semantics of each management op. No I/O: `apply` takes
 * a parsed command and returns the op's `{code, data?}` exactly as a /batch item.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto'
import type { BucketPatch, EmulatorObject, SeedObject } from '../control.ts'
import type { Command, Cond, Entry, LifecycleField } from './qiniu-ops.ts'

/** An object as the store keeps it: the control API's shape, with putTime exact as a bigint. */
export type StoredObject = Omit<EmulatorObject, 'putTime'> & {
  /** 100-ns units; beyond 2^53, hence bigint. */
  putTime: bigint
  /**
   * The bytes, for objects stored by an upload (and their copies). Seeded objects have none: a
   * download serves `fsize` zero bytes for them. Never shown by the control API.
   */
  content?: Buffer
}

export interface OpResult {
  code: number
  data?: unknown
}

export class SeedError extends Error {}

const DAY = 86_400
const TRANSITION_FIELDS = ['transitionToIA', 'transitionToArchiveIR', 'transitionToARCHIVE', 'transitionToDeepArchive'] as const
type TransitionField = (typeof TRANSITION_FIELDS)[number]
const HEADER_FIELDS = ['cacheControl', 'contentDisposition', 'contentLanguage', 'contentEncoding', 'expires'] as const

const LIFECYCLE_TARGET: Record<LifecycleField, TransitionField | 'expiration'> = {
  toIAAfterDays: 'transitionToIA',
  toArchiveIRAfterDays: 'transitionToArchiveIR',
  toArchiveAfterDays: 'transitionToARCHIVE',
  toDeepArchiveAfterDays: 'transitionToDeepArchive',
  deleteAfterDays: 'expiration',
}

const err = (code: number, error: string): OpResult => ({ code, data: { error } })
const OK: OpResult = { code: 200 }

const QETAG_BLOCK = 4 * 1024 * 1024
const sha1 = (b: Uint8Array | string) => createHash('sha1').update(b).digest()

/**
 * Qiniu etag (qetag) of a content: up to one 4 MiB block urlsafe_b64(0x16 || sha1(content)), beyond
 * urlsafe_b64(0x96 || sha1(sha1(block 1) || ... || sha1(block n))). Node's own SHA-1, independent
 * of the gateway's WebCrypto implementation.
 */
export function qiniuEtag(content: Uint8Array | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  let digest: Buffer
  if (bytes.length <= QETAG_BLOCK) digest = Buffer.concat([Buffer.from([0x16]), sha1(bytes)])
  else {
    const blocks: Buffer[] = []
    for (let i = 0; i < bytes.length; i += QETAG_BLOCK) blocks.push(sha1(bytes.subarray(i, i + QETAG_BLOCK)))
    digest = Buffer.concat([Buffer.from([0x96]), sha1(Buffer.concat(blocks))])
  }
  return digest.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}

const BIG_MARK = `@@bigint-${randomUUID()}:`
const BIG_RE = new RegExp(`"${BIG_MARK}(-?\\d+)"`, 'g')
/** JSON.stringify that writes bigint values as exact JSON integers (putTime). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? BIG_MARK + v.toString() : v)).replace(BIG_RE, '$1')
}

import { compareKeys } from '../key-order.ts'

export { compareKeys }

export interface QiniuStoreOptions {
  /** Wall clock in ms (default Date.now). Used for putTime, expiration and lifecycle dates. */
  now?: () => number
  /** Sub-millisecond part of new putTimes, 0..9999 (default random, like real putTimes). */
  subMs?: () => number
}

export class QiniuStore {
  readonly buckets = new Map<string, Map<string, StoredObject>>()
  private readonly now: () => number
  private readonly subMs: () => number
  private lastPutTime = 0n

  constructor(opts: QiniuStoreOptions = {}) {
    this.now = opts.now ?? Date.now
    this.subMs = opts.subMs ?? (() => randomInt(0, 10_000))
  }

  /** A new putTime: now in 100-ns units, strictly increasing. */
  newPutTime(): bigint {
    let t = BigInt(Math.floor(this.now())) * 10_000n + BigInt(this.subMs())
    if (t <= this.lastPutTime) t = this.lastPutTime + 1n
    this.lastPutTime = t
    return t
  }

  /** Unix seconds of now + days, rounded up to the next UTC day boundary. */
  private daysFromNow(days: number): number {
    const t = Math.floor(this.now() / 1000) + days * DAY
    return Math.ceil(t / DAY) * DAY
  }

  // ---------------------------------------------------------------- control side

  /** Creates or replaces a bucket. Throws SeedError on invalid objects. */
  putBucket(name: string, seeds: unknown): number {
    if (name === '') throw new SeedError('bucket name must not be empty')
    const objects = new Map<string, StoredObject>()
    for (const s of this.seedList(seeds, 'objects')) {
      const o = this.fromSeed(s)
      if (objects.has(o.key)) throw new SeedError(`duplicate key ${JSON.stringify(o.key)}`)
      objects.set(o.key, o)
    }
    this.buckets.set(name, objects)
    return objects.size
  }

  /** Upserts / updates / deletes objects of an existing bucket. Returns the object count, or undefined if no bucket. */
  patchBucket(name: string, patch: unknown): number | undefined {
    const bucket = this.buckets.get(name)
    if (!bucket) return undefined
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new SeedError('body must be a JSON object')
    const p = patch as Record<string, unknown>
    for (const k of Object.keys(p)) if (!['upsert', 'update', 'delete'].includes(k)) throw new SeedError(`unknown field "${k}"`)
    const { upsert, update, delete: del } = p as BucketPatch
    // Validate everything before changing anything.
    const upserts = this.seedList(upsert ?? [], 'upsert').map((s) => this.fromSeed(s))
    const updates: StoredObject[] = []
    for (const u of this.seedList(update ?? [], 'update')) {
      const cur = bucket.get(u.key) ?? updates.find((x) => x.key === u.key) ?? upserts.find((x) => x.key === u.key)
      if (!cur) throw new SeedError(`update: no object ${JSON.stringify(u.key)}`)
      updates.push(this.applyUpdate(cur, u as unknown as Record<string, unknown>))
    }
    if (del !== undefined && (!Array.isArray(del) || del.some((k) => typeof k !== 'string'))) throw new SeedError('"delete" must be an array of keys')
    for (const o of upserts) bucket.set(o.key, o)
    for (const o of updates) bucket.set(o.key, o)
    for (const k of del ?? []) bucket.delete(k)
    return bucket.size
  }

  deleteBucket(name: string): boolean {
    return this.buckets.delete(name)
  }

  listObjects(name: string): EmulatorObject[] | undefined {
    const bucket = this.buckets.get(name)
    if (!bucket) return undefined
    return [...bucket.values()].sort((a, b) => compareKeys(a.key, b.key)).map(toView)
  }

  getObject(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key)
  }

  /**
   * Stores an upload as a new object (a new putTime, enabled, standard class, no metadata), its
   * hash computed from the bytes. The bucket must exist.
   */
  putObject(bucket: string, key: string, content: Buffer, mimeType: string): StoredObject {
    const b = this.buckets.get(bucket)
    if (!b) throw new Error(`no bucket ${bucket}`)
    const o: StoredObject = { key, fsize: content.length, hash: qiniuEtag(content), mimeType, putTime: this.newPutTime(), type: 0, status: 0, meta: {}, content }
    b.set(key, o)
    return o
  }

  private seedList(v: unknown, field: string): Array<SeedObject> {
    if (!Array.isArray(v)) throw new SeedError(`"${field}" must be an array`)
    for (const s of v) {
      if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new SeedError(`"${field}" items must be objects`)
      const key = (s as { key?: unknown }).key
      if (typeof key !== 'string') throw new SeedError(`"${field}" items need a string "key"`)
      // Keys are UTF-8 on the wire: a lone surrogate could never be addressed by an op.
      if (!key.isWellFormed()) throw new SeedError(`"${field}": key ${JSON.stringify(key)} is not well-formed Unicode`)
    }
    return v as SeedObject[]
  }

  private fromSeed(s: SeedObject): StoredObject {
    const o: StoredObject = {
      key: s.key,
      fsize: 0,
      hash: qiniuEtag(s.key),
      mimeType: 'application/octet-stream',
      putTime: 0n,
      type: 0,
      status: 0,
      meta: {},
    }
    const withDefaults = this.applyUpdate(o, s as unknown as Record<string, unknown>)
    if (s.putTime === undefined) withDefaults.putTime = this.newPutTime()
    return withDefaults
  }

  /** Copy of `cur` with the fields of `u` (validated; null removes an optional field). */
  private applyUpdate(cur: StoredObject, u: Record<string, unknown>): StoredObject {
    const o: StoredObject = { ...cur, meta: { ...cur.meta } }
    const key = JSON.stringify(u.key)
    const bad = (f: string, what: string) => new SeedError(`object ${key}: "${f}" ${what}`)
    const nonNegInt = (f: string, v: unknown) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(f, 'must be a non-negative integer')
      return v
    }
    for (const [f, v] of Object.entries(u)) {
      if (f === 'key') continue
      switch (f) {
        case 'fsize':
          o.fsize = nonNegInt(f, v)
          break
        case 'hash':
        case 'mimeType':
          if (typeof v !== 'string' || v === '') throw bad(f, 'must be a non-empty string')
          o[f] = v
          break
        case 'putTime':
          // A number beyond 2^53 is taken as is (the sender may already have rounded it).
          if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 63) o.putTime = BigInt(v)
          else if (typeof v === 'string' && /^\d{1,20}$/.test(v)) o.putTime = BigInt(v)
          else throw bad(f, 'must be a non-negative integer (number or decimal string)')
          break
        case 'type':
          if (nonNegInt(f, v) > 4) throw bad(f, 'must be 0..4')
          o.type = v as number
          break
        case 'status':
          if (v !== 0 && v !== 1) throw bad(f, 'must be 0 or 1')
          o.status = v
          break
        case 'restoreStatus':
          if (v === null || v === 0) delete o.restoreStatus
          else if (v === 1 || v === 2) o.restoreStatus = v
          else throw bad(f, 'must be 0, 1 or 2')
          break
        case 'md5':
          if (v === null) delete o.md5
          else if (typeof v === 'string' && /^[0-9a-f]{32}$/.test(v)) o.md5 = v
          else throw bad(f, 'must be 32 lower-case hex digits')
          break
        case 'meta':
          if (v === null) o.meta = {}
          else if (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')) o.meta = { ...(v as Record<string, string>) }
          else throw bad(f, 'must be an object of strings')
          break
        case 'expiration':
        case 'transitionToIA':
        case 'transitionToArchiveIR':
        case 'transitionToARCHIVE':
        case 'transitionToDeepArchive':
          if (v === null) delete o[f]
          else o[f] = nonNegInt(f, v)
          break
        case 'cacheControl':
        case 'contentDisposition':
        case 'contentLanguage':
        case 'contentEncoding':
        case 'expires':
          if (v === null) delete o[f]
          else if (typeof v === 'string') o[f] = v
          else throw bad(f, 'must be a string')
          break
        default:
          throw new SeedError(`object ${key}: unknown field "${f}"`)
      }
    }
    if (o.restoreStatus !== undefined && o.type !== 2 && o.type !== 3) {
      throw new SeedError(`object ${key}: restoreStatus needs type 2 (archive) or 3 (deep archive)`)
    }
    return o
  }

  // ---------------------------------------------------------------- ops

  /** Applies one op; the result is the /batch item for it. */
  apply(cmd: Command): OpResult {
    switch (cmd.op) {
      case 'stat': {
        const r = this.lookup(cmd.entry)
        return 'code' in r ? r : { code: 200, data: statData(r.obj) }
      }
      case 'copy':
      case 'move':
        return this.copyOrMove(cmd.op, cmd.src, cmd.dest, cmd.force)
      case 'delete': {
        const r = this.lookup(cmd.entry)
        if ('code' in r) return r
        r.bucket.delete(cmd.entry.key)
        return OK
      }
      case 'restoreAr': {
        const r = this.lookup(cmd.entry)
        if ('code' in r) return r
        if (r.obj.type !== 2 && r.obj.type !== 3) return err(403, 'operation only allowed for archive or deep archive')
        // A second restore while restoring (1) or restored (2) answers 200 and changes nothing.
        r.obj.restoreStatus ??= 1
        return OK
      }
      case 'chgm': {
        const r = this.lookup(cmd.entry)
        if ('code' in r) return r
        if (cmd.cond && !condMatches(r.obj, cmd.cond)) return err(608, 'file modified')
        if (cmd.mime !== undefined) r.obj.mimeType = cmd.mime
        // Choice: when at least one x-qn-meta-* segment is present, the given meta REPLACES the
        // object's whole x-qn-meta map (keys not listed are dropped); without any, meta is kept.
        if (cmd.meta !== undefined) r.obj.meta = { ...cmd.meta }
        Object.assign(r.obj, cmd.headers)
        return OK
      }
      case 'chtype': {
        const r = this.lookup(cmd.entry)
        if ('code' in r) return r
        if (r.obj.type !== cmd.type) {
          r.obj.type = cmd.type
          // A changed storage class means a restored archive object is frozen again.
          delete r.obj.restoreStatus
        }
        return OK
      }
      case 'chstatus': {
        const r = this.lookup(cmd.entry)
        if ('code' in r) return r
        if (r.obj.status === cmd.status) return err(400, cmd.status === 0 ? 'already enabled' : 'already disabled')
        r.obj.status = cmd.status
        return OK
      }
      case 'deleteAfterDays': {
        const r = this.lookup(cmd.entry)
        if ('code' in r) return r
        if (cmd.days === 0) delete r.obj.expiration
        else r.obj.expiration = this.daysFromNow(cmd.days)
        return OK
      }
      case 'lifecycle': {
        const r = this.lookup(cmd.entry)
        if ('code' in r) return r
        if (cmd.cond && !condMatches(r.obj, cmd.cond)) return err(608, 'file modified')
        for (const [field, n] of Object.entries(cmd.days) as Array<[LifecycleField, number]>) {
          const target = LIFECYCLE_TARGET[field]
          if (n === -1) delete r.obj[target]
          else if (n > 0) r.obj[target] = this.daysFromNow(n)
          // 0: unchanged
        }
        return OK
      }
    }
  }

  private lookup(e: Entry): { code: number; data: unknown } | { bucket: Map<string, StoredObject>; obj: StoredObject } {
    const bucket = this.buckets.get(e.bucket)
    if (!bucket) return { code: 631, data: { error: 'no such bucket' } }
    const obj = bucket.get(e.key)
    if (!obj) return { code: 612, data: { error: 'no such file or directory' } }
    return { bucket, obj }
  }

  private copyOrMove(op: 'copy' | 'move', src: Entry, dest: Entry, force: boolean): OpResult {
    const sb = this.buckets.get(src.bucket)
    const db = this.buckets.get(dest.bucket)
    if (!sb || !db) return err(631, 'no such bucket')
    const obj = sb.get(src.key)
    if (!obj) return err(612, 'no such file or directory')
    if (db.has(dest.key) && !force) return err(614, 'file exists')
    const same = src.bucket === dest.bucket && src.key === dest.key
    if (op === 'move' && same) return OK // a move onto itself (with force) changes nothing
    // Copy keeps the content and its description (hash, fsize, mimeType, md5, meta, type and
    // the content headers); the new object gets a new putTime, is enabled, not restored, and has
    // no expiry or lifecycle dates. A move is a copy that then removes the source.
    const copy: StoredObject = {
      key: dest.key,
      fsize: obj.fsize,
      hash: obj.hash,
      mimeType: obj.mimeType,
      putTime: this.newPutTime(),
      type: obj.type,
      status: 0,
      meta: { ...obj.meta },
    }
    if (obj.md5 !== undefined) copy.md5 = obj.md5
    if (obj.content !== undefined) copy.content = obj.content
    for (const f of HEADER_FIELDS) if (obj[f] !== undefined) copy[f] = obj[f]
    db.set(dest.key, copy)
    if (op === 'move') sb.delete(src.key)
    return OK
  }
}

function condMatches(o: StoredObject, c: Cond): boolean {
  return (
    (c.hash === undefined || c.hash === o.hash) &&
    (c.mime === undefined || c.mime === o.mimeType) &&
    (c.fsize === undefined || c.fsize === String(o.fsize)) &&
    (c.putTime === undefined || c.putTime === o.putTime.toString())
  )
}

/** The `data` of a successful stat (putTime is a bigint: serialise with toJson). */
export function statData(o: StoredObject): Record<string, unknown> {
  const d: Record<string, unknown> = { fsize: o.fsize, hash: o.hash, mimeType: o.mimeType, putTime: o.putTime }
  if (o.type !== 0) d.type = o.type
  if (o.status === 1) d.status = 1
  if (o.restoreStatus !== undefined && (o.type === 2 || o.type === 3)) d.restoreStatus = o.restoreStatus
  if (o.md5 !== undefined) d.md5 = o.md5
  if (Object.keys(o.meta).length > 0) d['x-qn-meta'] = { ...o.meta }
  if (o.expiration !== undefined) d.expiration = o.expiration
  for (const f of TRANSITION_FIELDS) if (o[f] !== undefined) d[f] = o[f]
  return d
}

function toView(o: StoredObject): EmulatorObject {
  const { putTime, meta, content: _content, ...rest } = o
  return { ...rest, putTime: putTime.toString(), meta: { ...meta } }
}
