import { describe, expect, it } from 'vitest'
import { md5Hex } from '../../shared/crypto/hash.ts'
import type { ObjectIO } from '../../shared/engine/types.ts'
import { AccountSettings, createAdapter } from '../../shared/providers/accounts.ts'
import {
  addFault,
  clearFaults,
  deleteBucket,
  listDriveFiles,
  listFaults,
  listObjects,
  listObjectStoreObjects,
  seedBucket,
  seedDrive,
  seedObjectStoreBucket,
  type StoredFault,
} from '../emulators/control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { QINIU_MANIFEST_BUCKET, TEST_ACCOUNTS } from '../fixtures/accounts.ts'
import { PDS_EMULATOR_URL } from '../fixtures/pds.ts'
import { QINIU_EMULATOR_URL } from '../fixtures/qiniu-credentials.ts'
import { call, unique } from '../helpers.ts'
import { createJob, expectEachKeyOnce, until, type ReportRow } from './job-helpers.ts'
import { expectedFailedRows, mixRules, OPS_PER_CALL, poissonBound, type MixProvider } from './jobs-faults-mix.ts'
import { parseReportCsv } from './report-csv.ts'

// Delete jobs of 100,000 keys on each provider emulator while it injects every kind of fault at
// random (jobs-faults-mix.ts): 5% of requests meet a request-level fault (throttling with
// Retry-After, 429, 5xx, an <Error> inside a 200, a timeout, a dropped connection with and
// without the deletes applied, an unreadable 200) and 5% of ops an error inside the answer. The
// job must end Complete, count every task once, list every key once in its report, and each row's
// status must be the truth: a succeeded key is gone from the emulator, a failed one is still there.
// The rules' seeds are chosen so that every kind fires within its first 40 draws, and the kinds
// that stall the local queue (a timeout, a throttle with Retry-After) once in the first 1,000.
//
// A chunk's tasks get at least 8 tries (workers/queue/chunk-consumer.ts), so a row fails only if
// all 8 meet a fault: q = 1 − 0.95 × 0.95 ≈ 0.0975, q^8 ≈ 8e-9, about 0.001 of the 100,000 rows.
// The test allows the rows a Poisson count with that mean exceeds with probability < 1e-4 (1),
// and checks each failed row's code and that its key is still there.

const N = 100_000
const RATE = 0.05
const OP_RATE = 0.05
/** The test accounts' call timeout (fixtures/accounts.ts): a timeout fault waits 400 ms longer. */
const TIMEOUT_MS = 1500
const ATTEMPTS = 8
/** Codes a task that ran out of tries on a passing fault may end with. */
const EXHAUSTED = ['Throttled', 'ProviderError', 'Timeout']

/** Keys with characters the manifest and the report must carry through URL-encoding. */
const keyOf = (i: number) => (i % 10_007 === 3 ? `odd dir/k ${i}+é,"q"%` : `k/${String(i).padStart(6, '0')}`)
const csv = (bucket: string, keys: string[]) => keys.map((k) => `${bucket},${encodeURIComponent(k)}\n`).join('')

interface Fixture {
  /** The data bucket (PDS: drive), seeded with `keys`. */
  bucket: string
  manifest: Record<string, unknown>
  report: Record<string, unknown>
  /** The report rows, read through the API (and checked against the report objects where written). */
  rows(jobId: string): Promise<ReportRow[]>
  /** Keys still in the data bucket. */
  remaining(): Promise<Set<string>>
  cleanup(): Promise<void>
}

interface Case {
  provider: MixProvider
  url: string
  keys: (n: number) => string[]
  setup(keys: string[]): Promise<Fixture>
}

const objectStore = (provider: 's3' | 'oss', url: string): Case => ({
  provider,
  url,
  keys: (n) => Array.from({ length: n }, (_, i) => keyOf(i)),
  async setup(keys) {
    const bucket = unique(`faults-${provider}`)
    const manifests = unique(`faults-${provider}-m`)
    const reports = unique(`faults-${provider}-r`)
    // One control call each: the emulator takes the 100,000 keys at once.
    await seedObjectStoreBucket(url, bucket, keys.map((key) => ({ key })))
    const text = csv(bucket, keys)
    await seedObjectStoreBucket(url, manifests, [{ key: 'm.csv', body: text, contentType: 'text/csv' }])
    await seedObjectStoreBucket(url, reports, [])
    // The emulator's ETag of a seeded object is the MD5 of its bytes.
    const etag = await md5Hex(text)
    return {
      bucket,
      manifest: { location: { bucket: manifests, key: 'm.csv', etag }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: reports, prefix: 'r/', scope: 'AllTasks' },
      async rows(jobId) {
        const written = new Map((await listObjectStoreObjects(url, reports)).map((o) => [o.key, o.body]))
        return reportRows(jobId, async (k) => written.get(k))
      },
      remaining: async () => new Set((await listObjectStoreObjects(url, bucket)).map((o) => o.key)),
      cleanup: async () => void (await Promise.all([bucket, manifests, reports].map((b) => deleteBucket(url, b)))),
    }
  },
})

