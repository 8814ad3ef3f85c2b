/**
 * Examples of the OpenAPI document: the request bodies of api.md (§5–§7) and answers shaped as the
 * Worker gives them. Bodies on the `local` account use the demo objects a fresh `npm start` seeds,
 * so "Try it out" on /docs works with the development key. test/api/openapi.test.ts parses every
 * example with the schema it illustrates.
 */

const JOB_ID = '3f9c1e2a-7b4d-4c8e-9f10-2a6b5c4d3e21'
const JOB_ID_2 = '0b7e8d9c-1a2b-4c3d-8e4f-5a6b7c8d9e0f'
const REQUEST_ID = '5f0c7a52-4a4e-4a1e-9a55-0d6f7b1d2c3e'

// --- §5 POST /v1/batch ---

export const BATCH_REQUESTS = {
  local: {
    summary: 'stat, copy and delete demo objects on the local R2 account',
    value: {
      account: 'local',
      operations: [
        { op: 'stat', bucket: 'demo', key: 'photos/2024/cat.jpg' },
        { op: 'copy', bucket: 'demo', key: 'docs/readme.txt', destination: { bucket: 'backup', key: 'docs/readme.txt' }, overwrite: true },
        { op: 'delete', bucket: 'demo', key: 'tmp/scratch-1.txt' },
      ],
    },
  },
  contract: {
    summary: 'the §5 example on a Qiniu account',
    value: {
      account: 'qiniu-prod',
      operations: [
        { op: 'stat', bucket: 'photos', key: '2024/a.jpg' },
        { op: 'copy', bucket: 'photos', key: 'a.jpg', destination: { bucket: 'backup', key: 'a.jpg' } },
        { op: 'delete', bucket: 'photos', key: 'tmp/x' },
      ],
    },
  },
  archive: {
    summary: 'restore, storage class, lifecycle and tags',
    value: {
      account: 'oss-hz',
      operations: [
        { id: 'restore-1', op: 'restore', bucket: 'archive', key: 'logs/2023/01.tar', days: 3, tier: 'Standard' },
        { id: 'cold-1', op: 'setStorageClass', bucket: 'archive', key: 'logs/2024/02.tar', storageClass: 'ARCHIVE' },
        { id: 'tag-1', op: 'putTagging', bucket: 'archive', key: 'logs/2024/03.tar', tags: { Environment: 'Production', Team: 'data' } },
        { id: 'meta-1', op: 'setMetadata', bucket: 'archive', key: 'index.html', contentType: 'text/html; charset=utf-8', metadata: { owner: 'web' } },
      ],
    },
  },
}

export const BATCH_RESPONSES = {
  ok: {
    summary: 'every operation succeeded (200)',
    value: {
      results: [
        {
          id: '0', op: 'stat', status: 200,
          data: { size: 16, etag: '9b2e2c7d5b0a7f1b3c4d5e6f708192a3', contentType: 'image/jpeg', lastModified: '2026-11-20T08:00:00.000Z', metadata: { author: 'alice' } },
        },
        { id: '1', op: 'copy', status: 200 },
        { id: '2', op: 'delete', status: 200, data: { existed: true } },
      ],
      summary: { total: 3, succeeded: 3, failed: 0 },
      requestId: REQUEST_ID,
    },
  },
  partial: {
    summary: 'one operation failed (207), from §5',
    value: {
      results: [
        {
          id: '0', op: 'stat', status: 200,
          data: { size: 1024, etag: 'FmDZwqadA4-ib_15hYfQpb7UXUYR', contentType: 'image/jpeg', lastModified: '2024-01-01T00:00:00.000Z', storageClass: 'STANDARD', metadata: {} },
        },
        {
          id: '1', op: 'copy', status: 409,
          error: { code: 'DestinationExists', message: 'the destination exists and overwrite is false', provider: { code: '614', message: 'file exists' } },
        },
        { id: '2', op: 'delete', status: 200 },
      ],
      summary: { total: 3, succeeded: 2, failed: 1 },
      requestId: REQUEST_ID,
    },
  },
  throttled: {
    summary: 'a provider kept throttling after the retries (207)',
    value: {
      results: [
        { id: 'restore-1', op: 'restore', status: 202 },
        { id: 'cold-1', op: 'setStorageClass', status: 429, error: { code: 'Throttled', message: 'the provider is throttling requests', provider: { code: 'SlowDown', message: 'Please reduce your request rate.' }, retryAfterSeconds: 2 } },
      ],
      summary: { total: 2, succeeded: 1, failed: 1 },
      requestId: REQUEST_ID,
    },
  },
}

