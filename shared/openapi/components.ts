import * as z from 'zod'

/**
 * Building blocks of the OpenAPI document: JSON Schema from zod, JSON bodies and problem answers
 * with their examples, and the headers every answer may carry.
 */

/**
 * A zod schema as JSON Schema 2020-12, which is OpenAPI 3.1's own dialect. Requests are documented
 * as callers send them (`input`: fields with defaults are optional), answers as the API gives them
 * (`output`).
 */
export function jsonSchema(s: z.ZodType, io: 'input' | 'output' = 'input') {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>
  return rest
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

export type Examples = Record<string, { summary: string; value: unknown }>

/** An `application/json` body or answer of a component schema, with named examples. */
export const json = (schema: string, examples: Examples = {}) => ({
  'application/json': { schema: ref(schema), ...(Object.keys(examples).length ? { examples } : {}) },
})

export const jsonResponse = (description: string, schema: string, examples: Examples = {}, headers: Record<string, unknown> = {}) => ({
  description,
  ...(Object.keys(headers).length ? { headers } : {}),
  content: json(schema, examples),
})

/** The headers this API sends, referenced from its answers. */
export const HEADERS = {
  'X-Request-Id': {
    description:
      "On every answer: the request's id, also in problem bodies and log lines. A well-formed X-Request-Id sent by the caller (1–128 of A–Z a–z 0–9 . _ : -) is echoed; otherwise a UUID is made.",
    schema: { type: 'string', minLength: 1, maxLength: 128 },
    example: '5f0c7a52-4a4e-4a1e-9a55-0d6f7b1d2c3e',
  },
  'Idempotent-Replayed': {
    description: 'true when this answer is the stored answer of an earlier call with the same Idempotency-Key and body; absent otherwise.',
    schema: { type: 'string', const: 'true' },
  },
  Allow: { description: 'The methods the path takes (on 405).', schema: { type: 'string' }, example: 'GET, POST' },
  'Retry-After': {
    description: "On 429: seconds until the API key's rate-limit window resets.",
    schema: { type: 'integer', minimum: 1 },
    example: 17,
  },
}
export const header = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` })

// --- problems (§3) ---

const REQUEST_ID = '5f0c7a52-4a4e-4a1e-9a55-0d6f7b1d2c3e'
/** The problem type URI the Worker gives a code (workers/api/problem.ts). */
export const problemType = (code: string) => `https://batchgate.dev/problems/${code.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}`

type ProblemFields = { title: string; detail?: string; errors?: { path: string; message: string }[] }
const p = (status: number, code: string, f: ProblemFields) => ({ type: problemType(code), title: f.title, status, code, ...(f.detail ? { detail: f.detail } : {}), requestId: REQUEST_ID, ...(f.errors ? { errors: f.errors } : {}) })

/** One example of every problem code the JSON API answers with, as the Worker renders it. */
export const PROBLEMS = {
  ValidationFailed: p(400, 'ValidationFailed', {
    title: 'The request is invalid',
    detail: '2 field(s) are invalid; nothing was executed',
    errors: [
      { path: 'operations[1].destination.key', message: 'required' },
      { path: 'operations[2].op', message: 'op must be one of: stat, copy, move, delete, restore, setMetadata, setStorageClass, setStatus, setExpiry, setLifecycle, putTagging, deleteTagging, putAcl' },
    ],
  }),
  MalformedJson: p(400, 'MalformedJson', {
    title: 'The body is not valid JSON',
    detail: 'nothing was executed',
    errors: [{ path: 'body', message: 'Unexpected end of JSON input' }],
  }),
  NotSupported: p(400, 'NotSupported', {
    title: 'The provider cannot do this operation',
    detail: 'oss cannot setStatus',
    errors: [{ path: 'operation.op', message: 'oss cannot setStatus' }],
  }),
  Unauthorized: p(401, 'Unauthorized', { title: 'A valid API key is required', detail: 'send Authorization: Bearer <api key>' }),
  AccountForbidden: p(403, 'AccountForbidden', { title: 'This API key may not use that account', detail: 'account "qiniu-prod"' }),
  JobNotFound: p(404, 'NotFound', { title: 'The job was not found' }),
  ScheduleNotFound: p(404, 'NotFound', { title: 'The schedule was not found' }),
  ReportNotFound: p(404, 'NotFound', { title: 'The report was not found' }),
  ShardNotFound: p(404, 'NotFound', { title: 'The report shard was not found' }),
  KeptManifestNotFound: p(404, 'NotFound', { title: 'A kept manifest was not found' }),
  IdempotencyConflict: p(409, 'IdempotencyConflict', { title: 'This Idempotency-Key was used with a different request' }),
  RequestInProgress: p(409, 'RequestInProgress', { title: 'A request with this Idempotency-Key is still running' }),
  TokenConflict: p(409, 'IdempotencyConflict', { title: 'This clientRequestToken was used for a different job request' }),
  InvalidJobState: p(409, 'InvalidJobState', { title: 'The job cannot make that transition', detail: 'the job is Complete' }),
  TooManySchedules: p(409, 'TooManySchedules', { title: 'The tenant has too many schedules', detail: 'at most 100; delete one first' }),
  RateLimited: p(429, 'RateLimited', { title: 'Too many requests for this API key', detail: 'rate-limit tier "standard": retry after 17 s' }),
  PayloadTooLarge: p(413, 'PayloadTooLarge', { title: 'The body is too large', detail: 'at most 12582912 bytes' }),
  UnsupportedMediaType: p(415, 'UnsupportedMediaType', { title: 'The body must be application/json' }),
  AccountMisconfigured: p(500, 'AccountMisconfigured', { title: 'An account is misconfigured', detail: 'account "oss-hz": endpoint must be an http(s) URL' }),
  ConfigurationError: p(500, 'ConfigurationError', { title: 'The gateway is misconfigured', detail: 'API_KEYS is not valid JSON' }),
  InternalError: p(500, 'InternalError', { title: 'Internal error' }),
}
export type ProblemName = keyof typeof PROBLEMS

/** An `application/problem+json` answer with the `Problem` schema and an example per name. */
export const problem = (description: string, ...names: ProblemName[]) => ({
  description,
  content: {
    'application/problem+json': {
      schema: ref('Problem'),
      examples: Object.fromEntries(names.map((n) => [n, { summary: PROBLEMS[n].title, value: PROBLEMS[n] }])),
    },
  },
})

/** Why a 429 comes, in every front end's shape. */
export const RATE_LIMITED =
  "Too many requests for this API key: over its rate-limit tier (API_KEYS[].rateLimit, counted per key at each Cloudflare location). Nothing was executed; retry after Retry-After seconds."

/** The answers every authenticated JSON route shares. */
export const authProblems = {
  401: problem('Missing or unknown API key (Authorization: Bearer <api key>).', 'Unauthorized'),
  429: { ...problem(RATE_LIMITED, 'RateLimited'), headers: { 'Retry-After': header('Retry-After') } },
  500: problem('The gateway or the account is misconfigured (never a stack trace).', 'ConfigurationError', 'AccountMisconfigured', 'InternalError'),
}

/** The answers a route with a JSON body shares (§3: nothing is executed when a request is rejected). */
export const bodyProblems = (invalid: string, ...more: ProblemName[]) => ({
  400: problem(`${invalid}; every offending field is named in errors[]. Nothing is executed.`, 'ValidationFailed', 'MalformedJson', ...more),
  413: problem('The body is larger than MAX_BODY_BYTES.', 'PayloadTooLarge'),
  415: problem('The body is not application/json.', 'UnsupportedMediaType'),
})