const qiniuObjects = (downloadBucket: string): ObjectIO =>
  createAdapter(AccountSettings.parse({ ...TEST_ACCOUNTS.qiniu, downloadDomain: `${QINIU_EMULATOR_URL}/download/${downloadBucket}` }), { fetch: (i, init) => fetch(i, init), r2Binding: () => undefined }).objects!

const qiniu: Case = {
  provider: 'qiniu',
  url: QINIU_EMULATOR_URL,
  keys: (n) => Array.from({ length: n }, (_, i) => keyOf(i)),
  async setup(keys) {
    const bucket = unique('faults-qn')
    const reports = unique('faults-qn-r')
    await seedBucket(QINIU_EMULATOR_URL, bucket, keys.map((key) => ({ key })))
    await seedBucket(QINIU_EMULATOR_URL, reports, [])
    // The manifests bucket is shared with jobs-qiniu.test.ts: created once, then only added to.
    if (!(await listObjects(QINIU_EMULATOR_URL, QINIU_MANIFEST_BUCKET).catch(() => undefined))) await seedBucket(QINIU_EMULATOR_URL, QINIU_MANIFEST_BUCKET, [])
    const manifestKey = `manifests/${unique('faults')}.csv`
    const { etag } = await qiniuObjects(QINIU_MANIFEST_BUCKET).write(QINIU_MANIFEST_BUCKET, manifestKey, csv(bucket, keys), 'text/csv')
    return {
      bucket,
      manifest: { location: { bucket: QINIU_MANIFEST_BUCKET, key: manifestKey, etag }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: reports, prefix: 'r/', scope: 'AllTasks' },
      async rows(jobId) {
        const sizes = new Map((await listObjects(QINIU_EMULATOR_URL, reports)).map((o) => [o.key, o.fsize]))
        const reader = qiniuObjects(reports)
        return reportRows(jobId, async (k) => (sizes.has(k) ? new TextDecoder().decode(await reader.readRange(reports, k, 0, sizes.get(k)!)) : undefined))
      },
      remaining: async () => new Set((await listObjects(QINIU_EMULATOR_URL, bucket)).map((o) => o.key)),
      cleanup: async () => void (await Promise.all([bucket, reports].map((b) => deleteBucket(QINIU_EMULATOR_URL, b)))),
    }
  },
}

