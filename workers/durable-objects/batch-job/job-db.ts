import type { JobStatus } from '../../../shared/jobs/job-status.ts'
import { JOB_STATUSES } from '../../../shared/jobs/job-status.ts'

/** The job object's tables; enum-like columns are guarded by CHECK constraints. */
export const JOB_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS job (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    spec TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${JOB_STATUSES.map((s) => `'${s}'`).join(', ')})),
    priority INTEGER NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    status_reason TEXT,
    failure_reasons TEXT NOT NULL DEFAULT '[]',
    total INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    failure_codes TEXT NOT NULL DEFAULT '{}',
    prep_offset INTEGER NOT NULL DEFAULT 0,
    prep_done INTEGER NOT NULL DEFAULT 0,
    manifest_size INTEGER,
    active_ms INTEGER NOT NULL DEFAULT 0,
    active_since INTEGER,
    suspended_at INTEGER,
    terminated_at INTEGER,
    report_done INTEGER NOT NULL DEFAULT 0,
    preempted INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS chunk (
    id INTEGER PRIMARY KEY,
    start_byte INTEGER NOT NULL, end_byte INTEGER NOT NULL, first_row INTEGER NOT NULL, rows INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done')),
    lease_id TEXT, lease_until INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER, failed INTEGER, succeeded_lines TEXT, failed_lines TEXT)`,
  'CREATE INDEX IF NOT EXISTS chunk_by_state ON chunk (state, id)',
  // An inline manifest, as UTF-8 bytes in 1 MiB pieces (a SQLite row stays well under 2 MB).
  'CREATE TABLE IF NOT EXISTS inline_part (idx INTEGER PRIMARY KEY, data BLOB NOT NULL)',
  `CREATE TABLE IF NOT EXISTS report_shard (
    idx INTEGER PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
    key TEXT NOT NULL, md5 TEXT NOT NULL, body TEXT NOT NULL)`,
  'CREATE TABLE IF NOT EXISTS report_manifest (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL)',
]

export const INLINE_PART_BYTES = 1024 * 1024

export type JobRow = {
  spec: string
  status: JobStatus
  priority: number
  confirmed: number
  status_reason: string | null
  failure_reasons: string
  total: number
  succeeded: number
  failed: number
  failure_codes: string
  prep_offset: number
  prep_done: number
  manifest_size: number | null
  active_ms: number
  active_since: number | null
  suspended_at: number | null
  terminated_at: number | null
  report_done: number
  preempted: number
}

export type ChunkRow = {
  id: number
  start_byte: number
  end_byte: number
  first_row: number
  rows: number
  state: 'pending' | 'leased' | 'done'
  lease_id: string | null
  lease_until: number | null
  attempts: number
}

/** Reads bytes [start, end) of an inline manifest stored in 1 MiB pieces. */
export function readInline(sql: SqlStorage, start: number, end: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, end - start))
  const first = Math.floor(start / INLINE_PART_BYTES)
  const last = Math.floor(Math.max(start, end - 1) / INLINE_PART_BYTES)
  for (const part of sql.exec<{ idx: number; data: ArrayBuffer }>('SELECT idx, data FROM inline_part WHERE idx BETWEEN ? AND ? ORDER BY idx', first, last)) {
    const bytes = new Uint8Array(part.data)
    const partStart = part.idx * INLINE_PART_BYTES
    const from = Math.max(start, partStart)
    const to = Math.min(end, partStart + bytes.length)
    if (to > from) out.set(bytes.subarray(from - partStart, to - partStart), from - start)
  }
  return out
}

export function storeInline(sql: SqlStorage, text: string): number {
  return appendInline(sql, text, 0)
}

/**
 * Appends text to the manifest kept in the job object, whose current size is `size`: the last
 * piece is filled up first, so piece i always holds bytes [i MiB, (i+1) MiB). Returns the new size.
 */
export function appendInline(sql: SqlStorage, text: string, size: number): number {
  let bytes = new TextEncoder().encode(text)
  if (bytes.length === 0) return size
  let idx = Math.floor(size / INLINE_PART_BYTES)
  const partial = size % INLINE_PART_BYTES
  if (partial > 0) {
    const head = readInline(sql, idx * INLINE_PART_BYTES, size)
    const joined = new Uint8Array(head.length + bytes.length)
    joined.set(head)
    joined.set(bytes, head.length)
    bytes = joined
  }
  for (let i = 0; i * INLINE_PART_BYTES < bytes.length; i++, idx++)
    sql.exec('INSERT OR REPLACE INTO inline_part (idx, data) VALUES (?, ?)', idx, bytes.subarray(i * INLINE_PART_BYTES, (i + 1) * INLINE_PART_BYTES))
  return Math.floor(size / INLINE_PART_BYTES) * INLINE_PART_BYTES + bytes.length
}
