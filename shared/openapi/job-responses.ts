import * as z from 'zod'
import { JOB_STATUSES } from '../jobs/job-status.ts'
import { REPORT_FORMAT, REPORT_SCHEMA } from '../report/report-csv.ts'
import { OP_KINDS } from '../schemas/operation.ts'
import { JobOperation, MANIFEST_FIELDS, MANIFEST_FORMATS, ManifestGenerator, REPORT_SCOPES } from '../schemas/job.ts'

/**
 * The answers of `/v1/jobs` (§6) as zod schemas, for the OpenAPI document. The Worker builds these
 * bodies in the job object (workers/durable-objects/batch-job/describe.ts, reporting.ts);
 * test/api/openapi-responses.test.ts parses real answers with these schemas, so the document
 * cannot drift from what the API sends.
 */

const Instant = z.iso.datetime().meta({ description: 'ISO 8601, UTC' })
const JobId = z.uuid().meta({ description: 'the job id (a UUID)' })
export const JobStatusName = z.enum(JOB_STATUSES)

/** `POST /v1/jobs` → 201 (created) or 200 (the job this token already made). */
export const CreateJobResponse = z.object({ jobId: JobId, status: JobStatusName })

export const ProgressSummary = z.object({
  totalNumberOfTasks: z.number().int().min(0).meta({ description: 'manifest rows read so far (all of them once preparation is done)' }),
  numberOfTasksSucceeded: z.number().int().min(0),
  numberOfTasksFailed: z.number().int().min(0),
  timers: z.object({ elapsedTimeInActiveSeconds: z.number().int().min(0) }),
})

const ManifestSpec = {
  format: z.enum(MANIFEST_FORMATS),
  fields: z.array(z.enum(MANIFEST_FIELDS)),
}

/** The manifest as the job keeps it: an object on the account, or inline CSV (its size only). */
const DescribedManifest = z.object({
  ...ManifestSpec,
  location: z.object({ bucket: z.string(), key: z.string(), etag: z.string().optional() }).optional(),
  inline: z
    .object({ bytes: z.number().int().min(0).nullable() })
    .optional()
    .meta({ description: 'present for an inline manifest: its size; the rows are at GET /v1/jobs/{id}/manifest' }),
})

/** What a manifest generator listed so far; the rows are at `location`. */
const GeneratedManifest = z.object({
  ...ManifestSpec,
  bytes: z.number().int().min(0),
  complete: z.boolean().meta({ description: 'whether the listing has finished' }),
  objectsListed: z.number().int().min(0),
  objectsMatched: z.number().int().min(0).meta({ description: 'objects that passed the filters: the tasks of the job' }),
  location: z.string().meta({ description: 'GET this path for the generated manifest as CSV' }),
})

const DescribedReport = z.object({
  enabled: z.boolean(),
  bucket: z.string().optional(),
  prefix: z.string().optional(),
  scope: z.enum(REPORT_SCOPES),
})

/** `GET /v1/jobs/{id}` (§6): either `manifest`, or `manifestGenerator` with `generatedManifest`. */
export const JobDescription = z.object({
  jobId: JobId,
  status: JobStatusName,
  priority: z.number().int().min(0),
  confirmationRequired: z.boolean(),
  description: z.string().optional(),
  account: z.string(),
  operation: JobOperation,
  manifest: DescribedManifest.optional(),
  manifestGenerator: ManifestGenerator.optional(),
  generatedManifest: GeneratedManifest.optional(),
  report: DescribedReport,
  progressSummary: ProgressSummary,
  failureReasons: z.array(z.object({ failureCode: z.string(), failureReason: z.string() })).meta({ description: 'why the job failed or was refused, newest last' }),
  failuresByCode: z.record(z.string(), z.number().int()).meta({ description: 'failed tasks by unified error code (NoSuchKey, AccessDenied, …)' }),
  statusUpdateReason: z.string().nullable(),
  creationTime: Instant,
  terminationDate: Instant.nullable(),
  reportLocation: z
    .object({ bucket: z.string(), key: z.string() })
    .nullable()
    .meta({ description: "the report's manifest.json on the account, once written; also at GET /v1/jobs/{id}/report" }),
})

/** One line of `GET /v1/jobs`. */
export const JobSummary = z.object({
  jobId: JobId,
  status: JobStatusName,
  priority: z.number().int().min(0),
  description: z.string().optional(),
  operation: z.enum(OP_KINDS as [string, ...string[]]).meta({ description: 'the operation kind' }),
  creationTime: Instant,
  terminationDate: Instant.nullable(),
  progressSummary: ProgressSummary,
})

/** `GET /v1/jobs`: newest first; pass `nextCursor` as `cursor` for the next page. */
export const JobList = z.object({ jobs: z.array(JobSummary), nextCursor: z.string().nullable() })

/** `POST /v1/jobs/{id}/status` → the status the job moved to. */
export const JobStatusResponse = z.object({ jobId: JobId, status: JobStatusName, statusUpdateReason: z.string().optional() })

/** `POST /v1/jobs/{id}/priority` → the job's priority now. */
export const JobPriorityResponse = z.object({ jobId: JobId, priority: z.number().int().min(0) })

/** `GET /v1/jobs/{id}/report`: the report's manifest.json (§6); shard `n` is `results[n]`. */
export const ReportManifest = z.object({
  format: z.literal(REPORT_FORMAT),
  reportCreationDate: Instant,
  reportSchema: z.literal(REPORT_SCHEMA),
  results: z.array(
    z.object({
      taskExecutionStatus: z.enum(['succeeded', 'failed']),
      bucket: z.string(),
      key: z.string(),
      md5Checksum: z.string().regex(/^[0-9a-f]{32}$/),
    }),
  ),
})

/** `GET /healthz` (§8). */
export const Health = z.object({ ok: z.literal(true) })
