import { describe, expect, it } from 'vitest'
import type { ObjectIO } from '../../shared/engine/types.ts'
import { AccountSettings, createAdapter } from '../../shared/providers/accounts.ts'
import { qiniuEtag } from '../../shared/providers/qiniu/qiniu-etag.ts'
import { listObjects, requestLog, seedBucket } from '../emulators/control.ts'
import { QINIU_MANIFEST_BUCKET, TEST_ACCOUNTS } from '../fixtures/accounts.ts'
import { QINIU_EMULATOR_URL } from '../fixtures/qiniu-credentials.ts'
import { unique } from '../helpers.ts'
import { createJob, expectEachKeyOnce, readReport, until } from './job-helpers.ts'

// Batch jobs on a Qiniu account end to end (§6): the manifest object lives on Qiniu (uploaded
// through the emulator, named by its hash), the report is written to a Qiniu bucket, and every job
// is driven by its real alarms and the real local chunk queue.

const URL_ = QINIU_EMULATOR_URL
const objectsOf = (settings: Record<string, unknown>): ObjectIO => createAdapter(AccountSettings.parse(settings), { fetch: (input, init) => fetch(input, init), r2Binding: () => undefined }).objects!
/** The `qiniu` test account's objects, whose download domain serves the manifests bucket. */
const qiniuObjects = objectsOf(TEST_ACCOUNTS.qiniu)
/** The same account reading another bucket (its download domain in the emulator). */
const readerOf = (bucket: string) => objectsOf({ ...TEST_ACCOUNTS.qiniu, downloadDomain: `${URL_}/download/${bucket}` })

const row = (bucket: string, key: string) => `${bucket},${encodeURIComponent(key)}\n`
const keysFor = (n: number) => Array.from({ length: n }, (_, i) => (i % 500 === 7 ? `dir/k ${i}+é,"q"%` : `k/${i}`))

async function manifestOnQiniu(text: string): Promise<{ key: string; etag: string }> {
  // Other files never touch this bucket, so it is created once and then only added to.
  if (!(await listObjects(URL_, QINIU_MANIFEST_BUCKET).catch(() => undefined))) await seedBucket(URL_, QINIU_MANIFEST_BUCKET, [])
  const key = `manifests/${unique('m')}.csv`
  const { etag } = await qiniuObjects.write(QINIU_MANIFEST_BUCKET, key, text, 'text/csv')
  return { key, etag }
}

describe('batch jobs on Qiniu', () => {
  it('deletes 2,500 objects from a manifest object on Qiniu to Complete, the report written to a Qiniu bucket with each object’s hash its content’s', { timeout: 120_000 }, async () => {
    const bucket = unique('qn-job')
    const reports = unique('qn-job-r')
    const keys = keysFor(2500)
    await seedBucket(URL_, bucket, keys.map((key) => ({ key })))
    await seedBucket(URL_, reports, [])
    const manifest = await manifestOnQiniu(keys.map((k) => row(bucket, k)).join(''))
    const jobId = await createJob({
      account: 'qiniu', operation: { op: 'delete' },
      manifest: { location: { bucket: QINIU_MANIFEST_BUCKET, key: manifest.key, etag: manifest.etag }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: reports, prefix: 'r/', scope: 'AllTasks' },
    })
    const job = await until(jobId, ['Complete', 'Failed'], 100_000)
    expect(job.status, JSON.stringify(job.failureReasons)).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 2500, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 0 })
    expect(job.reportLocation).toEqual({ bucket: reports, key: `r/job-${jobId}/manifest.json` })
    expect(await listObjects(URL_, bucket)).toEqual([])
    // Each chunk of 1,000 rows was one /batch call.
    const batches = (await requestLog(URL_, bucket)).filter((e) => e.path === '/batch')
    expect(batches.map((e) => [e.ops, e.httpStatus]).sort()).toEqual([[1000, 200], [1000, 200], [500, 200]])

    // The report objects on Qiniu are what the report routes serve, byte for byte, each hash its qetag.
    const stored = new Map((await listObjects(URL_, reports)).map((o) => [o.key, o]))
    const reader = readerOf(reports)
    const mimeTypes: string[] = []
    const rows = await readReport(jobId, async (key) => {
      const o = stored.get(key)
      if (!o) return undefined
      const bytes = await reader.readRange(reports, key, 0, o.fsize)
      expect(o.hash, key).toBe(await qiniuEtag(bytes))
      mimeTypes.push(o.mimeType)
      return new TextDecoder().decode(bytes)
    })
    expect(mimeTypes.sort()).toEqual(['application/json', ...Array(stored.size - 1).fill('text/csv; charset=utf-8')])
    expect(rows.every((r) => r.bucket === bucket && r.status === 'succeeded' && r.httpStatus === '200')).toBe(true)
    expectEachKeyOnce(rows, keys)
  })

  it('fails a job whose manifest etag is not the object’s hash, before running anything', async () => {
    const bucket = unique('qn-job-etag')
    await seedBucket(URL_, bucket, [{ key: 'a' }])
    const manifest = await manifestOnQiniu(row(bucket, 'a'))
    const jobId = await createJob({
      account: 'qiniu', operation: { op: 'delete' },
      manifest: { location: { bucket: QINIU_MANIFEST_BUCKET, key: manifest.key, etag: 'FhYTPF1bWpWN6tI5UlwHPEaE8Mfg' }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: false },
    })
    const job = await until(jobId, ['Failed', 'Complete'])
    expect(job.status).toBe('Failed')
    expect(job.failureReasons).toContainEqual({ failureCode: 'ManifestEtagMismatch', failureReason: expect.stringContaining(manifest.etag) })
    expect((await listObjects(URL_, bucket)).map((o) => o.key)).toEqual(['a'])
  })
})
