import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { BATCH_REQUESTS, CREATE_JOB_REQUESTS, JOB_PRIORITY_REQUEST, SCHEDULE_REQUEST } from '../../shared/openapi/examples.ts'
import { sha256Hex } from '../../shared/crypto/hash.ts'
import { createApp } from '../../workers/api/app.ts'
import { DEMO_OBJECTS } from '../../workers/api/middleware/demo-seed.ts'
import { call, unique, type CallOptions } from '../helpers.ts'
import { until } from './job-helpers.ts'
import { documentedErrors } from './openapi-schemas.ts'

/**
 * The document against the Worker: real answers of every route, in the statuses a caller meets,
 * checked against the schema the document gives for that path, method, status and content type
 * (ajv on the JSON Schema, and the zod schema it was generated from). The `local` examples of the
 * document are sent as they are, so they keep working on a fresh `npm start`.
 */

async function documented(path: string, method: string, opts: CallOptions & { url?: string } = {}) {
  const r = await call(opts.url ?? path, { ...opts, method: method.toUpperCase() })
  const type = r.headers.get('Content-Type') ?? ''
  expect(r.headers.get('X-Request-Id'), `${method} ${path}`).toBeTruthy()
  if (r.status === 204) return r
  expect(documentedErrors(path, method, r.status, type, r.json ?? r.text), `${method} ${path} → ${r.status} ${r.text.slice(0, 300)}`).toEqual([])
  return r
}

beforeAll(async () => {
  // What DEMO_SEED puts in the demo bucket under npm start (tests run with DEMO_SEED=false).
  for (const o of DEMO_OBJECTS) await env.DEMO_BUCKET.put(o.key, o.body, { httpMetadata: { contentType: o.contentType }, ...(o.metadata ? { customMetadata: o.metadata } : {}) })
})

