import { userTransition, type JobStatus, type RequestedStatus } from '../../../shared/jobs/job-status.ts'

const ACTIONS: { requested: RequestedStatus; label: string; kind: string }[] = [
  { requested: 'Ready', label: 'Confirm', kind: 'primary' },
  { requested: 'Paused', label: 'Pause', kind: '' },
  { requested: 'Active', label: 'Resume', kind: 'primary' },
  { requested: 'Cancelled', label: 'Cancel job', kind: 'danger' },
]

/** Whether a button would change anything: the same rule the job object applies (409 otherwise). */
function offered(status: JobStatus, requested: RequestedStatus, confirmationRequired: boolean): boolean {
  const to = userTransition(status, requested)
  if (to === null) return false
  // Confirming a Preparing job ahead of its Suspended stop only matters when it will stop there.
  if (requested === 'Ready' && status === 'Preparing') return confirmationRequired
  return to !== status
}

/** The status buttons: plain forms posting to the console, which calls the job service. */
export function JobActions(props: { jobId: string; status: JobStatus; confirmationRequired: boolean }) {
  const shown = ACTIONS.filter((a) => offered(props.status, a.requested, props.confirmationRequired))
  if (shown.length === 0) return <p class="muted">No action applies to a {props.status} job.</p>
  return (
    <div class="actions">
      {shown.map((a) => (
        <form method="post" action={`/console/jobs/${props.jobId}/status`}>
          <input type="hidden" name="requestedStatus" value={a.requested} />
          <button type="submit" class={a.kind} data-action={a.requested}>
            {a.label}
          </button>
        </form>
      ))}
    </div>
  )
}
