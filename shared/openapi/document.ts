import * as z from 'zod'
import { BatchRequest, BatchResponse } from '../schemas/batch.ts'
import { Problem } from '../schemas/problem.ts'
import { qiniuDialectPaths } from './qiniu-dialect-paths.ts'

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
      schemas: { BatchRequest: schema(BatchRequest), BatchResponse: schema(BatchResponse), Problem: schema(Problem) },
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
      ...qiniuDialectPaths,
    },
  }
}
