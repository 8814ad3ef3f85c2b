import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ossErrorCode, ossErrorMessage, ossErrorXml } from '../../../shared/dialects/oss-errors.ts'
import { ACCOUNT_HEADER, ossQueryFieldError } from '../../../shared/dialects/oss-job-paths.ts'
import { readOssJobQuery } from '../../../shared/dialects/oss-job-query.ts'
import { MAX_CREATE_JOB_XML_BYTES, parseCreateJobXml } from '../../../shared/dialects/oss-job-request.ts'
import {
  createJobResultXml,
  describeJobResultXml,
  listJobsResultXml,
  updateJobPriorityResultXml,
  updateJobStatusResultXml,
  type JobDescriptionJson,
} from '../../../shared/dialects/oss-job-response.ts'
import type { FieldError } from '../../../shared/schemas/issues.ts'
import type { AppEnv, ErrorRenderer } from '../app-env.ts'
import { ProblemError } from '../problem.ts'
import { createJob, describeJobText, jobNotFound, requestJobStatus, setJobPriority } from '../services/job-service.ts'
import { listJobs } from '../services/jobs-list.ts'

/** Every error under `/oss` as OSS's `<Error>` document, its code from the one table in oss-errors.ts. */
export const renderOssError: ErrorRenderer = (c, problem, headers) => {
  const requestId: string = c.get('requestId') ?? ''
  const body = ossErrorXml({ code: ossErrorCode(problem.code), message: ossErrorMessage(problem.title, problem.detail, problem.errors), requestId })
  return c.body(body, problem.status as ContentfulStatusCode, { ...headers, 'Content-Type': 'application/xml', 'x-oss-request-id': requestId })
}

const xml = (c: Context<AppEnv>, body: string) =>
  c.body(body, 200, { 'Content-Type': 'application/xml', 'x-oss-request-id': c.get('requestId') })

const invalid = (title: string, errors?: FieldError[]) => new ProblemError({ status: 400, code: 'InvalidArgument', title, ...(errors ? { errors } : {}) })

/** A job service failure with its field errors renamed to what the OSS caller wrote. */
async function naming<T>(work: Promise<T>, rename: (e: FieldError) => FieldError): Promise<T> {
  try {
    return await work
  } catch (err) {
    if (err instanceof ProblemError && err.problem.errors?.length)
      throw new ProblemError({ ...err.problem, errors: err.problem.errors.map(rename) }, err.headers)
    throw err
  }
}

/** The header's account, or the key's only account (§6 "Dialects of the seeds"). */
function accountOf(c: Context<AppEnv>): string | undefined {
  const named = c.req.header(ACCOUNT_HEADER)
  if (named !== undefined) return named
  const { accounts } = c.get('principal')
  return accounts.length === 1 && accounts[0] !== '*' ? accounts[0] : undefined
}

/**
 * The document limit, mounted before the general body limit: hono's limit reads a body without
 * Content-Length into memory up to its maximum, so the smaller one must read first.
 */
export const ossBodyLimit = () => bodyLimit({
  maxSize: MAX_CREATE_JOB_XML_BYTES,
  onError: () => {
    throw new ProblemError({ status: 400, code: 'EntityTooLarge', title: `the CreateJobRequest document must be at most ${MAX_CREATE_JOB_XML_BYTES} bytes` })
  },
})

async function handle(c: Context<AppEnv>) {
  const read = readOssJobQuery(c.req.method, new URL(c.req.url).searchParams)
  if (!read.ok) {
    const e = read.error
    if (e.status === 405) throw new ProblemError({ status: 405, code: 'MethodNotAllowed', title: e.message }, { Allow: e.allow.join(', ') })
    throw invalid(e.message, e.errors)
  }
  const { env } = c
  const principal = c.get('principal')
  const action = read.value
  switch (action.action) {
    case 'CreateJob': {
      const parsed = parseCreateJobXml(new Uint8Array(await c.req.arrayBuffer()), accountOf(c))
      if (!parsed.ok) {
        const { code, message, errors } = parsed.error
        throw new ProblemError({ status: 400, code, title: message, ...(errors ? { errors } : {}) })
      }
      // OSS answers 200 whether the token made the job now or earlier.
      const job = await naming(createJob(env, principal, parsed.request), parsed.fieldError)
      return xml(c, createJobResultXml(job.jobId))
    }
    case 'DescribeJob': {
      if (action.jobId === null) throw jobNotFound()
      const description = JSON.parse(await describeJobText(env, principal.tenant, action.jobId)) as JobDescriptionJson
      return xml(c, describeJobResultXml(description))
    }
    case 'ListJobs': {
      const page = await naming(listJobs(env, principal.tenant, action.statuses, action.maxKeys, action.continuationToken), ossQueryFieldError)
      return xml(c, listJobsResultXml(page.jobs, page.nextCursor))
    }
    case 'UpdateJobStatus': {
      if (action.jobId === null) throw jobNotFound()
      return xml(c, updateJobStatusResultXml(await requestJobStatus(env, principal.tenant, action.jobId, action.requestedStatus, action.reason)))
    }
    case 'UpdateJobPriority': {
      if (action.jobId === null) throw jobNotFound()
      return xml(c, updateJobPriorityResultXml(await setJobPriority(env, principal.tenant, action.jobId, action.priority)))
    }
  }
}

/**
 * The OSS batch-job dialect (provider-protocols §3.5) over the same jobs as `/v1/jobs`: CreateJob,
 * DescribeJob, ListJobs, UpdateJobStatus and UpdateJobPriority, told apart by sub-resource.
 * Mounted at `/oss` after `dialectErrors(renderOssError)`, auth, `ossBodyLimit()` and the body limit.
 */
// Mounted at /oss, "/" matches /oss only (Hono's paths are strict about a trailing slash); the
// empty last segment matches /oss/, which is where OSS clients send "/?batchJob".
const ROOT = ['/', '/:root{.{0}}']

export const ossDialect = new Hono<AppEnv>()
  .on('GET', ROOT, handle)
  .on('POST', ROOT, handle)
  .on(['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'], ROOT, (c) => {
    throw new ProblemError({ status: 405, code: 'MethodNotAllowed', title: `batch job requests take GET or POST, not ${c.req.method}` }, { Allow: 'GET, POST' })
  })
  // Batch jobs are account-level: there is no bucket or object path under /oss.
  .all('*', () => {
    throw invalid('batch job requests address /oss/ with ?batchJob, ?batchJobStatus or ?batchJobPriority')
  })