// --- §6 /v1/jobs ---

export const CREATE_JOB_REQUESTS = {
  contract: {
    summary: 'tag the objects of a manifest on an OSS account (§6)',
    value: {
      clientRequestToken: 'unique-token-123',
      account: 'oss-hz',
      operation: { op: 'putTagging', tags: { Environment: 'Production' } },
      manifest: {
        location: { bucket: 'manifests', key: 'manifest.csv', etag: 'd41d8cd98f00b204e9800998ecf8427e' },
        format: 'S3BatchOperations_CSV_20180820',
        fields: ['Bucket', 'Key'],
      },
      report: { enabled: true, bucket: 'reports', prefix: 'batch-reports/', scope: 'AllTasks' },
      priority: 10,
      confirmationRequired: false,
      description: 'tag production objects',
    },
  },
  inline: {
    summary: 'copy two demo objects to backup/ with an inline manifest (local account)',
    value: {
      clientRequestToken: 'copy-demo-2026-11-21',
      account: 'local',
      operation: { op: 'copy', destination: { bucket: 'backup', prefix: 'copies/' }, overwrite: true },
      manifest: { inline: 'demo,photos/2024/cat.jpg\ndemo,photos/2024/dog.jpg\n' },
      report: { enabled: true, bucket: 'backup', prefix: 'reports/', scope: 'FailedTasksOnly' },
      description: 'back up the demo photos',
    },
  },
  generator: {
    summary: 'delete every .tmp object under tmp/ older than a date, listed by a manifest generator, after confirmation',
    value: {
      clientRequestToken: 'cleanup-tmp-2026-11',
      account: 's3-archive',
      operation: { op: 'delete' },
      manifestGenerator: { sourceBucket: 'uploads', prefix: 'tmp/', filters: { keySuffix: '.tmp', createdBefore: '2026-10-01T00:00:00Z' } },
      report: { enabled: false },
      priority: 0,
      confirmationRequired: true,
      description: 'clean up stale uploads',
    },
  },
}

export const CREATE_JOB_RESPONSE = { summary: 'the job', value: { jobId: JOB_ID, status: 'New' } }

const progress = (total: number, succeeded: number, failed: number, seconds: number) => ({
  totalNumberOfTasks: total, numberOfTasksSucceeded: succeeded, numberOfTasksFailed: failed, timers: { elapsedTimeInActiveSeconds: seconds },
})

