import { JOB_STATUSES } from '../jobs/job-status.ts'
import { MAX_PRIORITY } from '../schemas/job.ts'
import { authProblems, bodyProblems, json, jsonResponse, problem } from './components.ts'
import {
  CREATE_JOB_REQUESTS, CREATE_JOB_RESPONSE, JOB_DESCRIPTIONS, JOB_LIST, JOB_PRIORITY_REQUEST, JOB_PRIORITY_RESPONSE,
  JOB_STATUS_REQUESTS, JOB_STATUS_RESPONSES, MANIFEST_CSV, REPORT_MANIFEST, REPORT_SHARD_CSV,
} from './examples.ts'

/** The OpenAPI paths of `/v1/jobs` (§6, workers/api/routes/jobs.ts). */

const jobId = { name: 'id', in: 'path', required: true, description: 'The job id. Another tenant\'s job answers 404, as a job that does not exist.', schema: { type: 'string', format: 'uuid' } }
const notFound = problem("No such job (another tenant's job answers the same).", 'JobNotFound')
const csv = (description: string, example: string, headers: Record<string, unknown> = {}) => ({
  description,
  ...(Object.keys(headers).length ? { headers } : {}),
  content: { 'text/csv; charset=utf-8': { schema: { type: 'string' }, example } },
})

