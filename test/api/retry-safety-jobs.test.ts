import { describe, expect, it } from 'vitest'
import { addFault, clearFaults, listObjects, listObjectStoreObjects, objectStoreRequestLog, requestLog, seedBucket, seedObjectStoreBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as QINIU } from '../fixtures/accounts.ts'
import { S3_EMULATOR_URL as S3 } from '../fixtures/emulator-ports.ts'
import { unique } from '../helpers.ts'
import { reportRows } from './jobs-chaos-helpers.ts'
import { createJob, until } from './job-helpers.ts'

// Retry safety (§5) inside batch jobs: a provider call applied but not answered, retried by the
// job's engine, leaves every task reported as it ended — moved or copied, never NoSuchKey or
// DestinationExists for its own earlier attempt — and a copy never overwrites a different object.
// Jobs run on their real alarms and the real local queue.

const csv = (bucket: string, keys: string[]) => keys.map((k) => `${bucket},${encodeURIComponent(k)}\n`).join('')

describe('retry safety in jobs', () => {
  it('completes a Qiniu move job whose /batch was applied and its answer lost, every task moved', async () => {
    const [src, dst, reports] = [unique('qn-job-mv'), unique('qn-job-mv-to'), unique('qn-job-mv-r')]
    const keys = Array.from({ length: 30 }, (_, i) => `k/${i}`)
    await seedBucket(QINIU, src, keys.map((key) => ({ key })))
    await seedBucket(QINIU, dst, [])
    await seedBucket(QINIU, reports, [])
    const hashes = new Map((await listObjects(QINIU, src)).map((o) => [o.key, o.hash]))
    await addFault(QINIU, { bucket: src, kind: 'drop', apply: true })
    const jobId = await createJob({
      account: 'qiniu', operation: { op: 'move', destination: { bucket: dst } }, manifest: { inline: csv(src, keys) },
      report: { enabled: true, bucket: reports, prefix: 'r/', scope: 'AllTasks' },
    })
    const job = await until(jobId, ['Complete', 'Failed'])
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 30, numberOfTasksSucceeded: 30, numberOfTasksFailed: 0 })
    expect(await listObjects(QINIU, src)).toEqual([])
    expect((await listObjects(QINIU, dst)).map((o) => [o.key, o.hash]).sort()).toEqual([...hashes].sort())
    expect((await reportRows(jobId, keys)).every((r) => r.status === 'succeeded')).toBe(true)
    // The lost call, the retry (every move answered 612) and one /batch of stats of the destinations.
    expect((await requestLog(QINIU, src)).map((e) => [e.ops, e.httpStatus])).toEqual([[30, 0], [30, 298]])
    expect((await requestLog(QINIU, dst)).map((e) => [e.ops, e.httpStatus])).toEqual([[30, 0], [30, 298], [30, 200]])
  })

  it('completes an S3 copy job with calls applied and not answered, copying each object once and never overwriting', async () => {
    const [src, dst, manifests, reports] = [unique('s3-job-cp'), unique('s3-job-cp-to'), unique('s3-job-cp-m'), unique('s3-job-cp-r')]
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`)
    await seedObjectStoreBucket(S3, src, keys.map((key) => ({ key, body: `new ${key}` })))
    // k3 is there already with other content: the copy must leave it as it is.
    await seedObjectStoreBucket(S3, dst, [{ key: 'k3', body: 'old k3' }])
    await seedObjectStoreBucket(S3, manifests, [{ key: 'm.csv', body: csv(src, keys) }])
    await seedObjectStoreBucket(S3, reports, [])
    await addFault(S3, { bucket: dst, kind: 'drop', apply: true, times: 6 })
    const jobId = await createJob({
      account: 's3', operation: { op: 'copy', destination: { bucket: dst } },
      manifest: { location: { bucket: manifests, key: 'm.csv' }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: reports, prefix: '', scope: 'AllTasks' },
    })
    const job = await until(jobId, ['Complete', 'Failed'])
    await clearFaults(S3, dst)
    expect((await objectStoreRequestLog(S3, dst)).filter((e) => e.httpStatus === 0)).toHaveLength(6)
    expect(job.status).toBe('Complete')
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 12, numberOfTasksSucceeded: 11, numberOfTasksFailed: 1 })
    expect(job.failuresByCode).toEqual({ DestinationExists: 1 })
    const copied = Object.fromEntries((await listObjectStoreObjects(S3, dst)).map((o) => [o.key, o.body]))
    expect(copied).toEqual(Object.fromEntries(keys.map((k) => [k, k === 'k3' ? 'old k3' : `new ${k}`])))
    const rows = new Map((await reportRows(jobId, keys)).map((r) => [r.key, r]))
    expect(rows.get('k3')).toMatchObject({ status: 'failed', errorCode: 'DestinationExists' })
    expect(keys.filter((k) => k !== 'k3').every((k) => rows.get(k)!.status === 'succeeded')).toBe(true)
  })
})
