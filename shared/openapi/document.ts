import * as z from 'zod'
import { BatchRequest, BatchResponse } from '../schemas/batch.ts'
import { Problem } from '../schemas/problem.ts'
import { ossDialectPaths } from './oss-dialect-paths.ts'
import { qiniuDialectPaths } from './qiniu-dialect-paths.ts'
import { CreateScheduleRequest, Schedule, ScheduleList } from '../schemas/schedule.ts'

const schema = (s: z.ZodType) => {
  // JSON Schema 2020-12 is OpenAPI 3.1's own dialect; `io: 'input'` documents what callers send.
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return rest
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
})

const batchExample = {
  account: 'local',
  operations: [
    { op: 'stat', bucket: 'demo', key: 'photos/2024/cat.jpg' },
    { op: 'copy', bucket: 'demo', key: 'docs/readme.txt', destination: { bucket: 'backup', key: 'docs/readme.txt' } },
    { op: 'delete', bucket: 'demo', key: 'tmp/scratch-1.txt' },
  ],
}

const scheduleExample = {
  cron: '0 3 * * *',
  job: {
    account: 'local',
    operation: { op: 'copy', destination: { bucket: 'backup', prefix: 'nightly/' } },
    manifestGenerator: { sourceBucket: 'demo', prefix: 'docs/' },
    report: { enabled: true, bucket: 'backup', prefix: 'reports/', scope: 'FailedTasksOnly' },
    description: 'nightly copy of docs/ to backup',
  },
}

const json = (ref: string, description: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } })
const scheduleId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }

/** The OpenAPI 3.1 document of the API (§8), built from the schemas that validate requests. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'batchgate',
      version: '1',
      description: 'Batch operations on object storage across providers through one JSON API.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an API key from API_KEYS' } },
      schemas: {
        BatchRequest: schema(BatchRequest), BatchResponse: schema(BatchResponse), Problem: schema(Problem),
        CreateScheduleRequest: schema(CreateScheduleRequest), Schedule: schema(Schedule), ScheduleList: schema(ScheduleList),
      },
    },
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness',
          responses: { 200: { description: 'up', content: { 'application/json': { schema: { type: 'object', properties: { ok: { const: true } } } } } } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'the OpenAPI document' } } } },
      '/v1/batch': {
        post: {
          summary: 'Run up to 1,000 operations on one account',
          security: [{ apiKey: [] }],
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'Makes a retried call safe for 24 hours: same key and body replay the first answer.',
              schema: { type: 'string', minLength: 1, maxLength: 64 },
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchRequest' }, example: batchExample } },
          },
          responses: {
            200: { description: 'every operation succeeded', content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResponse' } } } },
            207: { description: 'some operations failed', content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResponse' } } } },
            400: problem('invalid request: every offending field is named in errors[]'),
            401: problem('missing or unknown API key'),
            403: problem('the key may not use this account'),
            409: problem('IdempotencyConflict or RequestInProgress'),
            413: problem('body too large'),
            415: problem('body is not application/json'),
          },
        },
      },
      '/v1/schedules': {
        get: {
          summary: "The tenant's schedules",
          security: [{ apiKey: [] }],
          responses: { 200: json('ScheduleList', 'every schedule of the tenant, oldest first'), 401: problem('missing or unknown API key') },
        },
        post: {
          summary: 'Create a recurring job',
          description:
            'Cron (every minute) starts each due run as a job created with a token derived from the schedule and the fire time, so a run never starts twice; after missed fire times only the latest runs. Times are UTC; runs are at least 5 minutes apart.',
          security: [{ apiKey: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateScheduleRequest' }, example: scheduleExample } } },
          responses: {
            201: json('Schedule', 'the schedule, with its next run'),
            400: problem('invalid request (every offending field is named in errors[], cron and job.* alike), or NotSupported'),
            401: problem('missing or unknown API key'),
            403: problem('the key may not use the job\'s account'),
            409: problem('TooManySchedules'),
            415: problem('body is not application/json'),
          },
        },
      },
      '/v1/schedules/{id}': {
        parameters: [scheduleId],
        get: {
          summary: 'One schedule, with its last run',
          security: [{ apiKey: [] }],
          responses: { 200: json('Schedule', 'the schedule'), 401: problem('missing or unknown API key'), 404: problem("no such schedule (another tenant's answers the same)") },
        },
        delete: {
          summary: 'Delete a schedule: it starts no further run',
          security: [{ apiKey: [] }],
          responses: { 204: { description: 'deleted' }, 401: problem('missing or unknown API key'), 404: problem('no such schedule') },
        },
      },
      ...qiniuDialectPaths,
      ...ossDialectPaths,
    },
  }
}
