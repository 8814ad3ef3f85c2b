import { afterEach, describe, expect, it } from 'vitest'
import { KEYS } from '../fixtures/keys.ts'
import { call } from '../helpers.ts'

const job = { account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false } }
const create = (body: unknown, key: string = KEYS.all) => call('/v1/schedules', { key, body })

afterEach(async () => {
  for (const key of [KEYS.all, KEYS.otherTenant])
    for (const s of (await call('/v1/schedules', { key })).json.schedules) await call(`/v1/schedules/${s.id}`, { key, method: 'DELETE' })
})

describe('/v1/schedules', () => {
  it('creates a schedule and answers it with its next run, then lists, gets and deletes it', async () => {
    const before = Date.now()
    const created = await create({ cron: '0 3 * * *', job })
    expect(created.status).toBe(201)
    expect(created.json).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      cron: '0 3 * * *',
      // The job as it will be sent, defaults filled in.
      job: { ...job, manifest: { ...job.manifest, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] }, report: { enabled: false, scope: 'AllTasks' }, priority: 0, confirmationRequired: false },
      createdAt: expect.any(String), nextRunAt: expect.stringMatching(/T03:00:00\.000Z$/),
      lastRunAt: null, lastJobId: null, lastError: null,
    })
    const next = Date.parse(created.json.nextRunAt)
    expect(next).toBeGreaterThan(before)
    expect(next - before).toBeLessThanOrEqual(24 * 60 * 60 * 1000)

    const { id } = created.json
    expect((await call('/v1/schedules')).json).toEqual({ schedules: [created.json] })
    expect((await call(`/v1/schedules/${id}`)).json).toEqual(created.json)
    const deleted = await call(`/v1/schedules/${id}`, { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe('')
    expect((await call(`/v1/schedules/${id}`)).status).toBe(404)
    expect((await call(`/v1/schedules/${id}`, { method: 'DELETE' })).status).toBe(404)
    expect((await call('/v1/schedules')).json).toEqual({ schedules: [] })
  })

  it('names every invalid field, the cron expression and the job body alike, and creates nothing', async () => {
    const r = await create({ cron: '61 * * * *', job: { clientRequestToken: 'x', account: 'local', operation: { op: 'nope' }, report: { enabled: false } } })
    expect(r.status).toBe(400)
    expect(r.headers.get('Content-Type')).toBe('application/problem+json')
    expect(r.json).toMatchObject({ code: 'ValidationFailed', status: 400 })
    expect(r.json.errors).toEqual(
      expect.arrayContaining([
        { path: 'cron', message: 'not a 5-field cron expression: Invalid value for minute: 61' },
        { path: 'job.operation.op', message: expect.stringContaining('op must be one of') },
        { path: 'job.clientRequestToken', message: 'unknown field' },
      ]),
    )
    expect((await call('/v1/schedules')).json.schedules).toEqual([])
  })

  it.each([
    ['* * * * * *', 'not a 5-field cron expression'],
    ['0 3 * *', 'not a 5-field cron expression'],
    ['*/2 * * * *', 'fires more often than every 5 minutes'],
    ['0,3 * * * *', 'fires more often than every 5 minutes'],
    ['0 0 30 2 *', 'never fires'],
    ['  ', 'required'],
  ])('refuses the cron expression %j: %s', async (cron, message) => {
    const r = await create({ cron, job })
    expect(r.status).toBe(400)
    expect(r.json.errors).toEqual([{ path: 'cron', message: expect.stringContaining(message) }])
  })

  it('accepts named days and months, steps and nicknames', async () => {
    for (const cron of ['*/5 * * * *', '30 2 * * MON-FRI', '0 0 1 JAN,JUL *', '@daily']) expect((await create({ cron, job })).status, cron).toBe(201)
  })

  it('refuses a job that could never run: an unknown account, an operation the provider cannot do, no manifest', async () => {
    const unknown = await create({ cron: '0 3 * * *', job: { ...job, account: 'no-such-account' } })
    expect(unknown.status).toBe(400)
    expect(unknown.json.errors).toEqual([{ path: 'job.account', message: 'unknown account "no-such-account"' }])

    const unsupported = await create({ cron: '0 3 * * *', job: { ...job, operation: { op: 'putTagging', tags: { a: 'b' } } } })
    expect(unsupported.status).toBe(400)
    expect(unsupported.json).toMatchObject({ code: 'NotSupported', errors: [{ path: 'job.operation.op', message: 'r2 cannot putTagging' }] })

    const { manifest: _, ...noManifest } = job
    const none = await create({ cron: '0 3 * * *', job: noManifest })
    expect(none.json.errors).toEqual([{ path: 'job.manifest', message: 'give exactly one of manifest or manifestGenerator' }])

    const big = await create({ cron: '0 3 * * *', job: { ...job, manifest: { inline: 'demo,a\n'.repeat(40_000) } } })
    expect(big.json.errors).toEqual([{ path: 'job.manifest.inline', message: expect.stringContaining('in a schedule') }])
    expect((await call('/v1/schedules')).json.schedules).toEqual([])
  })

  it('refuses a schedule on an account the key may not use (403), and allows it on one it may', async () => {
    const forbidden = await create({ cron: '0 3 * * *', job: { ...job, account: 's3' } }, KEYS.localOnly)
    expect(forbidden.status).toBe(403)
    expect(forbidden.json).toMatchObject({ code: 'AccountForbidden' })
    expect((await create({ cron: '0 3 * * *', job }, KEYS.localOnly)).status).toBe(201)
  })

  it("answers another tenant's schedule exactly as a missing one", async () => {
    const mine = (await create({ cron: '0 3 * * *', job })).json
    const missing = await call('/v1/schedules/00000000-0000-4000-8000-000000000000', { key: KEYS.otherTenant })
    const theirs = await call(`/v1/schedules/${mine.id}`, { key: KEYS.otherTenant })
    expect(theirs.status).toBe(404)
    expect({ ...theirs.json, requestId: '' }).toEqual({ ...missing.json, requestId: '' })
    expect((await call(`/v1/schedules/${mine.id}`, { key: KEYS.otherTenant, method: 'DELETE' })).status).toBe(404)
    expect((await call('/v1/schedules', { key: KEYS.otherTenant })).json.schedules).toEqual([])
    // Untouched for its own tenant, and another key of that tenant sees it.
    expect((await call(`/v1/schedules/${mine.id}`, { key: KEYS.localOnly })).json.id).toBe(mine.id)
    expect((await call('/v1/schedules/not-an-id')).status).toBe(404)
  })

  it('answers 405 with Allow for other methods, and 401 without a key', async () => {
    const put = await call('/v1/schedules', { method: 'PUT', body: {} })
    expect(put.status).toBe(405)
    expect(put.headers.get('Allow')).toBe('GET, POST')
    const patch = await call('/v1/schedules/00000000-0000-4000-8000-000000000000', { method: 'PATCH', body: {} })
    expect(patch.status).toBe(405)
    expect(patch.headers.get('Allow')).toBe('GET, DELETE')
    expect((await call('/v1/schedules', { key: null })).status).toBe(401)
  })

  it('is described in the OpenAPI document with an example that validates', async () => {
    const doc = (await call('/openapi.json', { key: null })).json
    expect(Object.keys(doc.paths['/v1/schedules'])).toEqual(['get', 'post'])
    expect(doc.paths['/v1/schedules/{id}']).toMatchObject({ get: expect.any(Object), delete: expect.any(Object) })
    const example = doc.paths['/v1/schedules'].post.requestBody.content['application/json'].example
    expect(doc.components.schemas.CreateScheduleRequest.properties.job.properties).not.toHaveProperty('clientRequestToken')
    expect((await create(example)).status).toBe(201)
  })
})