export const jobsPaths = {
  '/v1/jobs': {
    post: {
      operationId: 'createJob',
      summary: 'Create a batch job',
      description:
        'Runs one operation on every object of a manifest: a CSV object on the account (`manifest.location`), inline CSV (`manifest.inline`, up to 10 MB) ' +
        'or a listing (`manifestGenerator`), exactly one of them. `clientRequestToken` makes creation idempotent per tenant: the same token and request ' +
        'answer 200 with the existing job (concurrent identical creations make one job), the same token with another request 409. An operation the ' +
        "account's provider cannot do is refused here (400 NotSupported), not at run time. With `confirmationRequired` the job waits in Suspended for " +
        'POST /v1/jobs/{id}/status {"requestedStatus":"Ready"}.',
      requestBody: { required: true, content: json('CreateJobRequest', CREATE_JOB_REQUESTS) },
      responses: {
        201: jsonResponse('The job was created.', 'CreateJobResponse', { created: CREATE_JOB_RESPONSE }),
        200: jsonResponse('This clientRequestToken already made this job: the same job.', 'CreateJobResponse', { existing: CREATE_JOB_RESPONSE }),
        ...bodyProblems("Invalid request, or NotSupported: the account's provider cannot do the operation (no job is created)", 'NotSupported'),
        403: problem('The key may not use this account.', 'AccountForbidden'),
        409: problem('The clientRequestToken was used for a different job request.', 'TokenConflict'),
        ...authProblems,
      },
    },
    get: {
      operationId: 'listJobs',
      summary: "List the tenant's jobs, newest first",
      parameters: [
        {
          name: 'status', in: 'query', required: false, style: 'form', explode: false,
          description: 'Only jobs in these statuses (comma-separated).',
          schema: { type: 'array', items: { type: 'string', enum: [...JOB_STATUSES] } },
          example: ['Active', 'Complete'],
        },
        { name: 'limit', in: 'query', required: false, description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        { name: 'cursor', in: 'query', required: false, description: 'The `nextCursor` of the previous page.', schema: { type: 'string' } },
      ],
      responses: {
        200: jsonResponse('A page of jobs; `nextCursor` is null on the last page.', 'JobList', { page: JOB_LIST }),
        400: problem('An unknown status, a limit outside 1–1000 or a cursor this API did not give (named as query.status, query.limit, query.cursor).', 'ValidationFailed'),
        ...authProblems,
      },
    },
  },
  '/v1/jobs/{id}': {
    parameters: [jobId],
    get: {
      operationId: 'describeJob',
      summary: 'Describe a job: status, progress, failures, report',
      responses: {
        200: jsonResponse('The job.', 'JobDescription', JOB_DESCRIPTIONS),
        404: notFound,
        ...authProblems,
      },
    },
  },
  '/v1/jobs/{id}/status': {
    parameters: [jobId],
    post: {
      operationId: 'updateJobStatus',
      summary: 'Confirm, cancel, pause or resume a job',
      description:
        '`Ready` confirms a Suspended (or Preparing) job; `Cancelled` stops any job not already ending or ended; `Paused` and `Active` pause and resume a ' +
        'running job. The answer gives the status the job moved to (Cancelling and Pausing finish in the background).',
      requestBody: { required: true, content: json('UpdateJobStatusRequest', JOB_STATUS_REQUESTS) },
      responses: {
        200: jsonResponse('The request was taken.', 'JobStatusResponse', JOB_STATUS_RESPONSES),
        ...bodyProblems('Invalid request'),
        404: notFound,
        409: problem('InvalidJobState: the transition is illegal from the current status, which detail names.', 'InvalidJobState'),
        ...authProblems,
      },
    },
  },
  '/v1/jobs/{id}/priority': {
    parameters: [jobId],
    post: {
      operationId: 'updateJobPriority',
      summary: "Change a job's priority",
      description: `0 to ${MAX_PRIORITY}; higher runs first among the jobs of one account, and may preempt (pause) a lower one.`,
      requestBody: { required: true, content: json('UpdateJobPriorityRequest', { raise: JOB_PRIORITY_REQUEST }) },
      responses: {
        200: jsonResponse('The priority now.', 'JobPriorityResponse', { raised: JOB_PRIORITY_RESPONSE }),
        ...bodyProblems('Invalid request'),
        404: notFound,
        ...authProblems,
      },
    },
  },
  '/v1/jobs/{id}/manifest': {
    parameters: [jobId],
    get: {
      operationId: 'getJobManifest',
      summary: 'The manifest the job keeps, as CSV',
      description:
        'The rows of an inline manifest, or those a manifestGenerator listed (so far: `generatedManifest.complete` tells when the listing is done), as ' +
        '`Bucket,Key` CSV with URL-encoded keys — the rows the job runs. A job whose manifest is an object on the account keeps no copy: 404.',
      responses: {
        200: csv('The manifest CSV, streamed.', MANIFEST_CSV, { 'Content-Length': { description: 'The CSV size in bytes.', schema: { type: 'integer', minimum: 0 } } }),
        404: problem("No such job, or the job's manifest is an object on the account (no kept copy).", 'JobNotFound', 'KeptManifestNotFound'),
        ...authProblems,
      },
    },
  },
  '/v1/jobs/{id}/report': {
    parameters: [jobId],
    get: {
      operationId: 'getJobReport',
      summary: "The completion report's manifest.json",
      description:
        'Written when a job ends Complete, Failed or Cancelled once any task ran, with `report.enabled`. Shard `n` of `results` is at GET /v1/jobs/{id}/report/{n}; ' +
        'the same files are also written under `<prefix>job-<jobId>/` in the report bucket when the account can write objects.',
      responses: {
        200: jsonResponse('The report manifest.', 'ReportManifest', { report: REPORT_MANIFEST }),
        404: problem('No such job, or no report (yet).', 'JobNotFound', 'ReportNotFound'),
        ...authProblems,
      },
    },
  },
  '/v1/jobs/{id}/report/{n}': {
    parameters: [jobId, { name: 'n', in: 'path', required: true, description: 'The 0-based index of the shard in the report\'s `results`.', schema: { type: 'integer', minimum: 0 } }],
    get: {
      operationId: 'getJobReportShard',
      summary: 'One CSV shard of the report',
      description: 'Rows of `Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage`, keys URL-encoded; its hex MD5 is the shard\'s `md5Checksum`.',
      responses: {
        200: csv('The shard.', REPORT_SHARD_CSV),
        404: problem('No such job, report or shard.', 'JobNotFound', 'ShardNotFound'),
        ...authProblems,
      },
    },
  },
}
