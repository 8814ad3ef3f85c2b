/**
 * Completion reports of batch jobs (`Report_CSV_20180820`): CSV rows in the schema order of §6,
 * the top-level `manifest.json`, and shards split by task status with their MD5.
 */

import { md5Hex } from '../crypto/hash.ts'
import { utf8Length } from '../schemas/fields.ts'

/** Outcome of one task as a report row. */
export interface TaskResult {
  bucket: string
  key: string
  versionId?: string
  status: 'succeeded' | 'failed'
  errorCode?: string
  httpStatus: number
  message?: string
}

/** Format name of the report's manifest.json. */
export const REPORT_FORMAT = 'Report_CSV_20180820'

/** Column order of every report row (§6). */
export const REPORT_SCHEMA = 'Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage'

/** One entry of manifest.json `results`: a shard and its hex MD5. */
export interface ReportManifestResult {
  taskExecutionStatus: 'succeeded' | 'failed'
  bucket: string
  key: string
  md5Checksum: string
}

/** The report's top-level manifest.json. */
export interface ReportManifest {
  format: typeof REPORT_FORMAT
  reportCreationDate: string
  reportSchema: typeof REPORT_SCHEMA
  results: ReportManifestResult[]
}

/** The §6 manifest.json object listing the report's shards. */
export function reportManifest(input: { creationDate: string; results: ReportManifestResult[] }): ReportManifest {
  return {
    format: REPORT_FORMAT,
    reportCreationDate: input.creationDate,
    reportSchema: REPORT_SCHEMA,
    results: input.results.map((r) => ({
      taskExecutionStatus: r.taskExecutionStatus,
      bucket: r.bucket,
      key: r.key,
      md5Checksum: r.md5Checksum,
    })),
  }
}

const NEEDS_QUOTES = /[",\r\n]/

// RFC 4180: quote a field holding a comma, quote or line end, doubling its quotes. Lone
// surrogates become U+FFFD first, so the shard's text, its byte count and its MD5 all agree.
export function csvField(s: string): string {
  const w = s.isWellFormed() ? s : s.toWellFormed()
  return NEEDS_QUOTES.test(w) ? `"${w.replace(/"/g, '""')}"` : w
}

/**
 * Keys and version ids are percent-encoded like encodeURIComponent (so a space is %20 and '+'
 * is %2B, which reads the same whether a reader decodes '+' as a space or not, and which our
 * manifest parser reads back) except that '/' stays readable, as in S3's URL-encoded keys.
 */
export function encodeReportKey(s: string): string {
  return encodeURIComponent(s.toWellFormed()).replace(/%2F/g, '/')
}

/** One report line (ending in `\n`) in the order of {@link REPORT_SCHEMA}. */
export function reportCsvRow(r: TaskResult): string {
  return `${csvField(r.bucket)},${encodeReportKey(r.key)},${r.versionId === undefined ? '' : encodeReportKey(r.versionId)},${r.status},${csvField(r.errorCode ?? '')},${r.httpStatus},${csvField(r.message ?? '')}\n`
}

/** A finished report shard: its CSV text and hex MD5 (of the UTF-8 bytes). */
export interface ReportShard {
  status: 'succeeded' | 'failed'
  text: string
  rows: number
  /** UTF-8 length of `text`. */
  bytes: number
  md5: string
}

/** Size limits of one shard; a shard closes before it would pass either. */
export interface ReportShardLimits {
  maxBytes?: number
  maxRows?: number
}

/** Default largest shard: 64 MiB. */
export const DEFAULT_SHARD_BYTES = 64 * 1024 * 1024
/** Default most rows in a shard. */
export const DEFAULT_SHARD_ROWS = 1_000_000

interface OpenShard {
  lines: string[]
  bytes: number
}

/**
 * Groups report rows into shards, one series per status, each shard under the size limits (a
 * single row larger than `maxBytes` gets a shard of its own). `add` is synchronous so a job can
 * feed it row by row; `drain` and `finish` hash and hand over the finished shards.
 */
export class ReportShardWriter {
  private readonly maxBytes: number
  private readonly maxRows: number
  private readonly open: Record<'succeeded' | 'failed', OpenShard> = {
    succeeded: { lines: [], bytes: 0 },
    failed: { lines: [], bytes: 0 },
  }
  private finished: { status: 'succeeded' | 'failed'; shard: OpenShard }[] = []

  /** Writer with the given limits (defaults: 64 MiB, 1,000,000 rows). */
  constructor(limits: ReportShardLimits = {}) {
    this.maxBytes = limits.maxBytes ?? DEFAULT_SHARD_BYTES
    this.maxRows = limits.maxRows ?? DEFAULT_SHARD_ROWS
    if (!(this.maxBytes >= 1) || !(this.maxRows >= 1)) throw new RangeError('shard limits must be at least 1')
  }

  /** Finished shards waiting for {@link drain}. */
  get ready(): number {
    return this.finished.length
  }

  /** Appends one result to the open shard of its status, closing that shard first if it is full. */
  add(result: TaskResult): void {
    this.addLine(result.status, reportCsvRow(result))
  }

  /** Appends one already rendered report row (from {@link reportCsvRow}, newline included). */
  addLine(status: 'succeeded' | 'failed', line: string): void {
    const size = utf8Length(line)
    const open = this.open[status]
    if (open.lines.length > 0 && open.bytes + size > this.maxBytes) this.close(status)
    const target = this.open[status]
    target.lines.push(line)
    target.bytes += size
    if (target.lines.length >= this.maxRows || target.bytes >= this.maxBytes) this.close(status)
  }

  /** The shards finished so far, with their MD5, in the order they closed; they leave the writer. */
  async drain(): Promise<ReportShard[]> {
    const done = this.finished
    this.finished = []
    const out: ReportShard[] = []
    for (const { status, shard } of done) {
      const text = shard.lines.join('')
      out.push({ status, text, rows: shard.lines.length, bytes: shard.bytes, md5: await md5Hex(text) })
    }
    return out
  }

  /** Closes the open shards (succeeded first, empty ones dropped) and drains everything. */
  finish(): Promise<ReportShard[]> {
    this.close('succeeded')
    this.close('failed')
    return this.drain()
  }

  private close(status: 'succeeded' | 'failed'): void {
    const shard = this.open[status]
    if (shard.lines.length === 0) return
    this.finished.push({ status, shard })
    this.open[status] = { lines: [], bytes: 0 }
  }
}
