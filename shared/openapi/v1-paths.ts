import { MAX_SCHEDULES_PER_TENANT } from '../schemas/schedule.ts'
import { authProblems, bodyProblems, header, json, jsonResponse, problem } from './components.ts'
import { BATCH_REQUESTS, BATCH_RESPONSES, SCHEDULE, SCHEDULE_REQUEST } from './examples.ts'

/** The OpenAPI paths of `POST /v1/batch` (§5) and `/v1/schedules` (§7). */

const replayed = { 'Idempotent-Replayed': header('Idempotent-Replayed') }

export const batchPaths = {
  '/v1/batch': {
    post: {
      operationId: 'runBatch',
      summary: 'Run up to 1,000 operations on one account',
      description:
        "Each operation is translated into the provider's own batch or per-object calls, signed at the edge, and answered with one result per " +
        'operation in request order. Any 2xx result counts as succeeded; a failed one carries a unified error code (NoSuchKey, NoSuchBucket, ' +
        'DestinationExists, AccessDenied, InvalidObjectState, InvalidArgument, NotSupported, Throttled, ProviderError, Timeout) and the ' +
        "provider's own code. Throttling, 5xx and timeouts are retried per operation with backoff (honouring the provider's Retry-After) " +
        'before a result says Throttled (with `retryAfterSeconds`), ProviderError or Timeout.',
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retried call safe for 24 hours: the same key and body replay the first answer (with Idempotent-Replayed: true) without calling ' +
            'the provider again; the same key with another body answers 409 IdempotencyConflict, and while the first call runs, 409 RequestInProgress. ' +
            'Scoped to the tenant.',
          schema: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7e]{1,64}$' },
          example: 'nightly-cleanup-2026-11-21',
        },
      ],
      requestBody: { required: true, content: json('BatchRequest', BATCH_REQUESTS) },
      responses: {
        200: jsonResponse('Every operation succeeded.', 'BatchResponse', { ok: BATCH_RESPONSES.ok }, replayed),
        207: jsonResponse('Some operations failed; the others ran.', 'BatchResponse', { partial: BATCH_RESPONSES.partial, throttled: BATCH_RESPONSES.throttled }, replayed),
        ...bodyProblems('Invalid request (operations[3].key, a bad Idempotency-Key as headers.Idempotency-Key, …)'),
        403: problem('The key may not use this account.', 'AccountForbidden'),
        409: problem('IdempotencyConflict (the key was used with another body) or RequestInProgress (a call with this key is still running).', 'IdempotencyConflict', 'RequestInProgress'),
        ...authProblems,
      },
    },
  },
}

const scheduleId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }
const scheduleNotFound = problem("No such schedule (another tenant's answers the same).", 'ScheduleNotFound')

export const schedulePaths = {
  '/v1/schedules': {
    get: {
      operationId: 'listSchedules',
      summary: "The tenant's schedules",
      responses: {
        200: jsonResponse('Every schedule of the tenant, oldest first.', 'ScheduleList', { list: { summary: 'one schedule', value: { schedules: [SCHEDULE.value] } } }),
        ...authProblems,
      },
    },
    post: {
      operationId: 'createSchedule',
      summary: 'Create a recurring job',
      description:
        'Cron (every minute) starts each due run as a job created with a token derived from the schedule and the fire time, so a run never starts twice; after missed fire times only the latest runs. Times are UTC; runs are at least 5 minutes apart.',
      // `example` (not `examples`): test/api/schedules.test.ts creates a schedule from it.
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateScheduleRequest' }, example: SCHEDULE_REQUEST } } },
      responses: {
        201: jsonResponse('The schedule, with its next run.', 'Schedule', { created: { summary: 'created', value: { ...SCHEDULE.value, lastRunAt: null, lastJobId: null } } }),
        ...bodyProblems('Invalid request (cron and job.* alike), or NotSupported', 'NotSupported'),
        403: problem("The key may not use the job's account.", 'AccountForbidden'),
        409: problem(`TooManySchedules: the tenant has ${MAX_SCHEDULES_PER_TENANT} schedules.`, 'TooManySchedules'),
        ...authProblems,
      },
    },
  },
  '/v1/schedules/{id}': {
    parameters: [scheduleId],
    get: {
      operationId: 'getSchedule',
      summary: 'One schedule, with its last run',
      responses: { 200: jsonResponse('The schedule.', 'Schedule', { schedule: SCHEDULE }), 404: scheduleNotFound, ...authProblems },
    },
    delete: {
      operationId: 'deleteSchedule',
      summary: 'Delete a schedule: it starts no further run',
      responses: { 204: { description: 'Deleted.' }, 404: scheduleNotFound, ...authProblems },
    },
  },
}

/** Routes outside the JSON API proper: no key. */
export const publicPaths = {
  '/healthz': {
    get: {
      operationId: 'health',
      summary: 'Liveness',
      security: [],
      responses: { 200: jsonResponse('The Worker answers.', 'Health', { up: { summary: 'up', value: { ok: true } } }) },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'openApiDocument',
      summary: 'This document (OpenAPI 3.1)',
      description: 'Generated from the zod schemas that validate requests.',
      security: [],
      responses: { 200: { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
  '/docs': {
    get: {
      operationId: 'docs',
      summary: 'This reference, as an HTML page',
      description: "Swagger UI (swagger-ui-dist) served by the Worker itself; its CSP allows this origin only. Not part of the JSON API.",
      security: [],
      responses: { 200: { description: 'The page.', content: { 'text/html; charset=utf-8': { schema: { type: 'string' } } } } },
    },
  },
  '/': {
    get: {
      operationId: 'console',
      summary: 'The console (HTML)',
      description:
        'Server-rendered pages of jobs, progress, failures and reports, and a batch playground, signed in with an API key held in a session cookie ' +
        '(its own routes are under /console/). Not part of the JSON API: documented here so the route is not a surprise.',
      security: [],
      responses: {
        200: { description: 'The jobs page.', content: { 'text/html; charset=utf-8': { schema: { type: 'string' } } } },
        303: { description: 'No session: to the sign-in page.', headers: { Location: { schema: { type: 'string' }, example: '/console/sign-in' } } },
      },
    },
  },
}
