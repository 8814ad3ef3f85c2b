/**
 * CSV manifests of batch jobs (`S3BatchOperations_CSV_20180820`, `OSS_BatchOperations_CSV_20250611`):
 * RFC 4180, no header row, columns per `fields`, keys and version ids percent-encoded.
 *
 * Parsed by hand (see record-scanner.ts): the parser must cut records exactly where the byte
 * scanner does, so both share one set of transitions, and every bad record must become a failed
 * row with a reason rather than an exception, which general CSV libraries do not offer.
 */

import { BucketName, ObjectKey, VersionId } from '../schemas/fields.ts'
import { COMMA, CR, LF, QUOTE, RecordScanner } from './record-scanner.ts'

export { RecordScanner } from './record-scanner.ts'

/** A manifest column; `Ignore` columns are skipped. */
export type ManifestField = 'Bucket' | 'Key' | 'VersionId' | 'Ignore'

/** One task of the manifest; `row` is the 1-based record number in the whole manifest. */
export interface ManifestTask {
  row: number
  bucket: string
  key: string
  versionId?: string
}

/** A record that could not be read as a task; `text` is the raw record, at most 1,024 chars. */
export interface ManifestRowError {
  row: number
  text: string
  reason: string
}

/** The outcome of one manifest record. */
export type ManifestRecord = { ok: true; task: ManifestTask } | { ok: false; error: ManifestRowError }

const KNOWN_FIELDS: readonly string[] = ['Bucket', 'Key', 'VersionId', 'Ignore']

/** Reason the `fields` list is unusable, or undefined when it is valid. */
export function validateManifestFields(fields: string[]): string | undefined {
  const seen = new Set<string>()
  for (const f of fields) {
    if (!KNOWN_FIELDS.includes(f)) return `unknown manifest field "${f}" (expected Bucket, Key, VersionId or Ignore)`
    if (f !== 'Ignore' && seen.has(f)) return `manifest field "${f}" appears more than once`
    seen.add(f)
  }
  if (!seen.has('Bucket')) return 'manifest fields must include Bucket'
  if (!seen.has('Key')) return 'manifest fields must include Key'
  return undefined
}

const MAX_TEXT = 1024

// A BOM is dropped only at the manifest's first byte (as the record scanner treats it); a range
// further on that starts with U+FEFF keeps it as text.
const decoders = (atStart: boolean) => ({
  strict: new TextDecoder('utf-8', { fatal: true, ignoreBOM: !atStart }),
  lenient: new TextDecoder('utf-8', { fatal: false, ignoreBOM: !atStart }),
})
const FIRST = decoders(true)
const LATER = decoders(false)

/**
 * Decodes a range of whole manifest records starting at byte `start` of the manifest. A range that
 * is not valid UTF-8 is decoded with U+FFFD in place of the bad bytes, and `notUtf8` names the rows
 * that held them, so that they fail as rows instead of running on keys the manifest never named.
 */
export function decodeManifestRange(bytes: Uint8Array, start: number, firstRow: number): { text: string; notUtf8?: ReadonlySet<number> } {
  const { strict, lenient } = start === 0 ? FIRST : LATER
  try {
    return { text: strict.decode(bytes) }
  } catch {
    // Rare: find the bad records by their byte boundaries (the scanner works on bytes).
    const notUtf8 = new Set<number>()
    let from = 0
    let row = firstRow
    for (const end of new RecordScanner(start).push(bytes, true)) {
      try {
        LATER.strict.decode(bytes.subarray(from, end - start))
      } catch {
        notUtf8.add(row)
      }
      from = end - start
      row++
    }
    return { text: lenient.decode(bytes), notUtf8 }
  }
}

/**
 * Parses the complete records of a byte range decoded as UTF-8; `firstRow` is the row number of
 * its first record. Bad records become `{ ok: false }` with a reason; this never throws.
 */
export function parseManifestRecords(text: string, fields: ManifestField[], firstRow: number, notUtf8?: ReadonlySet<number>): ManifestRecord[] {
  const out: ManifestRecord[] = []
  const n = text.length
  // Only the manifest's first range can start with the BOM, which the scanner does not count.
  let i = firstRow === 1 && text.charCodeAt(0) === 0xfeff ? 1 : 0
  let row = firstRow
  // Rows of a range mostly name one bucket: each distinct bucket is checked once.
  const buckets = new Map<string, string | null>()
  while (i < n) {
    const c = text.charCodeAt(i)
    // Empty lines are skipped, not counted, exactly as the scanner does.
    if (c === LF || c === CR) {
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1
      continue
    }
    const start = i
    const rec = readRecord(text, i)
    i = rec.end
    const raw = text.slice(start, rec.end)
    if (i < n) i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1
    const outcome = notUtf8?.has(row) ? 'the row is not valid UTF-8' : (rec.problem ?? toTask(rec.values, fields, row, buckets))
    if (typeof outcome === 'string') out.push({ ok: false, error: { row, text: truncate(raw), reason: outcome } })
    else out.push({ ok: true, task: outcome })
    row++
  }
  return out
}

