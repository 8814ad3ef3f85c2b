import type { Principal } from '../../../shared/auth/api-keys.ts'
import { TERMINAL, type JobStatus } from '../../../shared/jobs/job-status.ts'
import type { summariseJob } from '../../durable-objects/batch-job/describe.ts'
import { ProgressBar } from '../components/progress-bar.tsx'
import { StatusBadge } from '../components/status-badge.tsx'
import { Layout } from '../layout.tsx'

export type JobSummary = ReturnType<typeof summariseJob>

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—')

/** The live part of the list: refreshed in place until every job on it has ended. */
export function JobsTable({ jobs }: { jobs: JobSummary[] }) {
  const settled = jobs.every((j) => TERMINAL.has(j.status as JobStatus))
  if (jobs.length === 0)
    return (
      <p class="muted" data-settled>
        No jobs yet. Create one with <span class="mono">POST /v1/jobs</span>.
      </p>
    )
  return (
    <table data-testid="jobs" {...(settled ? { 'data-settled': '' } : {})}>
      <thead>
        <tr>
          <th>Job</th>
          <th>Operation</th>
          <th>Status</th>
          <th>Progress</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr data-job={j.jobId}>
            <td>
              <a href={`/console/jobs/${j.jobId}`}>{j.description ?? j.jobId.slice(0, 8)}</a>
              <div class="muted mono">{j.jobId}</div>
            </td>
            <td class="mono">{j.operation}</td>
            <td>
              <StatusBadge status={j.status} />
            </td>
            <td>
              <ProgressBar progress={j.progressSummary} />
            </td>
            <td class="muted">{when(j.creationTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function JobsPage(props: { principal: Principal; jobs: JobSummary[]; cursor: string | undefined; nextCursor: string | null }) {
  const live = `/console/live/jobs${props.cursor ? `?cursor=${encodeURIComponent(props.cursor)}` : ''}`
  return (
    <Layout title="Jobs" principal={props.principal}>
      <div class="row">
        <h1>Jobs</h1>
        <span class="muted">newest first</span>
      </div>
      <div class="card" data-live={live}>
        <JobsTable jobs={props.jobs} />
      </div>
      <p>
        {props.cursor ? <a href="/">Newest jobs</a> : null} {props.nextCursor ? <a href={`/?cursor=${encodeURIComponent(props.nextCursor)}`}>Older jobs →</a> : null}
      </p>
    </Layout>
  )
}

export { when }
