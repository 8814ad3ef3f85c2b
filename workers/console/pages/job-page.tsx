import type { Principal } from '../../../shared/auth/api-keys.ts'
import { TERMINAL, type JobStatus } from '../../../shared/jobs/job-status.ts'
import type { describeJob } from '../../durable-objects/batch-job/describe.ts'
import { FailureChart } from '../components/failure-chart.tsx'
import { JobActions } from '../components/job-actions.tsx'
import { duration, fmt, ProgressBar } from '../components/progress-bar.tsx'
import { StatusBadge } from '../components/status-badge.tsx'
import { Layout } from '../layout.tsx'
import { when } from './jobs-page.tsx'

export type JobDescription = ReturnType<typeof describeJob>

/** The report's manifest.json as the job keeps it (§6 Report). */
export interface ReportManifest {
  reportCreationDate?: string
  results: { taskExecutionStatus: string; bucket: string; key: string; md5Checksum: string }[]
}

const Stat = (p: { label: string; value: string; kind?: string; id: string }) => (
  <div class={`stat ${p.kind ?? ''}`} data-testid={p.id}>
    <div class="label">{p.label}</div>
    <div class="value">{p.value}</div>
  </div>
)

function Report({ job, report }: { job: JobDescription; report: ReportManifest | null }) {
  if (!job.report.enabled) return <p class="muted">This job writes no report.</p>
  if (!job.reportLocation || !report) return <p class="muted">The report is written when the job ends, once any task ran.</p>
  const base = `/console/jobs/${job.jobId}/report`
  return (
    <div data-testid="report">
      <p>
        <a href={base}>manifest.json</a> <span class="muted mono">{`${job.reportLocation.bucket}/${job.reportLocation.key}`}</span>
      </p>
      <table>
        <thead>
          <tr>
            <th>Shard</th>
            <th>Tasks</th>
            <th>Object</th>
            <th>MD5</th>
          </tr>
        </thead>
        <tbody>
          {report.results.map((r, n) => (
            <tr>
              <td>
                <a href={`${base}/${n}`} data-shard={n}>
                  CSV {n}
                </a>
              </td>
              <td>{r.taskExecutionStatus}</td>
              <td class="mono">{`${r.bucket}/${r.key}`}</td>
              <td class="mono muted">{r.md5Checksum}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Everything on the job page that moves while it runs; refreshed in place until the job ends. */
export function JobLive({ job, report }: { job: JobDescription; report: ReportManifest | null }) {
  const p = job.progressSummary
  const settled = TERMINAL.has(job.status as JobStatus)
  return (
    <div {...(settled ? { 'data-settled': '' } : {})}>
      <div class="card">
        <div class="row">
          <h2>
            Status <StatusBadge status={job.status} />
          </h2>
          <JobActions jobId={job.jobId} status={job.status as JobStatus} confirmationRequired={job.confirmationRequired} />
        </div>
        {job.statusUpdateReason ? <p class="muted">{job.statusUpdateReason}</p> : null}
        <div class="stats">
          <Stat id="total" label="Tasks" value={fmt(p.totalNumberOfTasks)} />
          <Stat id="succeeded" label="Succeeded" value={fmt(p.numberOfTasksSucceeded)} kind="ok" />
          <Stat id="failed" label="Failed" value={fmt(p.numberOfTasksFailed)} kind="bad" />
          <Stat id="pending" label="Not run yet" value={fmt(Math.max(0, p.totalNumberOfTasks - p.numberOfTasksSucceeded - p.numberOfTasksFailed))} />
          <Stat id="elapsed" label="Elapsed (active)" value={duration(p.timers.elapsedTimeInActiveSeconds)} />
        </div>
        <ProgressBar progress={p} />
      </div>
      <div class="card">
        <h2>Failures by error code</h2>
        <FailureChart failuresByCode={job.failuresByCode} />
        {job.failureReasons.length > 0 ? (
          <details>
            <summary class="muted">First failure reasons</summary>
            <ul>
              {job.failureReasons.map((f) => (
                <li>
                  <span class="mono">{f.failureCode}</span> {f.failureReason}
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </div>
      <div class="card">
        <h2>Report</h2>
        <Report job={job} report={report} />
      </div>
    </div>
  )
}

export function JobPage(props: { principal: Principal; job: JobDescription; report: ReportManifest | null; notice?: string | undefined; error?: string | undefined }) {
  const { job } = props
  const source = 'manifestGenerator' in job ? { manifestGenerator: job.manifestGenerator } : { manifest: job.manifest }
  return (
    <Layout title={job.description ?? `Job ${job.jobId}`} principal={props.principal}>
      <p>
        <a href="/">← Jobs</a>
      </p>
      <h1>{job.description ?? 'Job'}</h1>
      <p class="muted mono">{job.jobId}</p>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.error ? (
        <p class="notice error" role="alert">
          {props.error}
        </p>
      ) : null}
      <div data-live={`/console/live/jobs/${job.jobId}`}>
        <JobLive job={job} report={props.report} />
      </div>
      <div class="card">
        <h2>Details</h2>
        <dl class="meta">
          <dt>Account</dt>
          <dd class="mono">{job.account}</dd>
          <dt>Operation</dt>
          <dd>
            <pre class="mono">{JSON.stringify(job.operation)}</pre>
          </dd>
          <dt>Manifest</dt>
          <dd>
            <pre class="mono">{JSON.stringify(source)}</pre>
          </dd>
          <dt>Priority</dt>
          <dd>{job.priority}</dd>
          <dt>Confirmation required</dt>
          <dd>{job.confirmationRequired ? 'yes' : 'no'}</dd>
          <dt>Created</dt>
          <dd>{when(job.creationTime)}</dd>
          <dt>Ended</dt>
          <dd>{when(job.terminationDate)}</dd>
        </dl>
      </div>
    </Layout>
  )
}
