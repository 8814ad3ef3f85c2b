/**
 * One valid body per JSON route (and per operation kind), carrying every optional field the
 * schema has, so the generator reaches every property path. Buckets are parameters: each suite
 * names buckets of its own on the emulators and then proves that none of them was ever touched.
 */

/** One operation of every §4 kind on `bucket`, every optional argument present. */
export function everyOperation(bucket: string) {
  return [
    { id: 'op-stat', op: 'stat', bucket, key: 'a.txt', versionId: 'v1' },
    { op: 'copy', bucket, key: 'a.txt', destination: { bucket, key: 'b.txt' }, overwrite: true },
    // PDS spelling of a destination: a folder and a name instead of a key.
    { op: 'move', bucket, key: 'a.txt', destination: { bucket, parentFileId: 'root', name: 'c.txt' }, overwrite: false },
    { op: 'delete', bucket, key: 'a.txt' },
    { op: 'restore', bucket, key: 'a.txt', days: 3, tier: 'Standard' },
    { op: 'setMetadata', bucket, key: 'a.txt', contentType: 'text/plain', metadata: { owner: 'ops' } },
    { op: 'setStorageClass', bucket, key: 'a.txt', storageClass: 'IA' },
    { op: 'setStatus', bucket, key: 'a.txt', enabled: false },
    { op: 'setExpiry', bucket, key: 'a.txt', days: 30 },
    { op: 'setLifecycle', bucket, key: 'a.txt', toIAAfterDays: 30, toArchiveIRAfterDays: 60, toArchiveAfterDays: 90, toDeepArchiveAfterDays: 180, deleteAfterDays: 365 },
    { op: 'putTagging', bucket, key: 'a.txt', tags: { env: 'prod' } },
    { op: 'deleteTagging', bucket, key: 'a.txt' },
    { op: 'putAcl', bucket, key: 'a.txt', acl: 'private' },
  ]
}

export const batchBody = (account: string, bucket: string) => ({ account, operations: everyOperation(bucket) })

/** Each §4 kind as a job operation (no bucket/key; copy and move name a destination bucket and prefix). */
export function jobOperations(bucket: string): Record<string, unknown>[] {
  return everyOperation(bucket).map(({ id: _id, bucket: _b, key: _k, versionId: _v, ...op }) =>
    op.op === 'copy' || op.op === 'move' ? { ...op, destination: { bucket, prefix: 'out/', parentFileId: 'root' } } : op,
  )
}

/** A `POST /v1/jobs` body with every optional field, reading its manifest object from `bucket`. */
export const jobBody = (account: string, bucket: string, token: string, operation: Record<string, unknown>) => ({
  clientRequestToken: token,
  account,
  operation,
  manifest: {
    location: { bucket, key: 'manifest.csv', etag: 'd41d8cd98f00b204e9800998ecf8427e' },
    format: 'S3BatchOperations_CSV_20180820',
    fields: ['Bucket', 'Key', 'VersionId', 'Ignore'],
  },
  report: { enabled: true, bucket, prefix: 'reports/', scope: 'FailedTasksOnly' },
  priority: 10,
  confirmationRequired: true,
  description: 'bad input',
})

/** The other two manifest forms: inline CSV, and a generator with every filter. */
export const inlineManifest = (bucket: string) => ({ inline: `${bucket},a.txt\n`, format: 'OSS_BatchOperations_CSV_20250611', fields: ['Bucket', 'Key'] })
export const manifestGenerator = (bucket: string) => ({
  sourceBucket: bucket,
  prefix: 'in/',
  filters: { keySuffix: '.txt', sizeGreaterThan: 1, sizeLessThan: 100, createdBefore: '2030-01-01T00:00:00Z', createdAfter: '2020-01-01T00:00:00+08:00' },
})

export const scheduleBody = (job: Record<string, unknown>) => {
  const { clientRequestToken: _t, ...rest } = job
  return { cron: '0 3 * * *', job: rest }
}

/** Free text where NUL is an ordinary character; every other string names something stored or sent. */
export const FREE_TEXT = /(^|\.)(description|reason)$|(^|\.)inline$|(^|\.)(id|clientRequestToken)$/
export const nulAllowed = (path: string) => FREE_TEXT.test(path.replace(/\[\d+\]/g, ''))
