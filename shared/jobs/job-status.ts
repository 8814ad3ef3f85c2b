/** The 13 statuses of S3 Batch Operations, which §6 keeps. */
export const JOB_STATUSES = [
  'New', 'Preparing', 'Suspended', 'Ready', 'Active', 'Pausing', 'Paused',
  'Completing', 'Complete', 'Cancelling', 'Cancelled', 'Failing', 'Failed',
] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

/** Every transition the job object may make; anything else is refused in one place. */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  New: ['Preparing', 'Cancelling', 'Failing'],
  Preparing: ['Suspended', 'Ready', 'Cancelling', 'Failing'],
  Suspended: ['Ready', 'Cancelling', 'Failing'],
  Ready: ['Active', 'Paused', 'Cancelling', 'Failing'],
  Active: ['Pausing', 'Completing', 'Cancelling', 'Failing'],
  Pausing: ['Paused', 'Active', 'Completing', 'Cancelling', 'Failing'],
  Paused: ['Active', 'Ready', 'Cancelling', 'Failing'],
  Completing: ['Complete'],
  Cancelling: ['Cancelled'],
  Failing: ['Failed'],
  Complete: [],
  Cancelled: [],
  Failed: [],
}

export const canTransition = (from: JobStatus, to: JobStatus) => TRANSITIONS[from].includes(to)

export const TERMINAL: ReadonlySet<JobStatus> = new Set(['Complete', 'Cancelled', 'Failed'])
/** Statuses from which a cancel is refused (Aliyun's guard table). */
export const ENDING_OR_ENDED: ReadonlySet<JobStatus> = new Set(['Completing', 'Complete', 'Cancelling', 'Cancelled', 'Failing', 'Failed'])

export type RequestedStatus = 'Ready' | 'Cancelled' | 'Paused' | 'Active'

/**
 * What a user's status request means from the current status: the status to move to, or null
 * when the request is illegal there (409 InvalidJobState).
 */
export function userTransition(from: JobStatus, requested: RequestedStatus): JobStatus | null {
  switch (requested) {
    case 'Ready':
      // Confirms a Suspended job; on a Preparing one it confirms ahead (handled by the job object).
      return from === 'Suspended' ? 'Ready' : from === 'Preparing' ? 'Preparing' : null
    case 'Cancelled':
      return ENDING_OR_ENDED.has(from) ? null : 'Cancelling'
    case 'Paused':
      return from === 'Active' ? 'Pausing' : from === 'Ready' ? 'Paused' : from === 'Pausing' || from === 'Paused' ? from : null
    case 'Active':
      return from === 'Paused' || from === 'Pausing' ? 'Active' : from === 'Active' ? 'Active' : null
  }
}

/** S3's rule: once at least 1,000 tasks ran, a failure rate above 50% fails the job. */
export function exceedsFailureThreshold(succeeded: number, failed: number): boolean {
  const ran = succeeded + failed
  return ran >= 1000 && failed / ran > 0.5
}
