import { validate } from '@readme/openapi-parser'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../workers/api/app.ts'
import { PROBLEMS } from '../../shared/openapi/components.ts'
import { BATCH_REQUESTS, CREATE_JOB_REQUESTS } from '../../shared/openapi/examples.ts'
import { call } from '../helpers.ts'
import { doc, jsonSchemaErrors, ZOD } from './openapi-schemas.ts'

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const
// The document is plain data, read by path.
const paths = doc.paths as Record<string, any>
type Operation = { operationId: string; requestBody?: any; responses: Record<string, any>; security?: unknown[] }

/** Every operation of the document: path, method, operation. */
const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Operation })),
)

/** Every example of a media type (`example` or each of `examples`), named. */
function examplesOf(media: { example?: unknown; examples?: Record<string, { value: unknown }> }): [string, unknown][] {
  return [...(media.example !== undefined ? [['example', media.example] as [string, unknown]] : []), ...Object.entries(media.examples ?? {}).map(([n, e]) => [n, e.value] as [string, unknown])]
}

/** Every media type of the document with what it is part of: request bodies and answers alike. */
const mediaTypes = operations.flatMap(({ path, method, op }) => [
  ...Object.entries(op.requestBody?.content ?? {}).map(([type, media]) => ({ where: `${method} ${path} request ${type}`, request: true, media: media as any })),
  ...Object.entries(op.responses).flatMap(([status, r]) =>
    Object.entries(r.content ?? {}).map(([type, media]) => ({ where: `${method} ${path} ${status} ${type}`, request: false, media: media as any })),
  ),
])