describe('the documented answers', () => {
  it('of /healthz', async () => {
    expect((await documented('/healthz', 'get', { key: null })).status).toBe(200)
  })

  it('of POST /v1/batch: the local example answers 200, a missing key 207, a replay carries Idempotent-Replayed', async () => {
    const ok = await documented('/v1/batch', 'post', { body: BATCH_REQUESTS.local.value })
    expect(ok.status).toBe(200)
    expect(ok.json.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 200])
    const body = { account: 'local', operations: [{ op: 'stat', bucket: 'demo', key: 'no/such/key' }] }
    const key = unique('idem')
    const partial = await documented('/v1/batch', 'post', { body, headers: { 'Idempotency-Key': key } })
    expect(partial.status).toBe(207)
    const replay = await documented('/v1/batch', 'post', { body, headers: { 'Idempotency-Key': key } })
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect((await documented('/v1/batch', 'post', { body: { ...body, operations: [] }, headers: { 'Idempotency-Key': key } })).status).toBe(400)
    expect((await documented('/v1/batch', 'post', { body: { account: 'local', operations: [{ op: 'delete', bucket: 'demo', key: 'x' }] }, headers: { 'Idempotency-Key': key } })).status).toBe(409)
    expect((await documented('/v1/batch', 'post', { key: null, body })).status).toBe(401)
    expect((await documented('/v1/batch', 'post', { raw: '{"account":', headers: { 'Content-Type': 'application/json' } })).status).toBe(400)
    expect((await documented('/v1/batch', 'post', { raw: '{}', headers: { 'Content-Type': 'text/plain' } })).status).toBe(415)
  })

  it('of a job made from the local inline example: create, describe, list, priority, status, manifest and report', async () => {
    const example = CREATE_JOB_REQUESTS.inline.value
    // One row more than the example, of an object that does not exist, so the report has a failed shard.
    const body = { ...example, clientRequestToken: unique('tok'), manifest: { inline: `${example.manifest.inline}demo,photos/missing.jpg\n` } }
    const created = await documented('/v1/jobs', 'post', { body })
    expect(created.status).toBe(201)
    const again = await documented('/v1/jobs', 'post', { body })
    expect([again.status, again.json.jobId]).toEqual([200, created.json.jobId])
    expect((await documented('/v1/jobs', 'post', { body: { ...body, description: 'another request' } })).status).toBe(409)
    const id = created.json.jobId as string
    await until(id, ['Complete'])
    const job = `/v1/jobs/${id}`
    expect((await documented('/v1/jobs/{id}', 'get', { url: job })).json.manifest.inline.bytes).toBeGreaterThan(0)
    expect((await documented('/v1/jobs', 'get', { url: '/v1/jobs?status=Complete,Active&limit=1' })).json.jobs).toHaveLength(1)
    expect((await documented('/v1/jobs', 'get', { url: '/v1/jobs?status=Done' })).status).toBe(400)
    expect((await documented('/v1/jobs/{id}/priority', 'post', { url: `${job}/priority`, body: JOB_PRIORITY_REQUEST.value })).json.priority).toBe(20)
    expect((await documented('/v1/jobs/{id}/status', 'post', { url: `${job}/status`, body: { requestedStatus: 'Cancelled' } })).status).toBe(409)
    expect((await documented('/v1/jobs/{id}/manifest', 'get', { url: `${job}/manifest` })).text).toBe(body.manifest.inline)
    const report = await documented('/v1/jobs/{id}/report', 'get', { url: `${job}/report` })
    expect(report.json.results.map((r: { taskExecutionStatus: string }) => r.taskExecutionStatus)).toEqual(['failed'])
    expect((await documented('/v1/jobs/{id}/report/{n}', 'get', { url: `${job}/report/0` })).text).toContain('demo,photos/missing.jpg,,failed,NoSuchKey,404,')
    expect((await documented('/v1/jobs/{id}/report/{n}', 'get', { url: `${job}/report/1` })).status).toBe(404)
    const unknown = '/v1/jobs/00000000-0000-4000-8000-000000000000'
    expect((await documented('/v1/jobs/{id}', 'get', { url: unknown })).status).toBe(404)
    expect((await documented('/v1/jobs/{id}/report', 'get', { url: `${unknown}/report` })).status).toBe(404)
  })

  it('of a generator job waiting for confirmation: Suspended, confirmed Ready, its generated manifest', async () => {
    const body = { clientRequestToken: unique('tok'), account: 'local', operation: { op: 'stat' }, manifestGenerator: { sourceBucket: 'demo', prefix: 'photos/' }, report: { enabled: false }, confirmationRequired: true }
    const id = (await documented('/v1/jobs', 'post', { body })).json.jobId as string
    await until(id, ['Suspended'])
    const described = await documented('/v1/jobs/{id}', 'get', { url: `/v1/jobs/${id}` })
    expect(described.json.generatedManifest).toMatchObject({ complete: true, objectsMatched: 2, location: `/v1/jobs/${id}/manifest` })
    const confirmed = await documented('/v1/jobs/{id}/status', 'post', { url: `/v1/jobs/${id}/status`, body: { requestedStatus: 'Ready' } })
    expect(['Ready', 'Active']).toContain(confirmed.json.status)
    expect((await documented('/v1/jobs/{id}/manifest', 'get', { url: `/v1/jobs/${id}/manifest` })).text).toBe('demo,photos/2024/cat.jpg\ndemo,photos/2024/dog.jpg\n')
    await until(id, ['Complete'])
    expect((await documented('/v1/jobs/{id}/report', 'get', { url: `/v1/jobs/${id}/report` })).status).toBe(404)
    // NotSupported: R2 has no storage classes.
    const refused = await documented('/v1/jobs', 'post', { body: { ...body, clientRequestToken: unique('tok'), operation: { op: 'setStorageClass', storageClass: 'IA' } } })
    expect([refused.status, refused.json.code]).toEqual([400, 'NotSupported'])
  })

  it('of /v1/schedules with the example body', async () => {
    const created = await documented('/v1/schedules', 'post', { body: SCHEDULE_REQUEST })
    expect(created.status).toBe(201)
    const one = `/v1/schedules/${created.json.id}`
    expect((await documented('/v1/schedules', 'get')).json.schedules.length).toBeGreaterThan(0)
    expect((await documented('/v1/schedules/{id}', 'get', { url: one })).json.id).toBe(created.json.id)
    expect((await documented('/v1/schedules/{id}', 'delete', { url: one })).status).toBe(204)
    expect((await documented('/v1/schedules/{id}', 'get', { url: one })).status).toBe(404)
    expect((await documented('/v1/schedules', 'post', { body: { ...SCHEDULE_REQUEST, cron: 'every day' } })).status).toBe(400)
  })

  it('of a key over its rate limit: 429 RateLimited with Retry-After', async () => {
    // A key of this test only, in the `tiny` tier of the test run (3 calls per 10 s; vitest.config.ts).
    const key = `bg_rl_${crypto.randomUUID()}`
    const e = { ...env, API_KEYS: JSON.stringify([{ sha256: await sha256Hex(key), tenant: 'openapi-rl', accounts: ['*'], rateLimit: 'tiny' }]) } as Env
    const app = createApp()
    let res: Response | undefined
    for (let i = 0; i < 30 && res?.status !== 429; i++) {
      const ctx = createExecutionContext()
      res = await app.fetch(new Request('https://batchgate.test/v1/jobs?limit=1', { headers: { Authorization: `Bearer ${key}` } }), e, ctx)
      await waitOnExecutionContext(ctx)
      if (res.status !== 429) await res.body?.cancel()
    }
    expect(res!.status).toBe(429)
    expect(Number(res!.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1)
    expect(documentedErrors('/v1/jobs', 'get', 429, res!.headers.get('Content-Type') ?? '', await res!.json())).toEqual([])
  })
})
