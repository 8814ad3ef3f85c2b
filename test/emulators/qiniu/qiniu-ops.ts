/**
 * Parsing of Qiniu management op paths (the `op=` values of /batch, also valid as standalone
 * requests) into commands. Syntax only: whether buckets/objects exist is the store's business.
 *
 * EncodedEntryURI = urlsafe base64 of "bucket:key" with the '=' padding. Decoding accepts both
 * alphabets ('+' as well as '-'; '/' cannot occur since it separates segments) but requires a
 * correct length (padding kept) and valid UTF-8. The entry is split at the first ':'; an entry
 * without ':' (bucket-only) is not valid for object ops.
 */

export interface Entry {
  bucket: string
  key: string
}

/** The `cond` of chgm / lifecycle: every field present must equal the object's. */
export interface Cond {
  hash?: string
  mime?: string
  fsize?: string
  putTime?: string
}

export const CHGM_HEADER_FIELDS = ['cacheControl', 'contentDisposition', 'contentLanguage', 'contentEncoding', 'expires'] as const
export type ChgmHeaderField = (typeof CHGM_HEADER_FIELDS)[number]

export const LIFECYCLE_FIELDS = ['toIAAfterDays', 'toArchiveIRAfterDays', 'toArchiveAfterDays', 'toDeepArchiveAfterDays', 'deleteAfterDays'] as const
export type LifecycleField = (typeof LIFECYCLE_FIELDS)[number]

export type Command =
  | { op: 'stat'; entry: Entry }
  | { op: 'copy' | 'move'; src: Entry; dest: Entry; force: boolean }
  | { op: 'delete'; entry: Entry }
  | { op: 'restoreAr'; entry: Entry; freezeAfterDays: number }
  | {
      op: 'chgm'
      entry: Entry
      mime?: string
      /** Present when at least one x-qn-meta-* segment was given: the complete new meta map. */
      meta?: Record<string, string>
      headers: { [K in ChgmHeaderField]?: string }
      cond?: Cond
    }
  | { op: 'chtype'; entry: Entry; type: number }
  | { op: 'chstatus'; entry: Entry; status: number }
  | { op: 'deleteAfterDays'; entry: Entry; days: number }
  | { op: 'lifecycle'; entry: Entry; days: { [K in LifecycleField]?: number }; cond?: Cond }

export type OpName = Command['op']
export const OP_NAMES: readonly OpName[] = ['stat', 'copy', 'move', 'delete', 'restoreAr', 'chgm', 'chtype', 'chstatus', 'deleteAfterDays', 'lifecycle']

export type ParsedOp =
  | { ok: true; cmd: Command; targets: Entry[] }
  /** `targets`: the entries that could be decoded (so faults and logs still see the bucket). */
  | { ok: false; code: 400; error: string; targets: Entry[] }

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) // ignoreBOM: keep a leading U+FEFF of a key
const te = new TextEncoder()
const byteLength = (s: string) => te.encode(s).length

/** urlsafe base64 (padding kept) of the UTF-8 of `s`. */
export function urlsafeB64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}

/** EncodedEntryURI of bucket:key (bucket only when key is undefined). */
export function encodeEntry(bucket: string, key?: string): string {
  return urlsafeB64(key === undefined ? bucket : `${bucket}:${key}`)
}

