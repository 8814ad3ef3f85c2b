import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createJob, readReport, until, type ReportRow } from '../api/job-helpers.ts'
import { unique } from '../helpers.ts'
import { bytes, captureConsole, expectNoCrash } from './harness.ts'

// A malformed manifest is not a 400: §6 makes each row that cannot be read a failed task with
// ErrorCode InvalidManifestRow and the row's number and text in ResultMessage, while the good rows
// run. These jobs run on the embedded local account (R2) with real alarms and the real queue.

const lines = captureConsole()
const stored = async (key: string) => (await env.BACKUP_BUCKET.get(key))?.text()

async function runJob(manifest: Record<string, unknown>) {
  const jobId = await createJob({ account: 'local', operation: { op: 'stat' }, manifest, report: { enabled: true, bucket: 'backup', prefix: `${unique('bad-rows')}/` } })
  const job = await until(jobId, ['Complete', 'Failed'])
  return { job, rows: await readReport(jobId, stored) }
}

const invalid = (rows: ReportRow[]) =>
  rows.filter((r) => r.errorCode === 'InvalidManifestRow').map((r) => ({ row: Number(/^row (\d+):/.exec(r.message)?.[1]), message: r.message, http: r.httpStatus }))

describe('malformed CSV manifests', () => {
  it('fails each unreadable row as InvalidManifestRow naming its number and text, and runs the good rows', async () => {
    const dir = unique('bad-rows-objects')
    await env.DEMO_BUCKET.put(`${dir}/good`, 'x')
    await env.DEMO_BUCKET.put(`${dir}/also good`, 'x')
    const rowsIn = [
      /* 1 */ `demo,${dir}/good`,
      /* 2 */ `demo,"${dir}/a"b`, // text after a closing quote
      /* 3 */ 'demo', // one column of two
      /* 4 */ `demo,${dir}/k,extra`, // three columns of two: extra columns are ignored (manifest-csv.ts), so this one runs
      /* 5 */ 'demo,%FF', // percent-encoded byte that is not UTF-8
      /* 6 */ 'demo,%ED%A0%80', // an encoded surrogate
      /* 7 */ 'demo,a%00b', // NUL
      /* 8 */ 'demo,%ZZ', // a broken escape
      /* 9 */ `demo,${'%E2%82%AC'.repeat(342)}`, // 1,026 UTF-8 bytes
      /* 10 */ 'evil.example#,k', // a bucket a URL would reinterpret
      /* 11 */ ',k', // no bucket
      /* 12 */ `demo,${encodeURIComponent(`${dir}/also good`)}`,
      /* 13 */ `demo,"${dir}/never closed`, // an unterminated quote at the end of the manifest
    ]
    // Empty lines are not rows (they are skipped, and not counted); a BOM opens the manifest.
    const inline = `\ufeff${rowsIn.slice(0, 4).join('\r\n')}\n\n\r\n${rowsIn.slice(4).join('\n')}`
    const { job, rows } = await runJob({ inline })
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 13, numberOfTasksSucceeded: 2, numberOfTasksFailed: 11 })
    expect(job.failuresByCode).toEqual({ InvalidManifestRow: 10, NoSuchKey: 1 })
    expect(rows.filter((r) => r.status === 'succeeded').map((r) => r.key).sort()).toEqual([`${dir}/also good`, `${dir}/good`])

    const bad = invalid(rows).sort((a, b) => a.row - b.row)
    expect(bad.map((b) => b.row)).toEqual([2, 3, 5, 6, 7, 8, 9, 10, 11, 13])
    expect(rows.find((r) => r.errorCode === 'NoSuchKey')?.key).toBe(`${dir}/k`)
    expect(bad.every((b) => b.http === '400')).toBe(true)
    const reason = (row: number) => bad.find((b) => b.row === row)?.message ?? ''
    expect(reason(3)).toContain('expected 2 columns')
    expect(reason(2)).toContain('text after the closing quote')
    expect(reason(5)).toContain('Key is not valid UTF-8 once percent-decoded')
    expect(reason(6)).toContain('Key is not valid UTF-8 once percent-decoded')
    expect(reason(7)).toContain('Key must not contain NUL')
    expect(reason(9)).toContain('Key must be at most 1,024 UTF-8 bytes')
    expect(reason(10)).toContain('Bucket must be letters')
    expect(reason(11)).toContain('Bucket must not be empty')
    expect(reason(13)).toContain('never closed')
    // The row's own text is in the message (cut to 1,024 characters), so a reader can find it.
    expect(reason(8)).toContain('demo,%ZZ')
    expectNoCrash(lines)
  })

  // Raw bytes that are not UTF-8 must not be read as U+FFFD: the task would run on a key the
  // manifest never named (a delete job would delete such an object if it existed).
  it('fails rows of raw bytes that are not UTF-8, never reading them with U+FFFD, and runs the rows around them', async () => {
    const dir = unique('bad-rows-bytes')
    await env.DEMO_BUCKET.put(`${dir}/good`, 'x')
    const key = `${dir}/manifest.csv`
    await env.DEMO_BUCKET.put(key, bytes(`demo,${dir}/good\n`, 'demo,caf', [0xe9], '\n', 'demo,', [0xff, 0xfe], '\n', [0xc0, 0xaf], ',k\n', `demo,${dir}/good\n`))
    const { job, rows } = await runJob({ location: { bucket: 'demo', key } })
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 5, numberOfTasksSucceeded: 2, numberOfTasksFailed: 3 })
    expect(rows.some((r) => r.key.includes('\ufffd'))).toBe(false)
    expect(invalid(rows).map((b) => b.row).sort()).toEqual([2, 3, 4])
  })

  // A record longer than preparation's 16 MiB window is one failed row (§6), not a failed job.
  it('fails a 20 MB row as one InvalidManifestRow task, running the rows around it', async () => {
    const dir = unique('bad-rows-big')
    await env.DEMO_BUCKET.put(`${dir}/good`, 'x')
    const key = `${dir}/manifest.csv`
    await env.DEMO_BUCKET.put(key, bytes(`demo,${dir}/good\n`, `demo,${'x'.repeat(20 * 1024 * 1024)}\n`, `demo,${dir}/good\n`))
    const { job, rows } = await runJob({ location: { bucket: 'demo', key } })
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 3, numberOfTasksSucceeded: 2, numberOfTasksFailed: 1 })
    const [bad] = invalid(rows)
    expect(bad?.row).toBe(2)
    expect(bad!.message.length).toBeLessThan(2_000)
  })
})
