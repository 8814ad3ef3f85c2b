import type { JobStatus } from '../../../shared/jobs/job-status.ts'
import type { ManifestField } from '../../../shared/manifest/manifest-csv.ts'
import type { CreateJobRequest, JobOperation, ManifestGenerator } from '../../../shared/schemas/job.ts'

/** What the job object keeps of a creation request (the inline CSV is stored apart). */
export interface JobSpec {
  jobId: string
  tenant: string
  account: string
  operation: JobOperation
  /** For a generated manifest: inline, `Bucket,Key` rows the job listed into its own storage. */
  manifest: Omit<NonNullable<CreateJobRequest['manifest']>, 'inline'> & { inline: boolean }
  manifestGenerator?: ManifestGenerator
  report: CreateJobRequest['report']
  priority: number
  confirmationRequired: boolean
  description?: string
  createdAt: number
}

/** What a consumer needs to run one chunk; the rows themselves are read from the manifest bytes. */
export interface ChunkTask {
  jobId: string
  chunkId: number
  account: string
  tenant: string
  operation: JobOperation
  fields: ManifestField[]
  firstRow: number
  start: number
  end: number
  /** The manifest object, or null when the CSV is inline (read it from the job object). */
  source: { bucket: string; key: string } | null
  /** How many times the chunk was leased: more than 1 when an earlier run may have applied some of its tasks. */
  leases: number
}

/** A finished chunk, as the consumer reports it: counts and its report lines. */
export interface ChunkResult {
  succeeded: number
  failed: number
  /** Report CSV lines (each ending in a newline) of the succeeded and failed tasks. */
  succeededLines: string
  failedLines: string
  /** Failed tasks by unified error code, for the job's failure breakdown. */
  failureCodes: Record<string, number>
}

export interface ProgressSummary {
  totalNumberOfTasks: number
  numberOfTasksSucceeded: number
  numberOfTasksFailed: number
  timers: { elapsedTimeInActiveSeconds: number }
}

export type JobOutcome<T> = { ok: true; value: T } | { ok: false; reason: 'not-found' } | { ok: false; reason: 'invalid-state'; status: JobStatus }
