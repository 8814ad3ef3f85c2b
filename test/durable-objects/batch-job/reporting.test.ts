import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ObjectIOError, type ObjectIO } from '../../../shared/engine/types.ts'
import { buildReport, SHARD_BYTES } from '../../../workers/durable-objects/batch-job/reporting.ts'
import type { JobSpec } from '../../../workers/durable-objects/batch-job/types.ts'

// buildReport inside a real job object's SQLite: chunks with report lines stored as the consumer
// leaves them, shards cut under SHARD_BYTES and uploaded through a recording ObjectIO.

const LINE_BYTES = 64
/** A report line of exactly LINE_BYTES bytes for task n. */
const line = (n: number, status: string) => `bkt,k/${String(n).padStart(8, '0')},,${status},,200,`.padEnd(LINE_BYTES - 1, 'x') + '\n'

/** Stores `chunks` done chunks of `rows` report lines each (every 10th failed). */
function seedChunks(sql: SqlStorage, chunks: number, rows: number): { succeeded: string[]; failed: string[] } {
  const all = { succeeded: [] as string[], failed: [] as string[] }
  for (let c = 1; c <= chunks; c++) {
    let ok = ''
    let bad = ''
    for (let r = 0; r < rows; r++) {
      const n = (c - 1) * rows + r
      const failed = n % 10 === 0
      const l = line(n, failed ? 'failed' : 'succeeded')
      if (failed) {
        bad += l
        all.failed.push(l)
      } else {
        ok += l
        all.succeeded.push(l)
      }
    }
    sql.exec(
      `INSERT INTO chunk (id, start_byte, end_byte, first_row, rows, state, succeeded_lines, failed_lines) VALUES (?, 0, 0, ?, ?, 'done', ?, ?)`,
      c, (c - 1) * rows + 1, rows, ok, bad,
    )
  }
  return all
}

/** An ObjectIO that records writes, holds each one a moment, and fails the `failOn`-th. */
function recordingIO(failOn?: number) {
  const written = new Map<string, string>()
  let inFlight = 0
  let maxInFlight = 0
  let calls = 0
  const io: ObjectIO = {
    head: async () => null,
    readRange: async () => new Uint8Array(),
    async write(_bucket, key, body) {
      const call = ++calls
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((r) => setTimeout(r, 5))
      inFlight--
      if (call === failOn) throw new ObjectIOError('AccessDenied', 'no writes here', false)
      written.set(key, body as string)
      return { etag: 'e' }
    },
  }
  return { io, written, maxInFlight: () => maxInFlight, calls: () => calls }
}

function spec(jobId: string): JobSpec {
  return {
    jobId, tenant: 'acme', account: 'local', operation: { op: 'delete' },
    manifest: { inline: true, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
    report: { enabled: true, bucket: 'reports', prefix: 'r/', scope: 'AllTasks' }, priority: 0, confirmationRequired: false, createdAt: Date.now(),
  }
}

describe('job report', () => {
  it('cuts every row into shards under the limit, in chunk order, and uploads them a few at a time', async () => {
    const jobId = crypto.randomUUID()
    // 40,000 rows of 64 bytes: 2.3 MiB succeeded and 0.25 MiB failed, so several shards.
    const { io, written, maxInFlight } = recordingIO()
    const { all, shards } = await runInDurableObject(env.JOBS.getByName(jobId), async (_, state) => {
      const sql = state.storage.sql
      const all = seedChunks(sql, 40, 1000)
      await buildReport(sql, spec(jobId), io, new Date('2026-01-01T00:00:00Z'))
      const shards = sql.exec<{ idx: number; status: string; key: string; body: string }>('SELECT idx, status, key, body FROM report_shard ORDER BY idx').toArray()
      return { all, shards }
    })
    expect(shards.length).toBeGreaterThanOrEqual(4)
    for (const s of shards) {
      expect(new TextEncoder().encode(s.body).length).toBeLessThanOrEqual(SHARD_BYTES)
      expect(written.get(s.key)).toBe(s.body)
    }
    const joined = (status: string) => shards.filter((s) => s.status === status).map((s) => s.body).join('')
    expect(joined('succeeded')).toBe(all.succeeded.join(''))
    expect(joined('failed')).toBe(all.failed.join(''))
    expect(written.get(`r/job-${jobId}/manifest.json`)).toContain('Report_CSV_20180820')
    expect(maxInFlight()).toBeGreaterThan(1)
    expect(maxInFlight()).toBeLessThanOrEqual(4)
  })

  it('fails when a shard cannot be written, once the uploads in flight have ended, and writes no manifest.json', async () => {
    const jobId = crypto.randomUUID()
    const { io, written, calls } = recordingIO(2)
    const outcome = await runInDurableObject(env.JOBS.getByName(jobId), async (_, state) => {
      const sql = state.storage.sql
      seedChunks(sql, 40, 1000)
      return buildReport(sql, spec(jobId), io, new Date()).then(
        () => 'written',
        (err: Error) => err.message,
      )
    })
    expect(outcome).toBe('no writes here')
    expect(calls()).toBeLessThan(8)
    expect([...written.keys()].some((k) => k.endsWith('manifest.json'))).toBe(false)
  })
})
