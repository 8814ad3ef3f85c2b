import type { JobRow } from './job-db.ts'
import type { ListingRow } from './listing.ts'
import { reportBase } from './reporting.ts'
import type { JobSpec, ProgressSummary } from './types.ts'

export function progressOf(row: JobRow, now: number): ProgressSummary {
  const running = row.active_since !== null ? now - row.active_since : 0
  return {
    totalNumberOfTasks: row.total,
    numberOfTasksSucceeded: row.succeeded,
    numberOfTasksFailed: row.failed,
    timers: { elapsedTimeInActiveSeconds: Math.floor((row.active_ms + running) / 1000) },
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** `GET /v1/jobs/{id}` (§6). */
export function describeJob(spec: JobSpec, row: JobRow, now: number, listing?: ListingRow) {
  const { inline, ...manifest } = spec.manifest
  // A generated manifest is described by its generator and what the listing found (as S3 shows
  // ManifestGenerator and the generated manifest's descriptor); the rows are at /manifest.
  const source = spec.manifestGenerator
    ? {
        manifestGenerator: spec.manifestGenerator,
        generatedManifest: {
          format: manifest.format, fields: manifest.fields, bytes: row.manifest_size ?? 0, complete: listing?.done === 1,
          objectsListed: listing?.listed ?? 0, objectsMatched: listing?.matched ?? 0, location: `/v1/jobs/${spec.jobId}/manifest`,
        },
      }
    : { manifest: inline ? { ...manifest, inline: { bytes: row.manifest_size } } : manifest }
  return {
    jobId: spec.jobId,
    status: row.status,
    priority: row.priority,
    confirmationRequired: spec.confirmationRequired,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    account: spec.account,
    operation: spec.operation,
    ...source,
    report: spec.report,
    progressSummary: progressOf(row, now),
    failureReasons: JSON.parse(row.failure_reasons) as { failureCode: string; failureReason: string }[],
    failuresByCode: JSON.parse(row.failure_codes) as Record<string, number>,
    statusUpdateReason: row.status_reason,
    creationTime: iso(spec.createdAt),
    terminationDate: iso(row.terminated_at),
    reportLocation: row.report_done && spec.report.enabled ? { bucket: spec.report.bucket, key: `${reportBase(spec)}manifest.json` } : null,
  }
}

/** One line of `GET /v1/jobs`. */
export function summariseJob(spec: JobSpec, row: JobRow, now: number) {
  return {
    jobId: spec.jobId,
    status: row.status,
    priority: row.priority,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    operation: spec.operation.op,
    creationTime: iso(spec.createdAt),
    terminationDate: iso(row.terminated_at),
    progressSummary: progressOf(row, now),
  }
}
