import { Hono } from 'hono'
import { canonicalJson } from '../../../shared/canonical-json.ts'
import { sha256Hex } from '../../../shared/crypto/hash.ts'
import { JOB_STATUSES } from '../../../shared/jobs/job-status.ts'
import { CreateJobRequest, UpdateJobPriorityRequest, UpdateJobStatusRequest } from '../../../shared/schemas/job.ts'
import type { JobSpec } from '../../durable-objects/batch-job/types.ts'
import { planJob } from '../../runtime/job-plan.ts'
import type { AppEnv } from '../app-env.ts'
import { ProblemError, problems } from '../problem.ts'
import { validateJson } from '../validate.ts'
import { methodNotAllowed } from './method-not-allowed.ts'
import { listJobs } from './jobs-list.ts'

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const jobNotFound = () => problems.notFound('The job')
const invalidState = (status: string) =>
  new ProblemError({ status: 409, code: 'InvalidJobState', title: 'The job cannot make that transition', detail: `the job is ${status}` })

/** The job object of an id; ids that cannot be ours answer 404 without touching storage. */
function jobOf(env: Env, id: string) {
  if (!JOB_ID.test(id)) throw jobNotFound()
  return env.JOBS.getByName(id)
}

/** `/v1/jobs` (§6): create, describe, list, status, priority and reports, scoped to the tenant. */
export const jobs = new Hono<AppEnv>()
  .post('/', validateJson(CreateJobRequest), async (c) => {
    const body = c.req.valid('json')
    const principal = c.get('principal')
    const plan = planJob(c.env, principal, body)
    if (!plan.ok) {
      switch (plan.reason) {
        case 'forbidden':
          throw problems.forbiddenAccount(body.account)
        case 'not-supported':
          throw new ProblemError({ status: 400, code: 'NotSupported', title: 'The provider cannot do this operation', detail: plan.detail, errors: [{ path: 'operation.op', message: plan.detail }] })
        case 'invalid':
          throw problems.validation(plan.errors)
        case 'misconfigured':
          throw problems.accountMisconfigured(body.account, plan.errors)
        case 'configuration':
          throw problems.configuration(plan.detail)
      }
    }
    const { clientRequestToken, ...request } = body
    const hash = await sha256Hex(canonicalJson(request))
    const claim = await c.env.JOB_TOKENS.getByName(JSON.stringify([principal.tenant, clientRequestToken])).claim(hash, crypto.randomUUID())
    if (claim.state === 'conflict')
      throw new ProblemError({ status: 409, code: 'IdempotencyConflict', title: 'This clientRequestToken was used for a different job request' })
    const { inline, ...manifest } = body.manifest
    const spec: JobSpec = {
      jobId: claim.jobId, tenant: principal.tenant, account: body.account, operation: body.operation,
      manifest: { ...manifest, inline: inline !== undefined }, report: body.report, priority: body.priority,
      confirmationRequired: body.confirmationRequired, createdAt: Date.now(),
      ...(body.description !== undefined ? { description: body.description } : {}),
    }
    // create() is idempotent, so a creation interrupted after the token was bound completes here.
    const job = await c.env.JOBS.getByName(claim.jobId).create(spec, inline)
    return c.json(job, claim.state === 'created' ? 201 : 200)
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
  .get('/:id', async (c) => {
    const described = await jobOf(c.env, c.req.param('id')).describe(c.get('principal').tenant)
    if (described === null) throw jobNotFound()
    return c.body(described, 200, { 'Content-Type': 'application/json' })
  })
  .all('/:id', methodNotAllowed('GET'))
  .post('/:id/status', validateJson(UpdateJobStatusRequest), async (c) => {
    const { requestedStatus, reason } = c.req.valid('json')
    const out = await jobOf(c.env, c.req.param('id')).requestStatus(c.get('principal').tenant, requestedStatus, reason)
    if (!out.ok) throw out.reason === 'not-found' ? jobNotFound() : invalidState(out.status)
    return c.json({ jobId: c.req.param('id'), status: out.value.status, ...(reason ? { statusUpdateReason: reason } : {}) })
  })
  .all('/:id/status', methodNotAllowed('POST'))
  .post('/:id/priority', validateJson(UpdateJobPriorityRequest), async (c) => {
    const out = await jobOf(c.env, c.req.param('id')).setPriority(c.get('principal').tenant, c.req.valid('json').priority)
    if (!out.ok) throw jobNotFound()
    return c.json({ jobId: c.req.param('id'), priority: out.value.priority })
  })
  .all('/:id/priority', methodNotAllowed('POST'))
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
  .all('/:id/report/:n', methodNotAllowed('GET'))
