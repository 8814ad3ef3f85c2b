import { buildXml } from '../xml/xml.ts'
import { toOssJobId } from './oss-job-id.ts'

/** The §6 job description (`GET /v1/jobs/{id}`), as far as the OSS dialect shows it. */
export interface JobDescriptionJson {
  jobId: string
  status: string
  priority: number
  confirmationRequired: boolean
  description?: string
  operation: { op: string } & Record<string, unknown>
  /** A manifest the job reads, or (instead) the generator that lists it. */
  manifest?: { location?: { bucket: string; key: string; etag?: string }; format: string; fields: string[]; inline?: { bytes: number } }
  manifestGenerator?: { sourceBucket: string; prefix?: string }
  report: { enabled: boolean; bucket?: string; prefix?: string; scope: string }
  progressSummary: ProgressSummaryJson
  failureReasons: { failureCode: string; failureReason: string }[]
  statusUpdateReason: string | null
  creationTime: string | null
  terminationDate: string | null
}

/** One entry of `GET /v1/jobs`. */
export interface JobSummaryJson {
  jobId: string
  status: string
  priority: number
  description?: string
  operation: string
  creationTime: string | null
  terminationDate: string | null
  progressSummary: ProgressSummaryJson
}

interface ProgressSummaryJson {
  totalNumberOfTasks: number
  numberOfTasksSucceeded: number
  numberOfTasksFailed: number
  timers: { elapsedTimeInActiveSeconds: number }
}

/** The unified operations OSS batch jobs also have, by their OSS element names. */
export const OSS_OPERATION_NAMES: Record<string, string> = {
  putTagging: 'PutObjectTagging',
  deleteTagging: 'DeleteObjectTagging',
  putAcl: 'PutObjectAcl',
  restore: 'RestoreObject',
}

// OSS gives CreationTime and TerminationDate in unix seconds.
const unixSeconds = (iso: string | null) => (iso === null ? undefined : Math.floor(Date.parse(iso) / 1000))

/**
 * A job's operation as an OSS `Operation`. Operations OSS has no element for (a job made through
 * `/v1/jobs` may copy or delete) appear as `BatchgateOperation{Op, Json}` with the unified operation.
 */
function operationXml(operation: JobDescriptionJson['operation']): Record<string, unknown> {
  switch (operation.op) {
    case 'putTagging':
      return { PutObjectTagging: { TagSet: { Tag: Object.entries(operation.tags as Record<string, string>).map(([Key, Value]) => ({ Key, Value })) } } }
    case 'deleteTagging':
      return { DeleteObjectTagging: {} }
    case 'putAcl':
      return { PutObjectAcl: { ObjectAcl: operation.acl } }
    case 'restore':
      return { RestoreObject: { Days: operation.days, Tier: operation.tier } }
    default:
      return { BatchgateOperation: { Op: operation.op, Json: JSON.stringify(operation) } }
  }
}

function progressXml(p: ProgressSummaryJson) {
  return {
    TotalNumberOfTasks: p.totalNumberOfTasks,
    NumberOfTasksSucceeded: p.numberOfTasksSucceeded,
    NumberOfTasksFailed: p.numberOfTasksFailed,
    Timers: { ElapsedTimeInActiveSeconds: p.timers.elapsedTimeInActiveSeconds },
  }
}

function manifestXml(d: JobDescriptionJson): Record<string, unknown> {
  if (d.manifestGenerator)
    return { KeyPrefixManifestGenerator: { SourceBucket: d.manifestGenerator.sourceBucket, Prefix: d.manifestGenerator.prefix } }
  if (!d.manifest) return {}
  const { location, format, fields } = d.manifest
  // An inline manifest (JSON API only) has no location to show; its Spec still says how it reads.
  return {
    Manifest: {
      ...(location ? { Location: { ETag: location.etag, Bucket: location.bucket, Object: location.key } } : {}),
      Spec: { Format: format, Fields: fields.join(',') },
    },
  }
}

export const createJobResultXml = (jobId: string) => buildXml({ CreateJobResult: { JobId: toOssJobId(jobId) } })

/** `DescribeJobResult{Job}` from the §6 description; the job id in its OSS form. */
export function describeJobResultXml(d: JobDescriptionJson): string {
  return buildXml({
    DescribeJobResult: {
      Job: {
        ConfirmationRequired: d.confirmationRequired,
        CreationTime: unixSeconds(d.creationTime),
        FailureReasons: { JobFailure: d.failureReasons.map((f) => ({ FailureCode: f.failureCode, FailureReason: f.failureReason })) },
        JobId: toOssJobId(d.jobId),
        Operation: operationXml(d.operation),
        Report: { Bucket: d.report.bucket, Enabled: d.report.enabled, Prefix: d.report.prefix, ReportScope: d.report.scope },
        ...manifestXml(d),
        Description: d.description,
        Priority: d.priority,
        StatusUpdateReason: d.statusUpdateReason ?? undefined,
        ProgressSummary: progressXml(d.progressSummary),
        Status: d.status,
        TerminationDate: unixSeconds(d.terminationDate),
      },
    },
  })
}

/** `ListJobsResult{Jobs{Job…}, NextToken}`; `NextToken` is absent on the last page. */
export function listJobsResultXml(jobs: readonly JobSummaryJson[], nextToken: string | null): string {
  return buildXml({
    ListJobsResult: {
      Jobs: {
        Job: jobs.map((j) => ({
          JobId: toOssJobId(j.jobId),
          Description: j.description,
          Operation: OSS_OPERATION_NAMES[j.operation] ?? j.operation,
          Priority: j.priority,
          Status: j.status,
          CreationTime: unixSeconds(j.creationTime),
          TerminationDate: unixSeconds(j.terminationDate),
          ProgressSummary: progressXml(j.progressSummary),
        })),
      },
      NextToken: nextToken ?? undefined,
    },
  })
}

export const updateJobStatusResultXml = (r: { jobId: string; status: string; statusUpdateReason?: string }) =>
  buildXml({ UpdateJobStatusResult: { JobId: toOssJobId(r.jobId), Status: r.status, StatusUpdateReason: r.statusUpdateReason } })

export const updateJobPriorityResultXml = (r: { jobId: string; priority: number }) =>
  buildXml({ UpdateJobPriorityResult: { JobId: toOssJobId(r.jobId), Priority: r.priority } })
