import { Hono } from 'hono'
import { JOB_STATUSES } from '../../../shared/jobs/job-status.ts'
import { CreateJobRequest, UpdateJobPriorityRequest, UpdateJobStatusRequest } from '../../../shared/schemas/job.ts'
import type { AppEnv } from '../app-env.ts'
import { problems } from '../problem.ts'
import { createJob, describeJobText, jobOf, requestJobStatus, setJobPriority } from '../services/job-service.ts'
import { listJobs } from '../services/jobs-list.ts'
import { validateJson } from '../validate.ts'
import { methodNotAllowed } from './method-not-allowed.ts'

const MANIFEST_PIECE = 1024 * 1024

/** `/v1/jobs` (§6): create, describe, list, status, priority and reports, scoped to the tenant. */
export const jobs = new Hono<AppEnv>()
  .post('/', validateJson(CreateJobRequest), async (c) => {
    const { created, ...job } = await createJob(c.env, c.get('principal'), c.req.valid('json'))
    return c.json(job, created ? 201 : 200)
  })
  .get('/', async (c) => {
    const statuses = c.req.query('status')?.split(',').filter(Boolean) ?? []
    const bad = statuses.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s))
    if (bad.length) throw problems.validation([{ path: 'query.status', message: `unknown status ${bad.join(', ')}` }])
    const limit = Number(c.req.query('limit') ?? 100)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw problems.validation([{ path: 'query.limit', message: 'must be an integer from 1 to 1000' }])
    return c.json(await listJobs(c.env, c.get('principal').tenant, statuses, limit, c.req.query('cursor')))
  })
  .all('/', methodNotAllowed('GET', 'POST'))
  .get('/:id', async (c) => c.body(await describeJobText(c.env, c.get('principal').tenant, c.req.param('id')), 200, { 'Content-Type': 'application/json' }))
  .all('/:id', methodNotAllowed('GET'))
  .post('/:id/status', validateJson(UpdateJobStatusRequest), async (c) => {
    const { requestedStatus, reason } = c.req.valid('json')
    return c.json(await requestJobStatus(c.env, c.get('principal').tenant, c.req.param('id'), requestedStatus, reason))
  })
  .all('/:id/status', methodNotAllowed('POST'))
  .post('/:id/priority', validateJson(UpdateJobPriorityRequest), async (c) =>
    c.json(await setJobPriority(c.env, c.get('principal').tenant, c.req.param('id'), c.req.valid('json').priority)),
  )
  .all('/:id/priority', methodNotAllowed('POST'))
  .get('/:id/manifest', async (c) => {
    // The manifest the job keeps (inline or generated), streamed a MiB at a time from the job object.
    const job = jobOf(c.env, c.req.param('id'))
    const tenant = c.get('principal').tenant
    const first = await job.keptManifest(tenant, 0, MANIFEST_PIECE)
    if (first === null) throw problems.notFound('A kept manifest')
    const { size } = first
    let offset = first.bytes.length
    const body = new ReadableStream<Uint8Array>({
      start: (ctl) => ctl.enqueue(first.bytes),
      pull: async (ctl) => {
        if (offset >= size) return ctl.close()
        const next = await job.keptManifest(tenant, offset, offset + MANIFEST_PIECE)
        if (next === null || next.bytes.length === 0) return ctl.close()
        offset += next.bytes.length
        ctl.enqueue(next.bytes)
      },
    })
    return c.body(body, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Length': String(size) })
  })
  .all('/:id/manifest', methodNotAllowed('GET'))
  .get('/:id/report', async (c) => {
    const manifest = await jobOf(c.env, c.req.param('id')).reportManifest(c.get('principal').tenant)
    if (manifest === null) throw problems.notFound('The report')
    return c.body(manifest, 200, { 'Content-Type': 'application/json' })
  })
  .all('/:id/report', methodNotAllowed('GET'))
  .get('/:id/report/:n{[0-9]+}', async (c) => {
    const shard = await jobOf(c.env, c.req.param('id')).reportShard(c.get('principal').tenant, Number(c.req.param('n')))
    if (shard === null) throw problems.notFound('The report shard')
    return c.body(shard, 200, { 'Content-Type': 'text/csv; charset=utf-8' })
  })
  // A shard number that is not an index names no shard: 404 for a GET, as past the end.
  .get('/:id/report/:n', () => {
    throw problems.notFound('The report shard')
  })
  .all('/:id/report/:n', methodNotAllowed('GET'))
