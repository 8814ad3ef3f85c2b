import { describe, expect, it } from 'vitest'
import { addFault, listObjectStoreObjects, seedObjectStoreBucket } from '../emulators/control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { unique } from '../helpers.ts'
import { createJob, expectEachKeyOnce, readReport, until } from './job-helpers.ts'

// Manifest objects read and reports written on every S3-style account (§6): the manifest is read
// in signed ranged GETs under each signature version, its ETag checked, and the report written
// with PutObject is byte-for-byte what the API serves, with the MD5 the report manifest names.

const ACCOUNTS = [
  { account: 's3', url: S3_EMULATOR_URL },
  { account: 's3-v2', url: S3_EMULATOR_URL },
  { account: 'ctyun', url: S3_EMULATOR_URL },
  { account: 'oss', url: OSS_EMULATOR_URL },
  { account: 'oss-v1', url: OSS_EMULATOR_URL },
]

describe('job manifests and reports on S3-style accounts', () => {
  for (const { account, url } of ACCOUNTS) {
    it(`reads a manifest object with its ETag and writes the report on ${account}`, { timeout: 60_000 }, async () => {
      const bucket = unique(`mo-${account}`)
      const manifests = unique('manifests')
      const reports = unique('reports')
      const keys = Array.from({ length: 1500 }, (_, i) => (i % 100 === 5 ? `dir/ü k+${i}%,"q"` : `k${i}`))
      const present = keys.filter((_, i) => i % 10 !== 0)
      await seedObjectStoreBucket(url, bucket, present.map((key) => ({ key, body: 'x' })))
      const manifestText = keys.map((k) => `${bucket},${encodeURIComponent(k)}\n`).join('')
      await seedObjectStoreBucket(url, manifests, [{ key: 'in/m.csv', body: manifestText, contentType: 'text/csv' }])
      await seedObjectStoreBucket(url, reports, [])
      const etag = (await listObjectStoreObjects(url, manifests))[0]!.etag

      const wrong = await createJob({
        account, operation: { op: 'stat' },
        manifest: { location: { bucket: manifests, key: 'in/m.csv', etag: 'd41d8cd98f00b204e9800998ecf8427e' } },
        report: { enabled: false },
      })
      const failed = await until(wrong, ['Failed', 'Complete'])
      expect(failed.status).toBe('Failed')
      expect(failed.failureReasons[0].failureCode).toBe('ManifestEtagMismatch')

      const jobId = await createJob({
        account, operation: { op: 'stat' },
        manifest: { location: { bucket: manifests, key: 'in/m.csv', etag: `"${etag}"` } },
        report: { enabled: true, bucket: reports, prefix: 'out/', scope: 'AllTasks' },
      })
      const job = await until(jobId, ['Complete', 'Failed'], 50_000)
      expect(job.status, JSON.stringify(job.failureReasons)).toBe('Complete')
      expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 1500, numberOfTasksSucceeded: present.length, numberOfTasksFailed: 150 })
      const stored = async (key: string) => (await listObjectStoreObjects(url, reports)).find((o) => o.key === key)?.body
      const rows = await readReport(jobId, stored, 2)
      expectEachKeyOnce(rows, keys)
      expect(rows.filter((r) => r.status === 'failed').every((r) => r.errorCode === 'NoSuchKey' && r.httpStatus === '404')).toBe(true)
    })
  }

  it('reads a manifest through throttled and failing reads, and fails at once when the provider refuses', { timeout: 60_000 }, async () => {
    const bucket = unique('mo-faults')
    const manifests = unique('manifests')
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)
    await seedObjectStoreBucket(S3_EMULATOR_URL, bucket, keys.map((key) => ({ key, body: 'x' })))
    await seedObjectStoreBucket(S3_EMULATOR_URL, manifests, [{ key: 'm.csv', body: keys.map((k) => `${bucket},${k}\n`).join('') }])
    // HEAD and the first ranged GET meet 503s and a dropped connection: retried after a backoff.
    await addFault(S3_EMULATOR_URL, { bucket: manifests, kind: 'http', status: 503, retryAfter: 0, times: 2 })
    await addFault(S3_EMULATOR_URL, { bucket: manifests, kind: 'drop', times: 1 })
    const ok = await createJob({ account: 's3', operation: { op: 'stat' }, manifest: { location: { bucket: manifests, key: 'm.csv' } }, report: { enabled: false } })
    const done = await until(ok, ['Complete', 'Failed'], 50_000)
    expect(done.status, JSON.stringify(done.failureReasons)).toBe('Complete')
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 50, numberOfTasksSucceeded: 50 })

    await addFault(S3_EMULATOR_URL, { bucket: manifests, kind: 'http', status: 403, errorCode: 'AccessDenied', times: -1 })
    const denied = await createJob({ account: 's3', operation: { op: 'stat' }, manifest: { location: { bucket: manifests, key: 'm.csv' } }, report: { enabled: false } })
    const failed = await until(denied, ['Complete', 'Failed'], 20_000)
    expect(failed.status).toBe('Failed')
    expect(failed.failureReasons[0]).toMatchObject({ failureCode: 'ManifestUnreadable' })
  })
})