export const JOB_DESCRIPTIONS = {
  active: {
    summary: 'a running job with a manifest object (§6)',
    value: {
      jobId: JOB_ID, status: 'Active', priority: 10, confirmationRequired: false, description: 'tag production objects',
      account: 'oss-hz',
      operation: { op: 'putTagging', tags: { Environment: 'Production' } },
      manifest: { location: { bucket: 'manifests', key: 'manifest.csv', etag: 'd41d8cd98f00b204e9800998ecf8427e' }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { enabled: true, bucket: 'reports', prefix: 'batch-reports/', scope: 'AllTasks' },
      progressSummary: progress(1_000_000, 250_000, 12, 95),
      failureReasons: [],
      failuresByCode: { NoSuchKey: 10, AccessDenied: 2 },
      statusUpdateReason: null,
      creationTime: '2026-11-21T03:00:04.512Z',
      terminationDate: null,
      reportLocation: null,
    },
  },
  generated: {
    summary: 'a finished job whose manifest a generator listed',
    value: {
      jobId: JOB_ID_2, status: 'Complete', priority: 0, confirmationRequired: true, description: 'clean up stale uploads',
      account: 's3-archive',
      operation: { op: 'delete' },
      manifestGenerator: { sourceBucket: 'uploads', prefix: 'tmp/', filters: { keySuffix: '.tmp', createdBefore: '2026-10-01T00:00:00Z' } },
      generatedManifest: {
        format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'], bytes: 48_213, complete: true,
        objectsListed: 20_000, objectsMatched: 1_734, location: `/v1/jobs/${JOB_ID_2}/manifest`,
      },
      report: { enabled: true, bucket: 'reports', prefix: 'cleanup/', scope: 'FailedTasksOnly' },
      progressSummary: progress(1_734, 1_734, 0, 41),
      failureReasons: [],
      failuresByCode: {},
      statusUpdateReason: 'confirmed by ops',
      creationTime: '2026-11-20T22:10:00.000Z',
      terminationDate: '2026-11-20T22:31:12.000Z',
      reportLocation: { bucket: 'reports', key: `cleanup/job-${JOB_ID_2}/manifest.json` },
    },
  },
}

export const JOB_LIST = {
  summary: 'a page of two jobs, newest first',
  value: {
    jobs: [
      { jobId: JOB_ID, status: 'Active', priority: 10, description: 'tag production objects', operation: 'putTagging', creationTime: '2026-11-21T03:00:04.512Z', terminationDate: null, progressSummary: progress(1_000_000, 250_000, 12, 95) },
      { jobId: JOB_ID_2, status: 'Complete', priority: 0, description: 'clean up stale uploads', operation: 'delete', creationTime: '2026-11-20T22:10:00.000Z', terminationDate: '2026-11-20T22:31:12.000Z', progressSummary: progress(1_734, 1_734, 0, 41) },
    ],
    nextCursor: 'eyJjcmVhdGVkQXQiOjE3OTUyMDY2MDAwMDAsImpvYklkIjoiMGI3ZThkOWMtMWEyYi00YzNkLThlNGYtNWE2YjdjOGQ5ZTBmIn0',
  },
}

export const JOB_STATUS_REQUESTS = {
  confirm: { summary: 'confirm a Suspended job', value: { requestedStatus: 'Ready' } },
  cancel: { summary: 'cancel a job', value: { requestedStatus: 'Cancelled', reason: 'wrong manifest' } },
  pause: { summary: 'pause a running job', value: { requestedStatus: 'Paused', reason: 'maintenance window' } },
}
export const JOB_STATUS_RESPONSES = {
  confirmed: { summary: 'confirmed, and already started (Ready while the account runs higher-priority jobs)', value: { jobId: JOB_ID, status: 'Active' } },
  cancelling: { summary: 'cancelling', value: { jobId: JOB_ID, status: 'Cancelling', statusUpdateReason: 'wrong manifest' } },
}

export const JOB_PRIORITY_REQUEST = { summary: 'run ahead of priority-10 jobs on the same account', value: { priority: 20 } }
export const JOB_PRIORITY_RESPONSE = { summary: 'the new priority', value: { jobId: JOB_ID, priority: 20 } }

export const REPORT_MANIFEST = {
  summary: 'a report of one succeeded and one failed shard',
  value: {
    format: 'Report_CSV_20180820',
    reportCreationDate: '2026-11-21T04:12:40.118Z',
    reportSchema: 'Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage',
    results: [
      { taskExecutionStatus: 'succeeded', bucket: 'reports', key: `batch-reports/job-${JOB_ID}/results/00000-succeeded.csv`, md5Checksum: '6b1f9f5c0e6a4d3b2a1908f7e6d5c4b3' },
      { taskExecutionStatus: 'failed', bucket: 'reports', key: `batch-reports/job-${JOB_ID}/results/00001-failed.csv`, md5Checksum: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' },
    ],
  },
}
export const REPORT_SHARD_CSV = 'photos,2024/a.jpg,,failed,NoSuchKey,404,the source object does not exist\nphotos,2024/b%20c.jpg,,failed,AccessDenied,403,Access denied\n'
export const MANIFEST_CSV = 'uploads,tmp/a1.tmp\nuploads,tmp/session%20b.tmp\n'

// --- §7 /v1/schedules ---

export const SCHEDULE_REQUEST = {
  cron: '0 3 * * *',
  job: {
    account: 'local',
    operation: { op: 'copy', destination: { bucket: 'backup', prefix: 'nightly/' } },
    manifestGenerator: { sourceBucket: 'demo', prefix: 'docs/' },
    report: { enabled: true, bucket: 'backup', prefix: 'reports/', scope: 'FailedTasksOnly' },
    description: 'nightly copy of docs/ to backup',
  },
}

export const SCHEDULE = {
  summary: 'a nightly schedule that has run once',
  value: {
    id: '7d3a2b1c-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    cron: '0 3 * * *',
    job: { ...SCHEDULE_REQUEST.job, priority: 0, confirmationRequired: false },
    createdAt: '2026-11-19T10:15:00.000Z',
    nextRunAt: '2026-11-22T03:00:00.000Z',
    lastRunAt: '2026-11-21T03:00:00.000Z',
    lastJobId: JOB_ID,
    lastError: null,
  },
}