interface RawRecord {
  values: string[]
  /** Index of the line end (or the end of text) that closes the record. */
  end: number
  problem?: string
}

// Splits one record into unescaped field values, following the transitions of record-scanner.ts.
function readRecord(text: string, from: number): RawRecord {
  const n = text.length
  const values: string[] = []
  let problem: string | undefined
  let i = from
  for (;;) {
    const column = values.length + 1
    if (text.charCodeAt(i) === QUOTE) {
      let value = ''
      let seg = ++i
      let closed = false
      while (i < n) {
        const q = text.indexOf('"', i)
        if (q === -1) break
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(seg, q + 1)
          seg = i = q + 2
          continue
        }
        value += text.slice(seg, q)
        i = q + 1
        closed = true
        break
      }
      if (!closed) {
        values.push(value + text.slice(seg))
        return { values, end: n, problem: problem ?? `unbalanced quotes: the quoted column ${column} is never closed` }
      }
      const after = i
      i = fieldEnd(text, i)
      if (i > after) problem ??= `text after the closing quote of column ${column}`
      values.push(value + text.slice(after, i))
    } else {
      const j = fieldEnd(text, i)
      if (text.slice(i, j).includes('"')) problem ??= `quote inside the unquoted column ${column} (quote the field and double the quote)`
      values.push(text.slice(i, j))
      i = j
    }
    if (i < n && text.charCodeAt(i) === COMMA) {
      i++
      continue
    }
    return { values, end: i, problem }
  }
}

// Index of the comma or line end after an unquoted run (quotes there are data, as in the scanner).
function fieldEnd(text: string, i: number): number {
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === COMMA || c === LF || c === CR) break
    i++
  }
  return i
}

// Returns the task, or the reason the values are not one.
function toTask(values: string[], fields: ManifestField[], row: number, buckets: Map<string, string | null>): ManifestTask | string {
  if (values.length < fields.length) {
    return `expected ${fields.length} columns (${fields.join(',')}), found ${values.length}`
  }
  let bucket = ''
  let key: string | undefined
  let versionId: string | undefined
  for (let c = 0; c < fields.length; c++) {
    const f = fields[c]
    const v = values[c]!
    if (f === 'Bucket') bucket = v
    else if (f === 'Key') key = v
    else if (f === 'VersionId') versionId = v
  }
  let bucketProblem = buckets.get(bucket)
  if (bucketProblem === undefined) {
    bucketProblem = checkBucket(bucket)
    buckets.set(bucket, bucketProblem)
  }
  if (bucketProblem !== null) return bucketProblem
  const k = percentDecode('Key', key ?? '')
  if (k.reason !== undefined) return k.reason
  const kk = ObjectKey.safeParse(k.value)
  if (!kk.success) return `Key ${kk.error.issues[0]?.message}`
  const task: ManifestTask = { row, bucket, key: k.value }
  if (versionId !== undefined) {
    // Running an empty version id as "no version" would act on the latest version instead of
    // the one the row meant (S3 fails such a task too); the null version is the literal `null`.
    if (versionId === '') return 'VersionId is empty (name the version, or `null` for the null version)'
    const v = percentDecode('VersionId', versionId)
    if (v.reason !== undefined) return v.reason
    const vv = VersionId.safeParse(v.value)
    if (!vv.success) return `VersionId ${vv.error.issues[0]?.message}`
    task.versionId = v.value
  }
  return task
}

// Buckets are not percent-encoded in either format; their names have no characters needing it.
function checkBucket(bucket: string): string | null {
  const b = BucketName.safeParse(bucket)
  if (!b.success) return `Bucket ${b.error.issues[0]?.message}`
  if (!bucket.isWellFormed()) return 'Bucket must be valid UTF-8 (no unpaired surrogates)'
  return null
}

const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/

// Strict percent-decoding: '+' stays a plus (S3 manifests use %20 for spaces), and a malformed
// escape or bytes that are not UTF-8 are a reason, not a best-effort guess at the key.
function percentDecode(what: string, s: string): { value: string; reason?: undefined } | { reason: string } {
  if (!s.includes('%')) return { value: s }
  const bad = BAD_ESCAPE.exec(s)
  if (bad) return { reason: `${what} has a bad percent-escape "${s.slice(bad.index, bad.index + 3)}" at character ${bad.index + 1}` }
  try {
    return { value: decodeURIComponent(s) }
  } catch {
    return { reason: `${what} is not valid UTF-8 once percent-decoded` }
  }
}

// Cut at 1,024 UTF-16 units, one earlier rather than split a surrogate pair.
function truncate(raw: string): string {
  if (raw.length <= MAX_TEXT) return raw
  const c = raw.charCodeAt(MAX_TEXT - 1)
  return raw.slice(0, c >= 0xd800 && c <= 0xdbff ? MAX_TEXT - 1 : MAX_TEXT)
}
