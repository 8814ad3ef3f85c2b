import { md5Hex } from '../../../shared/crypto/hash.ts'
import type { ObjectIO } from '../../../shared/engine/types.ts'
import { reportManifest } from '../../../shared/report/report-csv.ts'
import type { JobSpec } from './types.ts'

/** Shards stay under 1 MiB: each is also kept in one SQLite row of the job object (max 2 MB). */
export const SHARD_BYTES = 1024 * 1024

export const reportBase = (spec: JobSpec) => `${spec.report.prefix ?? ''}job-${spec.jobId}/`

/**
 * Builds the report from the finished chunks: CSV shards split by succeeded and failed, each with
 * its hex MD5, and `manifest.json`. Kept in the job object for the report routes, and written to
 * the report bucket when the account can write objects. Rebuilt from scratch if interrupted, so
 * every row appears exactly once (object keys are overwritten, not added to).
 */
export async function buildReport(sql: SqlStorage, spec: JobSpec, objects: ObjectIO | undefined, now: Date): Promise<{ written: boolean }> {
  sql.exec('DELETE FROM report_shard')
  sql.exec('DELETE FROM report_manifest')
  const base = reportBase(spec)
  const results: { taskExecutionStatus: 'succeeded' | 'failed'; bucket: string; key: string; md5Checksum: string }[] = []
  const pending: Record<'succeeded' | 'failed', string> = { succeeded: '', failed: '' }
  const flush = async (status: 'succeeded' | 'failed') => {
    const body = pending[status]
    if (body === '') return
    pending[status] = ''
    const idx = results.length
    const key = `${base}results/${String(idx).padStart(5, '0')}-${status}.csv`
    const md5 = await md5Hex(body)
    sql.exec('INSERT INTO report_shard (idx, status, key, md5, body) VALUES (?, ?, ?, ?, ?)', idx, status, key, md5, body)
    if (objects && spec.report.bucket) await objects.write(spec.report.bucket, key, body, 'text/csv; charset=utf-8')
    results.push({ taskExecutionStatus: status, bucket: spec.report.bucket ?? '', key, md5Checksum: md5 })
  }
  const add = async (status: 'succeeded' | 'failed', lines: string | null) => {
    if (!lines) return
    for (const line of splitLines(lines)) {
      if (pending[status].length + line.length > SHARD_BYTES) await flush(status)
      pending[status] += line
    }
  }
  const chunks = sql.exec<{ succeeded_lines: string | null; failed_lines: string | null }>(`SELECT succeeded_lines, failed_lines FROM chunk WHERE state = 'done' ORDER BY id`).toArray()
  for (const c of chunks) {
    if (spec.report.scope === 'AllTasks') await add('succeeded', c.succeeded_lines)
    await add('failed', c.failed_lines)
  }
  await flush('succeeded')
  await flush('failed')
  const manifest = JSON.stringify(reportManifest({ creationDate: now.toISOString(), results }))
  sql.exec('INSERT INTO report_manifest (id, body) VALUES (1, ?)', manifest)
  if (objects && spec.report.bucket) await objects.write(spec.report.bucket, `${base}manifest.json`, manifest, 'application/json')
  return { written: !!(objects && spec.report.bucket) }
}

/** Report lines, each with its newline; a quoted field may hold newlines, so split on row ends only. */
function* splitLines(text: string): Generator<string> {
  let start = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) quoted = !quoted
    else if (c === 10 && !quoted) {
      yield text.slice(start, i + 1)
      start = i + 1
    }
  }
  if (start < text.length) yield text.slice(start)
}
