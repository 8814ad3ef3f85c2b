import { BatchRequest, BatchResponse } from '../schemas/batch.ts'
import { CreateJobRequest, UpdateJobPriorityRequest, UpdateJobStatusRequest } from '../schemas/job.ts'
import { Problem } from '../schemas/problem.ts'
import { CreateScheduleRequest, Schedule, ScheduleList } from '../schemas/schedule.ts'
import { header, HEADERS, jsonSchema, RATE_LIMITED } from './components.ts'
import { CreateJobResponse, Health, JobDescription, JobList, JobPriorityResponse, JobStatusResponse, ReportManifest } from './job-responses.ts'
import { jobsPaths } from './jobs-paths.ts'
import { ossDialectPaths } from './oss-dialect-paths.ts'
import { qiniuDialectPaths } from './qiniu-dialect-paths.ts'
import { batchPaths, publicPaths, schedulePaths } from './v1-paths.ts'

const DESCRIPTION = `Batch operations on object storage across providers (Qiniu Kodo, S3 and CTYun OOS, Aliyun OSS, Aliyun PDS, Cloudflare R2) through one JSON API.

- **Authentication**: every \`/v1\`, \`/oss/\` and \`/qiniu/\` call carries \`Authorization: Bearer <api key>\`. A key belongs to a tenant and may use some accounts: another account answers 403, another tenant's job or schedule 404.
- **Errors** are \`application/problem+json\` (RFC 9457) with \`type\`, \`title\`, \`status\`, \`code\`, \`detail\`, \`requestId\` and, for bad input, \`errors[]\` naming every offending field. Nothing is executed when a request is rejected. An unknown route answers 404; another method on a known path 405 with \`Allow\`. The OSS and Qiniu dialects answer errors in their provider's shape instead.
- **X-Request-Id** is on every answer (a well-formed one sent by the caller is echoed) and in every problem body.
- **Limits**: bodies up to MAX_BODY_BYTES (12 MiB by default; 413 beyond), 1,000 operations per batch, inline manifests up to 10 MB.

The reference page at [/docs](/docs) renders this document; "Try it out" calls this origin, and on a fresh \`npm start\` the \`local\` examples run with the development key.`

/** The tag of each path, by prefix (the first that matches). */
const TAGS: [prefix: string, tag: string][] = [
  ['/v1/batch', 'Sync batches'],
  ['/v1/jobs', 'Batch jobs'],
  ['/v1/schedules', 'Schedules'],
  ['/oss/', 'OSS dialect'],
  ['/qiniu/', 'Qiniu dialect'],
  ['/', 'Operability and pages'],
]
const TAG_DESCRIPTIONS: Record<string, string> = {
  'Sync batches': 'Up to 1,000 operations in one call, answered with one result per operation (§5).',
  'Batch jobs': 'Millions of objects from a manifest or a listing, with idempotent creation, priority, confirmation, progress and a report (§6).',
  Schedules: 'Recurring jobs started by cron (§7).',
  'OSS dialect': "Aliyun OSS's CreateJob XML API over the same jobs as /v1/jobs.",
  'Qiniu dialect': "Qiniu's /batch form API over any account.",
  'Operability and pages': 'Liveness, this document, and the HTML pages (not part of the JSON API).',
}

type Response = { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema?: unknown }> }
type Operation = { operationId?: string; tags?: string[]; responses: Record<string, Response> }
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']

/**
 * What every operation gets alike, rather than repeating it in each path file (the dialect files
 * included): its tag, an operationId where it has none, a 429 with Retry-After wherever a key is
 * checked (the dialects answer it in the shape of their 401), `X-Request-Id` on every answer and
 * `Allow` on a 405.
 */
function finish(paths: Record<string, Record<string, unknown>>) {
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined
      if (!op) continue
      const tag = TAGS.find(([prefix]) => path.startsWith(prefix))![1]
      op.tags ??= [tag]
      op.operationId ??= `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`
      const unauthorized = op.responses['401']
      if (unauthorized && !op.responses['429']) {
        const content = Object.fromEntries(Object.entries(unauthorized.content ?? {}).map(([type, media]) => [type, { schema: media.schema }]))
        op.responses['429'] = { description: RATE_LIMITED, headers: { 'Retry-After': header('Retry-After') }, content }
      }
      for (const [status, response] of Object.entries(op.responses))
        response.headers = { 'X-Request-Id': header('X-Request-Id'), ...(status === '405' ? { Allow: header('Allow') } : {}), ...response.headers }
    }
  }
  return paths
}

/** The OpenAPI 3.1 document of the API (§8), built from the schemas that validate requests. */
export function openApiDocument() {
  // A fresh copy each call: finish() writes into the path objects.
  const paths = finish(structuredClone({ ...publicPaths, ...batchPaths, ...jobsPaths, ...schedulePaths, ...qiniuDialectPaths, ...ossDialectPaths }))
  return {
    openapi: '3.1.0',
    info: { title: 'batchgate', version: '1', description: DESCRIPTION },
    tags: Object.entries(TAG_DESCRIPTIONS).map(([name, description]) => ({ name, description })),
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS (npm start: the development key of the README).' } },
      headers: HEADERS,
      schemas: {
        BatchRequest: jsonSchema(BatchRequest),
        BatchResponse: jsonSchema(BatchResponse, 'output'),
        CreateJobRequest: jsonSchema(CreateJobRequest),
        CreateJobResponse: jsonSchema(CreateJobResponse, 'output'),
        JobDescription: jsonSchema(JobDescription, 'output'),
        JobList: jsonSchema(JobList, 'output'),
        UpdateJobStatusRequest: jsonSchema(UpdateJobStatusRequest),
        JobStatusResponse: jsonSchema(JobStatusResponse, 'output'),
        UpdateJobPriorityRequest: jsonSchema(UpdateJobPriorityRequest),
        JobPriorityResponse: jsonSchema(JobPriorityResponse, 'output'),
        ReportManifest: jsonSchema(ReportManifest, 'output'),
        CreateScheduleRequest: jsonSchema(CreateScheduleRequest),
        Schedule: jsonSchema(Schedule, 'output'),
        ScheduleList: jsonSchema(ScheduleList, 'output'),
        Health: jsonSchema(Health, 'output'),
        Problem: jsonSchema(Problem, 'output'),
      },
    },
    paths,
  }
}
