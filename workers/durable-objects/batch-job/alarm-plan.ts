import type { JobStatus } from '../../../shared/jobs/job-status.ts'
import type { JobRow } from './job-db.ts'

/** A chunk message not finished within this is taken as lost and sent again. */
export const LEASE_MS = 5 * 60 * 1000
/** A job Suspended longer than this fails (§6). */
export const SUSPENDED_MAX_MS = 14 * 24 * 60 * 60 * 1000

const RUNNING: ReadonlySet<JobStatus> = new Set(['Active', 'Pausing', 'Cancelling', 'Failing', 'Completing'])

/**
 * When the job's one alarm should next fire, or null for none: at once while it prepares or waits
 * to start, at the first lease expiry while chunks are out, and when a suspension runs out.
 */
export function nextAlarmAt(row: Pick<JobRow, 'status' | 'suspended_at'>, firstLeaseExpiry: number | null, now: number): number | null {
  if (row.status === 'New' || row.status === 'Preparing' || row.status === 'Ready') return now
  if (row.status === 'Suspended') return (row.suspended_at ?? now) + SUSPENDED_MAX_MS + 1
  if (RUNNING.has(row.status)) return firstLeaseExpiry ?? now + LEASE_MS
  return null
}