/** Strict urlsafe/std base64 → UTF-8 string; null when invalid. */
export function decodeB64(seg: string): string | null {
  if (seg.length % 4 !== 0 || !/^[A-Za-z0-9+_-]*={0,2}$/.test(seg)) return null
  const bytes = Buffer.from(seg.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

export function decodeEntry(seg: string): Entry | null {
  if (seg === '') return null
  const s = decodeB64(seg)
  if (s === null) return null
  const i = s.indexOf(':')
  if (i <= 0) return null
  return { bucket: s.slice(0, i), key: s.slice(i + 1) }
}

class OpError extends Error {}

function parseInt10(s: string | undefined, err: string): number {
  if (s === undefined || !/^-?\d{1,15}$/.test(s)) throw new OpError(err)
  return Number(s)
}

function parseCond(seg: string): Cond {
  const s = decodeB64(seg)
  if (s === null || s === '') throw new OpError('invalid cond')
  const cond: Cond = {}
  for (const part of s.split('&')) {
    const i = part.indexOf('=')
    if (i <= 0) throw new OpError('invalid cond')
    const k = part.slice(0, i)
    const v = part.slice(i + 1)
    if (k !== 'hash' && k !== 'mime' && k !== 'fsize' && k !== 'putTime') throw new OpError('invalid cond')
    if (cond[k] !== undefined) throw new OpError('invalid cond')
    cond[k] = v
  }
  return cond
}

const META_KEY = /^[A-Za-z0-9_-]{1,50}$/
const META_PREFIX = 'x-qn-meta-'

function parseCommand(name: string, args: string[], targets: Entry[]): Command {
  const entryAt = (i: number): Entry => {
    const a = args[i]
    const e = a === undefined ? null : decodeEntry(a)
    if (!e) throw new OpError('invalid op')
    targets.push(e)
    return e
  }
  switch (name) {
    case 'stat':
    case 'delete': {
      const entry = entryAt(0)
      if (args.length !== 1) throw new OpError('invalid op')
      return { op: name, entry }
    }
    case 'copy':
    case 'move': {
      const src = entryAt(0)
      const dest = entryAt(1)
      let force = false
      if (args.length === 4 && args[2] === 'force') {
        if (args[3] === 'true') force = true
        else if (args[3] !== 'false') throw new OpError('invalid force')
      } else if (args.length !== 2) {
        throw new OpError('invalid op')
      }
      return { op: name, src, dest, force }
    }
    case 'restoreAr': {
      const entry = entryAt(0)
      if (args.length !== 3 || args[1] !== 'freezeAfterDays') throw new OpError('invalid freezeAfterDays')
      const n = parseInt10(args[2], 'invalid freezeAfterDays')
      if (n < 1 || n > 7) throw new OpError('invalid freezeAfterDays')
      return { op: name, entry, freezeAfterDays: n }
    }
    case 'chtype': {
      const entry = entryAt(0)
      if (args.length !== 3 || args[1] !== 'type') throw new OpError('invalid op')
      const type = parseInt10(args[2], 'invalid type')
      if (type < 0 || type > 4) throw new OpError('invalid type')
      return { op: name, entry, type }
    }
    case 'chstatus': {
      const entry = entryAt(0)
      if (args.length !== 3 || args[1] !== 'status') throw new OpError('invalid op')
      const status = parseInt10(args[2], 'invalid status')
      if (status !== 0 && status !== 1) throw new OpError('invalid status')
      return { op: name, entry, status }
    }
    case 'deleteAfterDays': {
      const entry = entryAt(0)
      if (args.length !== 2) throw new OpError('invalid op')
      const days = parseInt10(args[1], 'invalid deleteAfterDays')
      if (days < 0) throw new OpError('invalid deleteAfterDays')
      return { op: name, entry, days }
    }
    case 'chgm': {
      const entry = entryAt(0)
      if (args.length % 2 !== 1) throw new OpError('invalid op')
      const cmd: Extract<Command, { op: 'chgm' }> = { op: 'chgm', entry, headers: {} }
      const seen = new Set<string>()
      let metaBytes = 0
      for (let i = 1; i < args.length; i += 2) {
        const pname = args[i] as string
        const raw = args[i + 1] as string
        if (pname === '' || seen.has(pname)) throw new OpError('invalid op')
        seen.add(pname)
        if (pname === 'mime') {
          const mime = decodeB64(raw)
          if (mime === null || mime === '' || byteLength(mime) > 200 || mime.includes('%')) throw new OpError('invalid mime')
          cmd.mime = mime
        } else if (pname.startsWith(META_PREFIX)) {
          const k = pname.slice(META_PREFIX.length)
          if (!META_KEY.test(k)) throw new OpError('invalid meta key')
          const v = decodeB64(raw)
          if (v === null) throw new OpError('invalid meta value')
          cmd.meta ??= {}
          cmd.meta[k] = v
          metaBytes += byteLength(k) + byteLength(v)
          if (metaBytes > 1024) throw new OpError('meta too large')
        } else if (pname === 'cond') {
          cmd.cond = parseCond(raw)
        } else if ((CHGM_HEADER_FIELDS as readonly string[]).includes(pname)) {
          const v = decodeB64(raw)
          if (v === null) throw new OpError(`invalid ${pname}`)
          cmd.headers[pname as ChgmHeaderField] = v
        } else {
          throw new OpError('invalid op')
        }
      }
      // A chgm that changes nothing is rejected (deliberate choice: it is almost certainly a
      // client bug; the real service's answer for it is undocumented).
      if (cmd.mime === undefined && cmd.meta === undefined && Object.keys(cmd.headers).length === 0) {
        throw new OpError('nothing to change')
      }
      return cmd
    }
    case 'lifecycle': {
      const entry = entryAt(0)
      if (args.length % 2 !== 1) throw new OpError('invalid op')
      const cmd: Extract<Command, { op: 'lifecycle' }> = { op: 'lifecycle', entry, days: {} }
      const seen = new Set<string>()
      for (let i = 1; i < args.length; i += 2) {
        const pname = args[i] as string
        const raw = args[i + 1] as string
        if (seen.has(pname)) throw new OpError('invalid op')
        seen.add(pname)
        if (pname === 'cond') {
          cmd.cond = parseCond(raw)
        } else if ((LIFECYCLE_FIELDS as readonly string[]).includes(pname)) {
          const n = parseInt10(raw, `invalid ${pname}`)
          if (n < -1) throw new OpError(`invalid ${pname}`)
          cmd.days[pname as LifecycleField] = n
        } else {
          throw new OpError('invalid op')
        }
      }
      return cmd
    }
    default:
      throw new OpError('unknown op')
  }
}

/**
 * Parses one op path such as `/stat/<E>`. With `allowGlb`, a `/glb/` prefix (`/glb/stat/<E>`)
 * is accepted too (the /glb/batch endpoint).
 */
export function parseOp(path: string, opts: { allowGlb?: boolean } = {}): ParsedOp {
  const targets: Entry[] = []
  let p = path
  if (opts.allowGlb && p.startsWith('/glb/')) p = p.slice(4)
  if (!p.startsWith('/')) return { ok: false, code: 400, error: 'invalid op', targets }
  const [name, ...args] = p.slice(1).split('/')
  if (name === undefined || !(OP_NAMES as readonly string[]).includes(name)) {
    return { ok: false, code: 400, error: 'unknown op', targets }
  }
  try {
    const cmd = parseCommand(name, args, targets)
    return { ok: true, cmd, targets }
  } catch (e) {
    if (e instanceof OpError) return { ok: false, code: 400, error: e.message, targets }
    throw e
  }
}

/** Builds op paths (used by the self-test; mirrors the SDKs). */
export const opPath = {
  stat: (b: string, k: string) => `/stat/${encodeEntry(b, k)}`,
  delete: (b: string, k: string) => `/delete/${encodeEntry(b, k)}`,
  copy: (sb: string, sk: string, db: string, dk: string, force?: boolean) =>
    `/copy/${encodeEntry(sb, sk)}/${encodeEntry(db, dk)}${force === undefined ? '' : `/force/${force}`}`,
  move: (sb: string, sk: string, db: string, dk: string, force?: boolean) =>
    `/move/${encodeEntry(sb, sk)}/${encodeEntry(db, dk)}${force === undefined ? '' : `/force/${force}`}`,
  chtype: (b: string, k: string, type: number) => `/chtype/${encodeEntry(b, k)}/type/${type}`,
  chstatus: (b: string, k: string, status: number) => `/chstatus/${encodeEntry(b, k)}/status/${status}`,
  deleteAfterDays: (b: string, k: string, days: number) => `/deleteAfterDays/${encodeEntry(b, k)}/${days}`,
  restoreAr: (b: string, k: string, days: number) => `/restoreAr/${encodeEntry(b, k)}/freezeAfterDays/${days}`,
}
