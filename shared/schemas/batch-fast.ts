/**
 * A fast accept for the everyday `POST /v1/batch` body, in front of the zod schema.
 *
 * Why: inside workerd zod runs without its JIT (Workers refuse `new Function`), and walking a
 * 1,000-operation body through the discriminated union cost ~1 ms of CPU (a quarter of the
 * Worker's JS per batch in `npm run bench`), plus the ill-formed-string walk of `parseWith`. This
 * checks the operations' shapes in one plain pass. It only ever says "certainly valid" or "don't know":
 * anything it does not recognise, and every invalid body, goes to zod, which alone words the
 * errors. So the contract's validation stays the schema's; `test/shared/schemas/batch-fast.test.ts`
 * holds the two to agreement (whatever this accepts, zod accepts with the same value).
 */
import type { BatchRequest } from './batch.ts'
import { MAX_BATCH_OPERATIONS } from './batch.ts'
import { utf8Length } from './fields.ts'
import { ACLS, RESTORE_TIERS, STORAGE_CLASSES } from './operation.ts'

type Obj = Record<string, unknown>

const BUCKET_CHARS = /^[A-Za-z0-9._-]+$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
const storageClasses: ReadonlySet<unknown> = new Set(STORAGE_CLASSES)
const acls: ReadonlySet<unknown> = new Set(ACLS)
const tiers: ReadonlySet<unknown> = new Set(RESTORE_TIERS)

// Function declarations, not arrows: the bench's profile (scripts/bench/profile.ts) names phases by them.
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype
}
function isBucket(v: unknown): boolean {
  return typeof v === 'string' && v.length <= 255 && BUCKET_CHARS.test(v)
}
function isKey(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0 && v.isWellFormed() && !v.includes('\u0000') && (v.length <= 341 || utf8Length(v) <= 1024)
}
function isProviderId(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length > 0 && v.length <= max && v.isWellFormed() && !CONTROL.test(v)
}
function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
}

function isDestination(d: unknown): boolean {
  if (!isObj(d)) return false
  let bucket = false
  let target = false
  for (const k in d) {
    const v = d[k]
    if (k === 'bucket') {
      if (!(bucket = isBucket(v))) return false
    } else if (k === 'key' || k === 'name') {
      if (!isKey(v)) return false
      if (k === 'key') target = true
    } else if (k === 'parentFileId') {
      if (!isProviderId(v, 1024)) return false
      target = true
    } else return false
  }
  return bucket && target
}

const METADATA_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/
const LIFECYCLE: ReadonlySet<string> = new Set(['toIAAfterDays', 'toArchiveIRAfterDays', 'toArchiveAfterDays', 'toDeepArchiveAfterDays', 'deleteAfterDays'])

/** fields.ts HeaderValue(max): printable, bounded. */
function isHeaderValue(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length <= max && v.isWellFormed() && !CONTROL.test(v)
}

/** A plain object of at most `most` entries whose names and values pass the checks. */
function isRecordOf(v: unknown, name: (k: string) => boolean, value: (x: unknown) => boolean, most = Infinity): boolean {
  if (!isObj(v)) return false
  let n = 0
  // "__proto__" (an own field after JSON.parse) is left to zod, whose output object cannot hold it.
  for (const k in v) if (++n > most || k === '__proto__' || !name(k) || !value(v[k])) return false
  return true
}

/** One argument of a recognised kind: true when valid, false when unknown or invalid. */
function isArgument(kind: string, k: string, v: unknown): boolean {
  switch (kind) {
    case 'setMetadata':
      if (k === 'contentType') return typeof v === 'string' && v.length > 0 && isHeaderValue(v, 256)
      return k === 'metadata' && isRecordOf(v, (n) => METADATA_NAME.test(n), (x) => isHeaderValue(x, 2048))
    case 'setLifecycle':
      return LIFECYCLE.has(k) && isInt(v, -1, 36500)
    case 'putTagging':
      return k === 'tags' && isRecordOf(v, (n) => n.length > 0 && isHeaderValue(n, 128), (x) => isHeaderValue(x, 256), 10)
    case 'copy':
    case 'move':
      return k === 'destination' ? isDestination(v) : k === 'overwrite' && typeof v === 'boolean'
    case 'restore':
      return k === 'days' ? isInt(v, 1, 365) : k === 'tier' && tiers.has(v)
    case 'setStorageClass':
      return k === 'storageClass' && storageClasses.has(v)
    case 'setStatus':
      return k === 'enabled' && typeof v === 'boolean'
    case 'setExpiry':
      return k === 'days' && isInt(v, 0, 36500)
    case 'putAcl':
      return k === 'acl' && acls.has(v)
    default:
      return false
  }
}

/** The kinds recognised here, with their required arguments; others go to zod. */
const REQUIRED: Record<string, readonly string[]> = {
  stat: [],
  delete: [],
  deleteTagging: [],
  copy: ['destination'],
  move: ['destination'],
  restore: ['days'],
  setStorageClass: ['storageClass'],
  setStatus: ['enabled'],
  setExpiry: ['days'],
  putAcl: ['acl'],
  putTagging: ['tags'],
  // setMetadata and setLifecycle need at least one of their fields (ONE_OF below).
  setMetadata: [],
  setLifecycle: [],
}

/** Kinds that need at least one of these fields (operation.ts refines them so). */
const ONE_OF: Record<string, readonly string[]> = {
  setMetadata: ['contentType', 'metadata'],
  setLifecycle: [...LIFECYCLE],
}

function isOperation(o: unknown): boolean {
  if (!isObj(o)) return false
  const kind = o.op
  if (typeof kind !== 'string' || !Object.hasOwn(REQUIRED, kind)) return false
  let bucket = false
  let key = false
  for (const k in o) {
    const v = o[k]
    if (k === 'op') continue
    if (k === 'bucket') {
      if (!(bucket = isBucket(v))) return false
    } else if (k === 'key') {
      if (!(key = isKey(v))) return false
    } else if (k === 'id') {
      if (typeof v !== 'string' || v.length === 0 || v.length > 256 || !v.isWellFormed()) return false
    } else if (k === 'versionId') {
      if (!isProviderId(v, 1024)) return false
    } else if (!isArgument(kind, k, v)) return false
  }
  if (!bucket || !key) return false
  for (const r of REQUIRED[kind]!) if (!Object.hasOwn(o, r)) return false
  const anyOf = ONE_OF[kind]
  return anyOf === undefined || anyOf.some((f) => Object.hasOwn(o, f))
}

function isOperations(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_BATCH_OPERATIONS) return false
  // An indexed loop, not every(): every() skips the holes of a sparse array.
  for (let i = 0; i < v.length; i++) if (!isOperation(v[i])) return false
  return true
}

/**
 * The body itself, typed, when it is certainly a valid batch request of the recognised kinds (and
 * every string in it is well-formed Unicode); otherwise undefined — then zod decides.
 */
export function fastBatchRequest(input: unknown): BatchRequest | undefined {
  if (!isObj(input)) return undefined
  let account = false
  let operations = false
  for (const k in input) {
    const v = input[k]
    if (k === 'account') account = typeof v === 'string' && v.length > 0 && v.length <= 128 && v.isWellFormed()
    else if (k === 'operations') operations = isOperations(v)
    else return undefined
  }
  return account && operations ? (input as BatchRequest) : undefined
}
