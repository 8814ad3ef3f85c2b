/**
 * The body of a Qiniu `/batch` (or `/glb/batch`) call — `op=<path>&op=<path>…`, form-encoded —
 * read into unified §4 operations, so a Qiniu application can run its batches on any account.
 * Every op form of provider-protocols §1.5, with the legacy `/glb/` prefix of the glb/batch seed
 * accepted on any op. Pure: no I/O, no runtime bindings.
 *
 * Nothing of Qiniu's that batchgate cannot express is silently dropped: a `cond` segment, chgm's
 * cache headers and storage type 5 (intelligent tiering) are refused with the op's index.
 */
import { decodeEncodedEntryURI } from '../crypto/qiniu-entry.ts'
import { fromBase64Url, utf8Decode } from '../crypto/encoding.ts'
import { QINIU_TYPE_NAMES } from '../providers/qiniu/qiniu-ops.ts'
import { formatPath, parseWith } from '../schemas/issues.ts'
import { Operation } from '../schemas/operation.ts'

/** Qiniu's own limit on ops per batch (provider-protocols §1.6). */
export const QINIU_MAX_OPS = 1000

export type QiniuFormResult = { ok: true; operations: Operation[] } | { ok: false; message: string }

/** One op path → the unified operation's fields (not yet validated), or why it cannot be one. */
type OpParse = { ok: true; operation: Record<string, unknown> } | { ok: false; message: string }

class BadOp extends Error {}

const LIFECYCLE_SEGMENTS = new Set(['toIAAfterDays', 'toArchiveIRAfterDays', 'toArchiveAfterDays', 'toDeepArchiveAfterDays', 'deleteAfterDays'])
const CHGM_HEADERS = new Set(['cacheControl', 'contentDisposition', 'contentLanguage', 'contentEncoding', 'expires'])
const META_PREFIX = 'x-qn-meta-'

/** Reads a whole form body: every `op` value in order (other fields are ignored, as Qiniu does). */
export function parseQiniuBatchForm(body: string): QiniuFormResult {
  const paths: string[] = []
  for (const pair of body.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq))
    if (name !== 'op') continue
    const value = eq < 0 ? undefined : formDecode(pair.slice(eq + 1))
    if (value === undefined) return { ok: false, message: `op[${paths.length}]: not a form-encoded op value` }
    paths.push(value)
  }
  if (paths.length === 0) return { ok: false, message: 'no op: send op=<operation> form fields' }
  if (paths.length > QINIU_MAX_OPS) return { ok: false, message: `too many ops: ${paths.length} > ${QINIU_MAX_OPS}` }

  const operations: Operation[] = []
  for (const [i, path] of paths.entries()) {
    const read = parseQiniuOp(path)
    if (!read.ok) return { ok: false, message: `op[${i}]: ${read.message}` }
    // The same schema as POST /v1/batch, so both front ends accept exactly the same operations.
    const valid = parseWith(Operation, read.operation)
    if (!valid.success) return { ok: false, message: valid.errors.map((e) => `${formatPath(['op', i])}.${e.path}: ${e.message}`).join('; ') }
    operations.push(valid.data)
  }
  return { ok: true, operations }
}

/** One op path such as `/copy/<Esrc>/<Edest>/force/true` → the unified operation's fields. */
export function parseQiniuOp(path: string): OpParse {
  const bare = path.startsWith('/glb/') ? path.slice(4) : path
  if (!bare.startsWith('/')) return { ok: false, message: `"${clip(path)}" is not an op path (/<op>/<EncodedEntryURI>…)` }
  const [name = '', ...args] = bare.slice(1).split('/')
  try {
    return { ok: true, operation: opFields(name, args) }
  } catch (err) {
    if (err instanceof BadOp) return { ok: false, message: `${name}: ${err.message}` }
    throw err
  }
}

