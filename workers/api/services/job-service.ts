import type { Principal } from '../../../shared/auth/api-keys.ts'
import { canonicalJson } from '../../../shared/canonical-json.ts'
import { sha256Hex } from '../../../shared/crypto/hash.ts'
import type { JobStatus, RequestedStatus } from '../../../shared/jobs/job-status.ts'
import type { CreateJobRequest } from '../../../shared/schemas/job.ts'
import type { JobSpec } from '../../durable-objects/batch-job/types.ts'
import { planJob, type JobPlan } from '../../runtime/job-plan.ts'
import { ProblemError, problems } from '../problem.ts'

/**
 * The §6 job actions, shared by the JSON routes and the OSS CreateJob dialect so that a job made
 * in one is the same job in the other. Failures are thrown as ProblemError; each front end renders
 * them in its own shape.
 */

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const jobNotFound = () => problems.notFound('The job')
export const invalidJobState = (status: string) =>
  new ProblemError({ status: 409, code: 'InvalidJobState', title: 'The job cannot make that transition', detail: `the job is ${status}` })

/** The job object of an id; ids that cannot be ours answer 404 without touching storage. */
export function jobOf(env: Env, id: string) {
  if (!JOB_ID.test(id)) throw jobNotFound()
  return env.JOBS.getByName(id)
}

/** What a manifest generator produces: rows of bucket and URL-encoded key, kept in the job object. */
const GENERATED_MANIFEST: NonNullable<CreateJobRequest['manifest']> = { format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] }

/**
 * The problem for a job plan's refusal; `under` prefixes field paths when the job body sits inside
 * another request (a schedule's `job`).
 */
export function planRefusal(plan: Extract<JobPlan, { ok: false }>, account: string, under = ''): ProblemError {
  const at = (path: string) => (under ? `${under}.${path}` : path)
  switch (plan.reason) {
    case 'forbidden':
      return problems.forbiddenAccount(account)
    case 'not-supported':
      return new ProblemError({ status: 400, code: 'NotSupported', title: 'The provider cannot do this operation', detail: plan.detail, errors: [{ path: at('operation.op'), message: plan.detail }] })
    case 'invalid':
      return problems.validation(plan.errors.map((e) => ({ ...e, path: at(e.path) })))
    case 'misconfigured':
      return problems.accountMisconfigured(account, plan.errors)
    case 'configuration':
      return problems.configuration(plan.detail)
  }
}

/** Creates a job, or finds the one its token already made: `created` tells 201 from 200. */
export async function createJob(env: Env, principal: Principal, body: CreateJobRequest): Promise<{ jobId: string; status: JobStatus; created: boolean }> {
  const plan = planJob(env, principal, body)
  if (!plan.ok) throw planRefusal(plan, body.account)
  const { clientRequestToken, ...request } = body
  const hash = await sha256Hex(canonicalJson(request))
  const claim = await env.JOB_TOKENS.getByName(JSON.stringify([principal.tenant, clientRequestToken])).claim(hash, crypto.randomUUID())
  if (claim.state === 'conflict')
    throw new ProblemError({ status: 409, code: 'IdempotencyConflict', title: 'This clientRequestToken was used for a different job request' })
  const { inline, ...manifest } = body.manifest ?? GENERATED_MANIFEST
  const spec: JobSpec = {
    jobId: claim.jobId, tenant: principal.tenant, account: body.account, operation: body.operation,
    manifest: { ...manifest, inline: inline !== undefined || body.manifestGenerator !== undefined },
    ...(body.manifestGenerator ? { manifestGenerator: body.manifestGenerator } : {}),
    report: body.report, priority: body.priority,
    confirmationRequired: body.confirmationRequired, createdAt: Date.now(),
    ...(body.description !== undefined ? { description: body.description } : {}),
  }
  // create() is idempotent, so a creation interrupted after the token was bound completes here.
  const job = await env.JOBS.getByName(claim.jobId).create(spec, inline)
  return { ...job, created: claim.state === 'created' }
}

/** The §6 description as JSON text. */
export async function describeJobText(env: Env, tenant: string, id: string): Promise<string> {
  const described = await jobOf(env, id).describe(tenant)
  if (described === null) throw jobNotFound()
  return described
}

export async function requestJobStatus(env: Env, tenant: string, id: string, requested: RequestedStatus, reason?: string): Promise<{ jobId: string; status: JobStatus; statusUpdateReason?: string }> {
  const out = await jobOf(env, id).requestStatus(tenant, requested, reason)
  if (!out.ok) throw out.reason === 'not-found' ? jobNotFound() : invalidJobState(out.status)
  return { jobId: id, status: out.value.status, ...(reason ? { statusUpdateReason: reason } : {}) }
}

export async function setJobPriority(env: Env, tenant: string, id: string, priority: number): Promise<{ jobId: string; priority: number }> {
  const out = await jobOf(env, id).setPriority(tenant, priority)
  if (!out.ok) throw jobNotFound()
  return { jobId: id, priority: out.value.priority }
}