/** Hono's `:id` and `:n{[0-9]+}` as OpenAPI's `{id}` and `{n}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, '{$1}')
const OSS_ROOTS = ['/oss', '/oss/:root{.{0}}']

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document for @readme/openapi-parser, which does catch a broken one', async () => {
    const result = await validate(structuredClone(doc) as any)
    expect(result.valid, JSON.stringify(result)).toBe(true)
    expect(result.warnings).toEqual([])
    // The validator is not a rubber stamp: a dangling $ref and a path parameter left undeclared fail.
    const broken = structuredClone(doc) as any
    broken.paths['/v1/jobs/{id}'].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' }
    expect((await validate(broken)).valid).toBe(false)
    const undeclared = structuredClone(doc) as any
    delete undeclared.paths['/v1/jobs/{id}/priority'].parameters
    expect((await validate(undeclared)).valid).toBe(false)
  })

  it('is what GET /openapi.json serves, without a key', async () => {
    const r = await call('/openapi.json', { key: null })
    expect(r.status).toBe(200)
    expect(r.headers.get('Content-Type')).toBe('application/json')
    expect(r.json).toEqual(JSON.parse(JSON.stringify(doc)))
  })

  it('documents every route and method of the Worker, and no other', () => {
    const served = new Set<string>()
    for (const route of createApp().routes) {
      // Middleware and the 405 catch-alls are `ALL`; the console's own pages and /docs's assets are HTML plumbing.
      if (route.method === 'ALL' || route.path.startsWith('/console/') || route.path.startsWith('/docs/assets/') || route.path === '/*') continue
      // The OSS dialect's one path is /oss/ (OSS clients send "/?batchJob"; Hono spells it twice); its other methods are its 405 answers.
      if (OSS_ROOTS.includes(route.path)) {
        if (route.method === 'GET' || route.method === 'POST') served.add(`${route.method.toLowerCase()} /oss/`)
        continue
      }
      served.add(`${route.method.toLowerCase()} ${openApiPath(route.path)}`)
    }
    const documented = new Set(operations.map(({ path, method }) => `${method} ${path}`))
    expect([...served].filter((r) => !documented.has(r)), 'served but not documented').toEqual([])
    expect([...documented].filter((r) => !served.has(r)), 'documented but not served').toEqual([])
    for (const route of ['post /v1/batch', 'get /v1/jobs/{id}/manifest', 'get /v1/jobs/{id}/report/{n}', 'delete /v1/schedules/{id}', 'get /docs', 'get /']) expect(documented).toContain(route)
  })

  it('gives every operation a unique operationId, a tag, X-Request-Id on every answer and the Bearer scheme unless public', () => {
    const ids = operations.map(({ op }) => op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    expect((doc.components.securitySchemes as any).apiKey).toMatchObject({ type: 'http', scheme: 'bearer' })
    const publicRoutes = ['/healthz', '/openapi.json', '/docs', '/']
    for (const { path, method, op } of operations) {
      expect((op as any).tags, `${method} ${path}`).toHaveLength(1)
      for (const [status, r] of Object.entries(op.responses)) expect(r.headers?.['X-Request-Id'], `${method} ${path} ${status}`).toEqual({ $ref: '#/components/headers/X-Request-Id' })
      if (publicRoutes.includes(path)) expect(op.security).toEqual([])
      else expect(op.security ?? doc.security).toEqual([{ apiKey: [] }])
    }
  })

  it('answers every error of the JSON API as problem+json with the Problem schema, and documents 401, 429 (with Retry-After) and 500 on every authenticated route', () => {
    for (const { path, method, op } of operations.filter(({ path }) => path.startsWith('/v1/'))) {
      for (const [status, r] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400))
        expect(r.content, `${method} ${path} ${status}`).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, examples: expect.any(Object) } })
      expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '429', '500']))
      expect(op.responses['429'].headers['Retry-After'], `${method} ${path}`).toEqual({ $ref: '#/components/headers/Retry-After' })
      if (op.requestBody) expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413', '415']))
    }
    expect(Object.keys(paths['/v1/batch'].post.responses).sort()).toEqual(['200', '207', '400', '401', '403', '409', '413', '415', '429', '500'])
    expect(paths['/v1/batch'].post.responses['200'].headers['Idempotent-Replayed']).toEqual({ $ref: '#/components/headers/Idempotent-Replayed' })
    // The dialects answer a 429 in their own shape, as they answer a 401.
    for (const [path, method] of [['/qiniu/batch', 'post'], ['/oss/', 'get'], ['/oss/', 'post']] as const)
      expect(paths[path][method].responses['429'].content, `${method} ${path}`).toEqual(Object.fromEntries(Object.entries(paths[path][method].responses['401'].content).map(([t, m]: [string, any]) => [t, { schema: m.schema }])))
    expect(paths['/v1/batch'].post.parameters[0]).toMatchObject({ name: 'Idempotency-Key', in: 'header' })
  })

  it('has an example for every request body and for every JSON answer of the JSON API', () => {
    for (const { where, request, media } of mediaTypes) {
      if (request || (where.includes(' /v1/') && /application\/(problem\+)?json$/.test(where))) expect(examplesOf(media).length, where).toBeGreaterThan(0)
    }
    expect(Object.keys(paths['/v1/batch'].post.requestBody.content['application/json'].examples)).toEqual(Object.keys(BATCH_REQUESTS))
    expect(Object.keys(paths['/v1/jobs'].post.requestBody.content['application/json'].examples)).toEqual(Object.keys(CREATE_JOB_REQUESTS))
  })

  it('has examples that pass the zod schema the Worker validates with (requests) or answers from (responses)', () => {
    let checked = 0
    for (const { where, media } of mediaTypes) {
      const name = typeof media.schema?.$ref === 'string' ? media.schema.$ref.split('/').pop() : undefined
      if (!name) continue
      expect(ZOD[name], where).toBeDefined()
      for (const [example, value] of examplesOf(media)) {
        const parsed = ZOD[name]!.safeParse(value)
        expect(parsed.success ? [] : parsed.error.issues, `${where} example ${example}`).toEqual([])
        checked++
      }
    }
    expect(checked).toBeGreaterThan(40)
  })

  it('has examples that pass its own JSON Schemas too, so the document and zod agree on them', () => {
    let checked = 0
    for (const { where, media } of mediaTypes) {
      if (!media.schema) continue
      for (const [example, value] of examplesOf(media)) {
        // Qiniu's form body is documented as the decoded form; its example is the encoded text.
        if (typeof value === 'string' && media.schema.type === 'object') continue
        expect(jsonSchemaErrors(media.schema, value), `${where} example ${example}`).toEqual([])
        checked++
      }
    }
    expect(checked).toBeGreaterThan(50)
  })

  it('has problem examples with the type URIs the Worker really sends', async () => {
    const r = await call('/v1/jobs', { key: null })
    expect(r.json.type).toBe(PROBLEMS.Unauthorized.type)
    const bad = await call('/v1/batch', { body: { account: 'local', operations: [] } })
    expect(bad.json.type).toBe(PROBLEMS.ValidationFailed.type)
    const media = await call('/v1/batch', { raw: '{}', headers: { 'Content-Type': 'text/plain' } })
    expect(media.json).toMatchObject({ type: PROBLEMS.UnsupportedMediaType.type, title: PROBLEMS.UnsupportedMediaType.title })
  })

  it('has request examples that are refused when broken, so the zod check above is not vacuous', () => {
    const broken = structuredClone(CREATE_JOB_REQUESTS.contract.value) as any
    delete broken.clientRequestToken
    expect(ZOD.CreateJobRequest!.safeParse(broken).success).toBe(false)
    expect(jsonSchemaErrors({ $ref: '#/components/schemas/CreateJobRequest' }, broken)).not.toEqual([])
  })
})