function opFields(name: string, args: string[]): Record<string, unknown> {
  switch (name) {
    case 'stat':
    case 'delete':
      arity(args, 1)
      return { op: name, ...entry(args[0]) }
    case 'copy':
    case 'move': {
      let overwrite = false
      if (args.length === 4 && args[2] === 'force') overwrite = bool(args[3], 'force')
      else arity(args, 2, '<EncodedEntryURISrc>/<EncodedEntryURIDest>[/force/<true|false>]')
      return { op: name, ...entry(args[0]), destination: entry(args[1], 'destination'), overwrite }
    }
    case 'chstatus':
      if (args.length !== 3 || args[1] !== 'status' || (args[2] !== '0' && args[2] !== '1')) throw new BadOp('expected <EncodedEntryURI>/status/<0|1>')
      return { op: 'setStatus', ...entry(args[0]), enabled: args[2] === '0' }
    case 'chtype': {
      if (args.length !== 3 || args[1] !== 'type') throw new BadOp('expected <EncodedEntryURI>/type/<n>')
      const type = int(args[2], 'type')
      const storageClass = QINIU_TYPE_NAMES[type]
      if (type === 5) throw new BadOp('type 5 (intelligent tiering) has no batchgate storage class')
      if (storageClass === undefined) throw new BadOp(`unknown type ${type}: 0 standard, 1 IA, 2 archive, 3 deep archive, 4 archive IR`)
      return { op: 'setStorageClass', ...entry(args[0]), storageClass }
    }
    case 'deleteAfterDays':
      arity(args, 2, '<EncodedEntryURI>/<days>')
      return { op: 'setExpiry', ...entry(args[0]), days: int(args[1], 'days') }
    case 'restoreAr':
      if (args.length !== 3 || args[1] !== 'freezeAfterDays') throw new BadOp('expected <EncodedEntryURI>/freezeAfterDays/<1..7>')
      return { op: 'restore', ...entry(args[0]), days: int(args[2], 'freezeAfterDays') }
    case 'lifecycle': {
      const fields: Record<string, unknown> = { op: 'setLifecycle', ...entry(args[0]) }
      for (const [segment, value] of pairs(args)) {
        if (segment === 'cond') throw new BadOp('cond is not supported by batchgate')
        if (!LIFECYCLE_SEGMENTS.has(segment)) throw new BadOp(`unknown segment "${clip(segment)}"`)
        fields[segment] = int(value, segment)
      }
      return fields
    }
    case 'chgm': {
      const fields: Record<string, unknown> = { op: 'setMetadata', ...entry(args[0]) }
      const metadata: Record<string, string> = {}
      for (const [segment, value] of pairs(args)) {
        if (segment === 'mime') fields.contentType = b64Text(value, 'mime')
        else if (segment.startsWith(META_PREFIX)) metadata[segment.slice(META_PREFIX.length)] = b64Text(value, segment)
        else if (segment === 'cond' || CHGM_HEADERS.has(segment)) throw new BadOp(`${segment} is not supported by batchgate`)
        else throw new BadOp(`unknown segment "${clip(segment)}"`)
      }
      if (Object.keys(metadata).length > 0) fields.metadata = metadata
      return fields
    }
    default:
      throw new BadOp('unknown op (stat, copy, move, delete, chstatus, chtype, chgm, deleteAfterDays, lifecycle, restoreAr)')
  }
}

function entry(encoded: string | undefined, what = 'entry'): { bucket: string; key: string } {
  if (!encoded) throw new BadOp(`${what}: missing EncodedEntryURI`)
  let decoded: { bucket: string; key?: string }
  try {
    decoded = decodeEncodedEntryURI(encoded)
  } catch {
    throw new BadOp(`${what}: not an EncodedEntryURI (URL-safe base64 of "<bucket>:<key>")`)
  }
  if (decoded.key === undefined) throw new BadOp(`${what}: the EncodedEntryURI names a bucket but no key`)
  return { bucket: decoded.bucket, key: decoded.key }
}

/** `args` after the entry as (segment, value) pairs. */
function pairs(args: string[]): [string, string][] {
  if (args.length < 3 || args.length % 2 !== 1) throw new BadOp('expected <EncodedEntryURI> followed by /<name>/<value> pairs')
  const out: [string, string][] = []
  const seen = new Set<string>()
  for (let i = 1; i < args.length; i += 2) {
    if (seen.has(args[i]!)) throw new BadOp(`"${clip(args[i]!)}" given twice`)
    seen.add(args[i]!)
    out.push([args[i]!, args[i + 1]!])
  }
  return out
}

function arity(args: string[], n: number, shape = '<EncodedEntryURI>') {
  if (args.length !== n) throw new BadOp(`expected ${shape}`)
}

function int(s: string | undefined, what: string): number {
  if (s === undefined || !/^-?\d{1,9}$/.test(s)) throw new BadOp(`${what} must be an integer`)
  return Number(s)
}

function bool(s: string | undefined, what: string): boolean {
  if (s !== 'true' && s !== 'false') throw new BadOp(`${what} must be true or false`)
  return s === 'true'
}

function b64Text(s: string, what: string): string {
  try {
    return utf8Decode(fromBase64Url(s))
  } catch {
    throw new BadOp(`${what}: not URL-safe base64 of UTF-8 text`)
  }
}

/** application/x-www-form-urlencoded decoding; undefined for a broken %-escape. */
function formDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

// Echoed input is cut short: an error message should name the problem, not repeat a large body.
const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s)
