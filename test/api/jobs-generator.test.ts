import { abortAllDurableObjects } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { addFault, listDriveFiles, listObjects, listObjectStoreObjects, seedBucket, seedDrive, seedObjectStoreBucket } from '../emulators/control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { PDS_EMULATOR_URL } from '../fixtures/pds.ts'
import { QINIU_EMULATOR_URL } from '../fixtures/qiniu-credentials.ts'
import { call, unique } from '../helpers.ts'
import { createJob, describeJob, expectEachKeyOnce, readReport, until } from './job-helpers.ts'

// Prefix jobs (§6 manifestGenerator): each provider lists 20,000 objects under a prefix, the job
// takes those that pass the filters (a quarter of them), deletes exactly those, and the kept
// manifest and the report name each of them once — also when listing pages fail and are retried
// and when the job object is reset mid-listing.

const N = 20_000
/** Object i: every other one ends in .log, and half of those are larger than 99 bytes. */
const keyOf = (prefix: string, i: number) => `${prefix}${i % 997 === 3 ? `sub dir/ü+${i}` : `k${i}`}.${i % 2 ? 'log' : 'bin'}`
const sizeOf = (i: number) => (i * 7) % 200
const selected = (i: number) => i % 2 === 1 && sizeOf(i) > 99
const FILTERS = { keySuffix: '.log', sizeGreaterThan: 99 }

interface Case {
  account: string
  /** Seeds N objects under the prefix plus some outside it; returns the bucket. */
  seed(prefix: string, keys: string[]): Promise<string>
  /** Keys left in the bucket after the job. */
  remaining(bucket: string): Promise<string[]>
  /** The `prefix` the generator gets (PDS: the folder). */
  generatorPrefix(prefix: string): string
  fault(bucket: string): Promise<unknown>
}

const objectStore = (account: string, url: string): Case => ({
  account,
  async seed(prefix, keys) {
    const bucket = unique(`gen-${account}`)
    await seedObjectStoreBucket(url, bucket, [...keys.map((key, i) => ({ key, body: 'x'.repeat(sizeOf(i)) })), { key: 'elsewhere/k1.log', body: 'x'.repeat(150) }])
    return bucket
  },
  remaining: async (bucket) => (await listObjectStoreObjects(url, bucket)).map((o) => o.key),
  generatorPrefix: (p) => p,
  fault: (bucket) => addFault(url, { bucket, kind: 'http', status: 503, retryAfter: 0, times: 2 }),
})