const pds: Case = {
  provider: 'pds',
  url: PDS_EMULATOR_URL,
  keys: (n) => Array.from({ length: n }, (_, i) => `f${String(i).padStart(6, '0')}`),
  async setup(keys) {
    const drive = unique('faults-pds')
    await seedDrive(PDS_EMULATOR_URL, drive, keys.map((fileId) => ({ fileId, name: fileId, parentFileId: 'root' })))
    return {
      bucket: drive,
      manifest: { inline: csv(drive, keys), format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      // PDS cannot hold report files: the job keeps the report, served by the report routes.
      report: { enabled: true, bucket: drive, prefix: 'r/', scope: 'AllTasks' },
      rows: (jobId) => reportRows(jobId),
      remaining: async () => new Set((await listDriveFiles(PDS_EMULATOR_URL, drive)).map((f) => f.fileId)),
      cleanup: async () => void (await deleteBucket(PDS_EMULATOR_URL, drive)),
    }
  },
}

/**
 * The report's rows through GET /v1/jobs/{id}/report and /report/{n}, each shard's MD5 checked,
 * and, where the job wrote report objects (`stored`), each byte for byte what the routes serve.
 * (job-helpers' readReport checks the same with an expect per row, too slow for 100,000 rows.)
 */
async function reportRows(jobId: string, stored?: (key: string) => Promise<string | undefined>): Promise<ReportRow[]> {
  const manifest = await call(`/v1/jobs/${jobId}/report`)
  expect(manifest.status).toBe(200)
  expect(manifest.json).toMatchObject({ format: 'Report_CSV_20180820', reportSchema: 'Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage' })
  if (stored) expect(await stored((await call(`/v1/jobs/${jobId}`)).json.reportLocation.key)).toBe(manifest.text)
  const rows: ReportRow[] = []
  const misfiled: string[] = []
  const results = manifest.json.results as { taskExecutionStatus: string; key: string; md5Checksum: string }[]
  for (const [n, entry] of results.entries()) {
    const shard = await call(`/v1/jobs/${jobId}/report/${n}`)
    expect(shard.status).toBe(200)
    expect(entry.md5Checksum).toBe(await md5Hex(shard.text))
    if (stored) expect(await stored(entry.key), entry.key).toBe(shard.text)
    for (const f of parseReportCsv(shard.text)) {
      const r: ReportRow = { bucket: f[0]!, key: decodeURIComponent(f[1]!), versionId: f[2]!, status: f[3]!, errorCode: f[4]!, httpStatus: f[5]!, message: f[6]! }
      if (f.length !== 7 || r.status !== entry.taskExecutionStatus) misfiled.push(f.join(','))
      rows.push(r)
    }
  }
  expect(misfiled.slice(0, 5), 'rows in a shard of another status, or not 7 fields').toEqual([])
  expect((await call(`/v1/jobs/${jobId}/report/${results.length}`)).status).toBe(404)
  return rows
}

const CASES: Case[] = [objectStore('s3', S3_EMULATOR_URL), objectStore('oss', OSS_EMULATOR_URL), qiniu, pds]

describe('100,000-key delete jobs under random provider faults', () => {
  for (const c of CASES) {
    it(`${c.provider}: ends Complete with every key once in the report and each row's status the emulator's truth`, { timeout: 120_000 }, async () => {
      const t0 = Date.now()
      const keys = c.keys(N)
      const fx = await c.setup(keys)
      const t1 = Date.now()
      try {
        const mix = mixRules(fx.bucket, c.provider, { rate: RATE, opRate: OP_RATE, timeoutMs: TIMEOUT_MS, seedBase: 1, firesWithin: 40, slowOnceIn: 1000 })
        const ids: string[] = []
        for (const m of mix) ids.push((await addFault(c.url, m.rule)).id)
        const jobId = await createJob({ account: c.provider, operation: { op: 'delete' }, manifest: fx.manifest, report: fx.report })
        const job = await until(jobId, ['Complete', 'Failed', 'Cancelled'], 105_000)
        const t2 = Date.now()
        const rules = await listFaults(c.url, fx.bucket)
        await clearFaults(c.url, fx.bucket)

        expect(job.status, JSON.stringify(job.failureReasons)).toBe('Complete')
        const { totalNumberOfTasks: total, numberOfTasksSucceeded: ok, numberOfTasksFailed: failed } = job.progressSummary
        expect(total).toBe(N)
        expect(ok + failed).toBe(N)
        expect(job.failureReasons).toEqual([])

        const rows = await fx.rows(jobId)
        expectEachKeyOnce(rows, keys)
        const left = await fx.remaining()
        expect(rows.filter((r) => r.status === 'failed')).toHaveLength(failed)
        // A failed row's key may be gone only if a call deleted it and lost its answer (a drop
        // after the deletes, a timeout) and every later try met a fault: the gateway reports what
        // it could confirm.
        const lostAnswers = mix.reduce((a, m, i) => a + (m.label === 'timeout' || m.label === 'drop (applied)' ? firedOf(rules.find((r) => r.id === ids[i]), m.per) : 0), 0)
        const wrong: string[] = []
        for (const r of rows) {
          // A succeeded key is gone (also where a dropped or timed-out call deleted it before the
          // retry); a failed one ran out of tries on a passing fault.
          const right =
            r.bucket === fx.bucket &&
            (r.status === 'succeeded' ? !left.has(r.key) && r.httpStatus === '200' && r.errorCode === '' : (left.has(r.key) || lostAnswers > 0) && EXHAUSTED.includes(r.errorCode))
          if (!right) wrong.push(`${r.bucket}/${r.key} ${r.status} ${r.httpStatus} ${r.errorCode} "${r.message}", ${left.has(r.key) ? 'still there' : 'gone'}`)
        }
        expect(wrong.slice(0, 10), `${wrong.length} rows whose status is not the emulator's`).toEqual([])
        // Every key left is a failed row (the succeeded ones are gone, each key has one row).
        expect(left.size).toBeLessThanOrEqual(failed)
        const codes = Object.values(job.failuresByCode as Record<string, number>).reduce((a, b) => a + b, 0)
        expect(codes).toBe(failed)

        // Every kind fired, and the calls beyond the fewest possible are the retries.
        const fired = mix.map((m, i) => [m.label, firedOf(rules.find((r) => r.id === ids[i]), m.per)] as const)
        for (const [label, n] of fired) expect(n, `${label} fired`).toBeGreaterThan(0)
        const requests = rules.find((r) => r.kind === 'delay')!.draws!
        const minimum = Math.ceil(N / OPS_PER_CALL[c.provider])
        expect(requests).toBeGreaterThan(minimum)
        const expected = expectedFailedRows(N, { rate: RATE, opRate: OP_RATE, attempts: ATTEMPTS })
        console.log(
          `${c.provider}: ${ok} succeeded, ${failed} failed (expected ${expected.toPrecision(2)}); ${requests} calls for the fewest ${minimum}: ${requests - minimum} retries; ` +
            `faults ${fired.map(([l, n]) => `${l} ${n}`).join(', ')}; setup ${t1 - t0} ms, job ${t2 - t1} ms, checks ${Date.now() - t2} ms`,
        )
        expect(failed).toBeLessThanOrEqual(poissonBound(expected))
      } finally {
        await clearFaults(c.url, fx.bucket).catch(() => {})
        await fx.cleanup().catch(() => {})
      }
    })
  }
})

/** Faults a rule caused: requests for request-level rules, ops for per-op ones. */
const firedOf = (rule: StoredFault | undefined, per: 'request' | 'op') => (rule === undefined ? 0 : per === 'op' ? (rule.opsHit ?? 0) : rule.fired)
