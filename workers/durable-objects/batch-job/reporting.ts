import type { ObjectIO } from '../../../shared/engine/types.ts'
import { reportManifest, ReportShardWriter, type ReportShard } from '../../../shared/report/report-csv.ts'
import type { JobSpec } from './types.ts'

/** Shards stay under 1 MiB: each is also kept in one SQLite row of the job object (max 2 MB). */
export const SHARD_BYTES = 1024 * 1024
/** Report objects uploaded at once. */
const WRITES_IN_FLIGHT = 4

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
  const write = objects && spec.report.bucket ? { objects, bucket: spec.report.bucket } : undefined
  const results: { taskExecutionStatus: 'succeeded' | 'failed'; bucket: string; key: string; md5Checksum: string }[] = []
  // Shard uploads overlap (a few at a time) with cutting the next shards, instead of each waiting
  // for the last: a 1,000,000-task report is ~50 shards. The first failure fails the report.
  const writing = new Set<Promise<void>>()
  let failure: unknown
  const upload = async (key: string, text: string) => {
    if (!write) return
    while (writing.size >= WRITES_IN_FLIGHT) await Promise.race(writing)
    if (failure !== undefined) throw failure
    const p: Promise<void> = write.objects.write(write.bucket, key, text, 'text/csv; charset=utf-8').then(
      () => void writing.delete(p),
      (err: unknown) => {
        failure ??= err
        writing.delete(p)
      },
    )
    writing.add(p)
  }
  const store = async (shards: ReportShard[]) => {
    for (const shard of shards) {
      const idx = results.length
      const key = `${base}results/${String(idx).padStart(5, '0')}-${shard.status}.csv`
      sql.exec('INSERT INTO report_shard (idx, status, key, md5, body) VALUES (?, ?, ?, ?, ?)', idx, shard.status, key, shard.md5, shard.text)
      results.push({ taskExecutionStatus: shard.status, bucket: spec.report.bucket ?? '', key, md5Checksum: shard.md5 })
      await upload(key, shard.text)
    }
  }
  const writer = new ReportShardWriter({ maxBytes: SHARD_BYTES })
  const chunks = sql.exec<{ succeeded_lines: string | null; failed_lines: string | null }>(`SELECT succeeded_lines, failed_lines FROM chunk WHERE state = 'done' ORDER BY id`)
  for (const c of chunks) {
    if (spec.report.scope === 'AllTasks') for (const line of splitLines(c.succeeded_lines)) writer.addLine('succeeded', line)
    for (const line of splitLines(c.failed_lines)) writer.addLine('failed', line)
    // Finished shards leave memory as the chunks are read, so the report never sits whole in memory.
    await store(await writer.drain())
  }
  await store(await writer.finish())
  await Promise.all(writing)
  if (failure !== undefined) throw failure
  const manifest = JSON.stringify(reportManifest({ creationDate: now.toISOString(), results }))
  sql.exec('INSERT INTO report_manifest (id, body) VALUES (1, ?)', manifest)
  if (write) await write.objects.write(write.bucket, `${base}manifest.json`, manifest, 'application/json')
  return { written: !!write }
}

/** Report rows, each with its newline; a quoted field may hold newlines, so split on row ends only. */
function* splitLines(text: string | null): Generator<string> {
  if (!text) return
  let start = 0
  // Without a quote every newline ends a row: found by indexOf, not character by character.
  if (!text.includes('"')) {
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield text.slice(start, end + 1)
      start = end + 1
    }
    if (start < text.length) yield text.slice(start)
    return
  }
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
