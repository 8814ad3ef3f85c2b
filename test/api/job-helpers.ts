import { expect, vi } from 'vitest'
import { md5Hex } from '../../shared/crypto/hash.ts'
import { KEYS } from '../fixtures/keys.ts'
import { call, unique } from '../helpers.ts'
import { parseReportCsv } from './report-csv.ts'

// Helpers of the job tests (§6): create, poll, and read a report back through the API.

export async function createJob(body: Record<string, unknown>, key: string = KEYS.all) {
  const r = await call('/v1/jobs', { key, body: { clientRequestToken: unique('tok'), confirmationRequired: false, ...body } })
  expect(r.status, r.text).toBe(201)
  return r.json.jobId as string
}

export const describeJob = async (jobId: string) => (await call(`/v1/jobs/${jobId}`)).json

/** Polls the job until it reaches one of `statuses` (alarms and the queue run on their own). */
export async function until(jobId: string, statuses: string[], timeout = 60_000) {
  return vi.waitFor(
    async () => {
      const job = await describeJob(jobId)
      if (!statuses.includes(job.status)) throw new Error(`job ${jobId} still ${job.status}: ${JSON.stringify(job.progressSummary)}`)
      return job
    },
    { timeout, interval: 100 },
  )
}

export interface ReportRow {
  bucket: string
  key: string
  versionId: string
  status: string
  errorCode: string
  httpStatus: string
  message: string
}

/** Splits report CSV text into rows of fields; a shard always ends with a newline. */
export function parseCsv(text: string): string[][] {
  expect(text === '' || text.endsWith('\n'), 'the shard ends with a newline').toBe(true)
  return parseReportCsv(text)
}

/**
 * Reads the report through `GET /v1/jobs/{id}/report` and `/report/{n}`, checks each shard
 * against the object written to the report bucket (`stored`) and its MD5, and returns its rows.
 */
export async function readReport(jobId: string, stored: (key: string) => Promise<string | undefined>, minShards = 1) {
  const manifestRes = await call(`/v1/jobs/${jobId}/report`)
  expect(manifestRes.status).toBe(200)
  const manifest = manifestRes.json
  expect(manifest).toMatchObject({ format: 'Report_CSV_20180820', reportSchema: 'Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage' })
  expect(manifest.results.length).toBeGreaterThanOrEqual(minShards)
  const job = await describeJob(jobId)
  expect(await stored(job.reportLocation.key)).toBe(manifestRes.text)
  const rows: ReportRow[] = []
  for (let n = 0; n < manifest.results.length; n++) {
    const entry = manifest.results[n]
    const shard = await call(`/v1/jobs/${jobId}/report/${n}`)
    expect(shard.status).toBe(200)
    expect(entry.bucket).toBe(job.report.bucket)
    expect(await stored(entry.key)).toBe(shard.text)
    expect(entry.md5Checksum).toBe(await md5Hex(shard.text))
    for (const f of parseCsv(shard.text)) {
      expect(f).toHaveLength(7)
      const r: ReportRow = { bucket: f[0]!, key: decodeURIComponent(f[1]!), versionId: f[2]!, status: f[3]!, errorCode: f[4]!, httpStatus: f[5]!, message: f[6]! }
      expect(r.status, 'a shard holds one status').toBe(entry.taskExecutionStatus)
      rows.push(r)
    }
  }
  expect((await call(`/v1/jobs/${jobId}/report/${manifest.results.length}`)).status).toBe(404)
  return rows
}

/** Asserts that `rows` name exactly `keys`, each once. */
export function expectEachKeyOnce(rows: ReportRow[], keys: string[]) {
  const seen = rows.map((r) => r.key)
  expect(new Set(seen).size).toBe(seen.length)
  expect(seen.sort()).toEqual([...keys].sort())
}

