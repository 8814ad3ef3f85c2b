import { Hono, type Handler } from 'hono'
import type { RequestedStatus } from '../../../shared/jobs/job-status.ts'
import type { AppEnv } from '../../api/app-env.ts'
import { ProblemError, problems } from '../../api/problem.ts'
import { jobOf, requestJobStatus } from '../../api/services/job-service.ts'
import { listJobs } from '../../api/services/jobs-list.ts'
import { loadJob } from '../job-data.ts'
import { fragment, page } from '../layout.tsx'
import { JobLive, JobPage } from '../pages/job-page.tsx'
import { JobsPage, JobsTable } from '../pages/jobs-page.tsx'
import { consoleSession } from '../session.ts'

const PAGE_SIZE = 50

/** What each button did, by the status it asked for: fixed texts, never the query echoed. */
const DONE: Record<RequestedStatus, string> = {
  Ready: 'Confirmed: the job will run.',
  Paused: 'Pause requested.',
  Active: 'Resumed.',
  Cancelled: 'Cancel requested.',
}
const isRequested = (v: unknown): v is RequestedStatus => typeof v === 'string' && Object.hasOwn(DONE, v)

/**
 * `GET /`: the tenant's jobs, newest first. A handler rather than a sub-app: the console is
 * mounted at `/`, where a sub-app's `use()` would reach every route of the API.
 */
export const jobsIndex: Handler<AppEnv> = async (c) => {
  const cursor = c.req.query('cursor')
  const { jobs, nextCursor } = await listJobs(c.env, c.get('principal').tenant, [], PAGE_SIZE, cursor)
  return page(c, <JobsPage principal={c.get('principal')} jobs={jobs} cursor={cursor} nextCursor={nextCursor} />)
}

/** `/console/live/...`: the fragments the page script swaps in while jobs run. */
export const liveRoutes = new Hono<AppEnv>()
  .use(consoleSession())
  .get('/jobs', async (c) => {
    const { jobs } = await listJobs(c.env, c.get('principal').tenant, [], PAGE_SIZE, c.req.query('cursor'))
    return fragment(c, <JobsTable jobs={jobs} />)
  })
  .get('/jobs/:id', async (c) => fragment(c, <JobLive {...await loadJob(c.env, c.get('principal').tenant, c.req.param('id'))} />))

/** `/console/jobs/:id`: the job page, its buttons and its report. */
export const jobRoutes = new Hono<AppEnv>()
  .use(consoleSession())
  .get('/:id', async (c) => {
    const done = c.req.query('done')
    const loaded = await loadJob(c.env, c.get('principal').tenant, c.req.param('id'))
    return page(c, <JobPage principal={c.get('principal')} {...loaded} notice={isRequested(done) ? DONE[done] : undefined} />)
  })
  .post('/:id/status', async (c) => {
    const id = c.req.param('id')
    const tenant = c.get('principal').tenant
    const requested = (await c.req.parseBody()).requestedStatus
    if (!isRequested(requested)) throw problems.validation([{ path: 'requestedStatus', message: 'must be Ready, Cancelled, Paused or Active' }])
    try {
      await requestJobStatus(c.env, tenant, id, requested, 'requested in the console')
    } catch (err) {
      if (!(err instanceof ProblemError) || err.problem.code !== 'InvalidJobState') throw err
      const loaded = await loadJob(c.env, tenant, id)
      return page(c, <JobPage principal={c.get('principal')} {...loaded} error={`${err.problem.title}: ${err.problem.detail ?? ''}`} />, 409)
    }
    // Post/redirect/get: a reload of the job page does not post the button again.
    return c.redirect(`/console/jobs/${id}?done=${requested}`, 303)
  })
  .get('/:id/report', async (c) => {
    const manifest = await jobOf(c.env, c.req.param('id')).reportManifest(c.get('principal').tenant)
    if (manifest === null) throw problems.notFound('The report')
    return c.body(manifest, 200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
  })
  .get('/:id/report/:n{[0-9]+}', async (c) => {
    const id = c.req.param('id')
    const n = Number(c.req.param('n'))
    const shard = await jobOf(c.env, id).reportShard(c.get('principal').tenant, n)
    if (shard === null) throw problems.notFound('The report shard')
    return c.body(shard, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="job-${id}-report-${n}.csv"`,
      'Cache-Control': 'no-store',
    })
  })