const CASES: Case[] = [
  objectStore('s3', S3_EMULATOR_URL),
  objectStore('oss', OSS_EMULATOR_URL),
  {
    account: 'qiniu',
    async seed(_prefix, keys) {
      const bucket = unique('gen-qiniu')
      await seedBucket(QINIU_EMULATOR_URL, bucket, [...keys.map((key, i) => ({ key, fsize: sizeOf(i) })), { key: 'elsewhere/k1.log', fsize: 150 }])
      return bucket
    },
    remaining: async (bucket) => (await listObjects(QINIU_EMULATOR_URL, bucket)).map((o) => o.key),
    generatorPrefix: (p) => p,
    fault: (bucket) => addFault(QINIU_EMULATOR_URL, { bucket, kind: 'http', status: 573, times: 2 }),
  },
  {
    // PDS lists folders, not prefixes: the job's folder holds two sub-folders with the files.
    account: 'pds',
    async seed(_prefix, keys) {
      const drive = unique('gen-drive')
      const folders = [
        { fileId: 'top', name: 'top', parentFileId: 'root', type: 'folder' as const },
        { fileId: 'sub-a', name: 'a', parentFileId: 'top', type: 'folder' as const },
        { fileId: 'sub-b', name: 'b', parentFileId: 'top', type: 'folder' as const },
      ]
      const files = keys.map((name, i) => ({ fileId: `f${i}`, name: name.replace(/\//g, '_'), parentFileId: i % 3 ? 'sub-a' : 'sub-b', size: sizeOf(i) }))
      await seedDrive(PDS_EMULATOR_URL, drive, [...folders, ...files, { fileId: 'outside', name: 'k1.log', parentFileId: 'root', size: 150 }])
      return drive
    },
    remaining: async (drive) => (await listDriveFiles(PDS_EMULATOR_URL, drive)).filter((f) => f.type !== 'folder').map((f) => f.fileId),
    generatorPrefix: () => 'top',
    fault: (drive) => addFault(PDS_EMULATOR_URL, { bucket: drive, kind: 'http', status: 503, times: 2 }),
  },
]

describe('prefix jobs (manifestGenerator)', () => {
  for (const c of CASES) {
    it(`deletes exactly the filtered objects of a 20,000-object prefix on ${c.account}, listing through failed pages`, { timeout: 120_000 }, async () => {
      const prefix = `${unique('p')}/`
      const keys = Array.from({ length: N }, (_, i) => keyOf(prefix, i))
      const bucket = await c.seed(prefix, keys)
      // The first listing calls fail (throttled / unavailable) and are retried from the same cursor.
      await c.fault(bucket)
      const ids = c.account === 'pds' ? keys.map((_, i) => `f${i}`) : keys
      const expected = ids.filter((_, i) => selected(i))
      const jobId = await createJob({
        account: c.account, operation: { op: 'delete' },
        manifestGenerator: { sourceBucket: bucket, prefix: c.generatorPrefix(prefix), filters: FILTERS },
        report: { enabled: false, scope: 'AllTasks' },
      })
      const job = await until(jobId, ['Complete', 'Failed'], 110_000)
      expect(job.status, JSON.stringify(job.failureReasons)).toBe('Complete')
      expect(job.manifest).toBeUndefined()
      expect(job.manifestGenerator).toEqual({ sourceBucket: bucket, prefix: c.generatorPrefix(prefix), filters: FILTERS })
      expect(job.generatedManifest).toMatchObject({ complete: true, objectsListed: N, objectsMatched: expected.length, location: `/v1/jobs/${jobId}/manifest` })
      expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: expected.length, numberOfTasksSucceeded: expected.length, numberOfTasksFailed: 0 })

      const left = await c.remaining(bucket)
      const kept = new Set(ids.filter((_, i) => !selected(i)))
      expect(left.length).toBe(kept.size + 1)
      for (const k of left) expect(kept.has(k) || k === 'elsewhere/k1.log' || k === 'outside', k).toBe(true)

      // The kept manifest names each selected object once, in the listing's form.
      const manifest = await call(`/v1/jobs/${jobId}/manifest`)
      expect(manifest.status).toBe(200)
      const rows = manifest.text.split('\n').filter(Boolean)
      expect(rows).toHaveLength(expected.length)
      expect(new Set(rows).size).toBe(rows.length)
      expect(rows.map((r) => decodeURIComponent(r.slice(r.lastIndexOf(',') + 1))).sort()).toEqual([...expected].sort())
    })
  }

  it('resumes a listing after the job object is reset mid-listing, each key once in the report', { timeout: 120_000 }, async () => {
    const prefix = `${unique('gen-reset')}/`
    const keys = Array.from({ length: 5000 }, (_, i) => keyOf(prefix, i))
    const bucket = unique('gen-reset')
    const reports = unique('gen-reports')
    await seedObjectStoreBucket(S3_EMULATOR_URL, bucket, keys.map((key, i) => ({ key, body: 'x'.repeat(sizeOf(i)) })))
    await seedObjectStoreBucket(S3_EMULATOR_URL, reports, [])
    // Slow listing pages leave time to reset the job object between two of them.
    await addFault(S3_EMULATOR_URL, { bucket, kind: 'delay', ms: 400, times: 5 })
    const expected = keys.filter((_, i) => selected(i))
    const jobId = await createJob({
      account: 's3', operation: { op: 'stat' },
      manifestGenerator: { sourceBucket: bucket, prefix, filters: FILTERS },
      report: { enabled: true, bucket: reports, prefix: 'gen/', scope: 'AllTasks' },
      confirmationRequired: true,
    })
    await vi.waitFor(async () => expect((await describeJob(jobId)).generatedManifest.objectsListed).toBeGreaterThan(0), { timeout: 30_000, interval: 20 })
    const before = (await describeJob(jobId)).generatedManifest
    expect(before.complete).toBe(false)
    await abortAllDurableObjects()
    const suspended = await until(jobId, ['Suspended', 'Failed'], 60_000)
    expect(suspended.generatedManifest).toMatchObject({ complete: true, objectsListed: 5000, objectsMatched: expected.length })
    expect((await call(`/v1/jobs/${jobId}/status`, { body: { requestedStatus: 'Ready' } })).status).toBe(200)
    const job = await until(jobId, ['Complete', 'Failed'], 60_000)
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: expected.length, numberOfTasksSucceeded: expected.length })
    const stored = async (key: string) => (await listObjectStoreObjects(S3_EMULATOR_URL, reports)).find((o) => o.key === key)?.body
    expectEachKeyOnce(await readReport(jobId, stored), expected)
  })

  it('refuses a generator with bad filters, or beside a manifest, naming the fields', async () => {
    const bad = await call('/v1/jobs', {
      body: { clientRequestToken: unique('t'), account: 'local', operation: { op: 'delete' }, manifestGenerator: { sourceBucket: 'demo', filters: { sizeGreaterThan: 10, sizeLessThan: 5, createdAfter: 'yesterday' } }, report: { enabled: false } },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['manifestGenerator.filters.createdAfter', 'manifestGenerator.filters.sizeLessThan'])
    const both = await call('/v1/jobs', {
      body: { clientRequestToken: unique('t'), account: 'local', operation: { op: 'delete' }, manifestGenerator: { sourceBucket: 'demo' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false } },
    })
    expect(both.status).toBe(400)
    expect(both.json.errors).toEqual([{ path: 'manifest', message: 'give exactly one of manifest or manifestGenerator' }])
  })
})
