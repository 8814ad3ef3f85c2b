import { env, exports } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { toOssJobId } from '../../shared/dialects/oss-job-id.ts'
import { addFault, seedBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as EMU } from '../fixtures/accounts.ts'
import { KEYS } from '../fixtures/keys.ts'
import { call, unique, type CallOptions } from '../helpers.ts'
import { deliver, expectAcked, harness } from '../queue/ops-harness.ts'

// §2: another tenant's job, schedule, report or idempotency record answers exactly as one that
// does not exist. Each check compares the other tenant's answer with the answer to an id nobody
// has (same status, headers and body once the request id is blanked), then shows the owner that
// nothing changed. Timing is not compared. Tenant acme owns; globex (KEYS.otherTenant) probes.

type Answer = { status: number; headers: Headers; text: string }

/** Status, headers (but the ones that carry the request id or the time) and body, request id blanked. */
function shape(r: Answer) {
  const ids = [r.headers.get('X-Request-Id'), r.headers.get('x-oss-request-id'), r.headers.get('X-Reqid')].filter((v): v is string => !!v)
  const blank = (s: string) => ids.reduce((t, id) => t.split(id).join('<request-id>'), s)
  const headers = [...r.headers].filter(([k]) => !['x-request-id', 'x-oss-request-id', 'x-reqid', 'date'].includes(k)).map(([k, v]) => `${k}: ${blank(v)}`)
  return { status: r.status, headers: headers.sort(), body: blank(r.text) }
}

/** The other tenant's answer for `theirs` equals its answer for `missing`, and is a 4xx. */
async function expectSameAsMissing(path: (id: string) => string, theirs: string, missing: string, options: CallOptions = {}) {
  const a = await call(path(theirs), { ...options, key: KEYS.otherTenant })
  const b = await call(path(missing), { ...options, key: KEYS.otherTenant })
  expect(a.status, path(theirs)).toBeGreaterThanOrEqual(400)
  expect(shape(a), path(theirs)).toEqual(shape(b))
  expect(a.text, 'names no id of the owner').not.toContain(theirs)
  return a
}

const job = (extra: Record<string, unknown> = {}) => ({
  clientRequestToken: unique('tok'),
  account: 'local',
  operation: { op: 'stat' },
  manifest: { inline: 'demo,tenant-a\ndemo,tenant-b\n' },
  report: { enabled: false },
  ...extra,
})

async function create(body: Record<string, unknown>, key: string = KEYS.all) {
  const r = await call('/v1/jobs', { key, body })
  expect(r.status, r.text).toBe(201)
  return r.json.jobId as string
}

async function until(jobId: string, statuses: string[]) {
  return vi.waitFor(async () => {
    const r = await call(`/v1/jobs/${jobId}`)
    if (!statuses.includes(r.json.status)) throw new Error(`still ${r.json.status}`)
    return r.json
  }, { timeout: 20_000, interval: 50 })
}

describe('tenant isolation', () => {
  it('answers every /v1/jobs route for another tenant’s job exactly as for a job that does not exist, and changes nothing', async () => {
    const id = await create(job({ confirmationRequired: true, priority: 7, description: 'acme only' }))
    const before = (await call(`/v1/jobs/${id}`)).json
    expect(before.status).toMatch(/^(New|Preparing|Suspended)$/)
    const missing = crypto.randomUUID()
    await expectSameAsMissing((x) => `/v1/jobs/${x}`, id, missing)
    await expectSameAsMissing((x) => `/v1/jobs/${x}/manifest`, id, missing)
    await expectSameAsMissing((x) => `/v1/jobs/${x}/report`, id, missing)
    await expectSameAsMissing((x) => `/v1/jobs/${x}/report/0`, id, missing)
    for (const requestedStatus of ['Ready', 'Cancelled'])
      await expectSameAsMissing((x) => `/v1/jobs/${x}/status`, id, missing, { body: { requestedStatus, reason: 'probe' } })
    await expectSameAsMissing((x) => `/v1/jobs/${x}/priority`, id, missing, { body: { priority: 99 } })
    // A body that fails validation is judged before the job is looked up, the same for both.
    await expectSameAsMissing((x) => `/v1/jobs/${x}/priority`, id, missing, { body: { priority: 'high' } })

    const after = (await call(`/v1/jobs/${id}`)).json
    expect(after.priority).toBe(7)
    expect(after.status).not.toMatch(/^(Ready|Active|Cancelled|Cancelling)$/)
    expect(after.description).toBe('acme only')
    // The owner can still act on it.
    expect((await call(`/v1/jobs/${id}/priority`, { body: { priority: 8 } })).status).toBe(200)
  })

  it('keeps another tenant’s finished job, its manifest and its report out of reach', async () => {
    const id = await create(job({ confirmationRequired: false, report: { enabled: true, bucket: 'backup', prefix: `${unique('iso')}/` } }))
    await until(id, ['Complete'])
    expect((await call(`/v1/jobs/${id}/report/0`)).status).toBe(200)
    expect((await call(`/v1/jobs/${id}/manifest`)).text).toContain('tenant-a')
    const missing = crypto.randomUUID()
    for (const p of ['', '/manifest', '/report', '/report/0', '/report/1']) await expectSameAsMissing((x) => `/v1/jobs/${x}${p}`, id, missing)
  })

  it('lists only the caller’s jobs, whatever the filter, and a cursor of another tenant reveals none of its jobs', async () => {
    const mine = [await create(job()), await create(job()), await create(job({ confirmationRequired: true }))]
    const theirs = await create(job(), KEYS.otherTenant)
    for (const q of ['', '?limit=1000', '?status=New,Preparing,Suspended,Ready,Active,Complete,Failed,Cancelled']) {
      const list = await call(`/v1/jobs${q}`, { key: KEYS.otherTenant })
      expect(list.status).toBe(200)
      for (const id of mine) expect(list.text).not.toContain(id)
      expect(list.text).toContain(theirs)
    }
    const page = (await call('/v1/jobs?limit=1')).json
    expect(page.nextCursor).toEqual(expect.any(String))
    const withCursor = await call(`/v1/jobs?limit=1000&cursor=${encodeURIComponent(page.nextCursor)}`, { key: KEYS.otherTenant })
    for (const id of mine) expect(withCursor.text).not.toContain(id)
  })

  it('answers the OSS dialect’s DescribeJob, UpdateJobStatus and UpdateJobPriority for another tenant’s job as NoSuchJob, by either id form, and ListJobs lists none of it', async () => {
    const id = await create(job({ confirmationRequired: true, priority: 3 }))
    const missing = crypto.randomUUID()
    const oss = { headers: { 'X-Batchgate-Account': 'local' } }
    for (const form of [(x: string) => x, toOssJobId]) {
      const a = await expectSameAsMissing((x) => `/oss/?batchJob&batchJobId=${encodeURIComponent(form(x))}`, id, missing, oss)
      expect(a.text).toContain('<Code>NoSuchJob</Code>')
      expect(a.text).not.toContain(toOssJobId(id))
      await expectSameAsMissing((x) => `/oss/?batchJobStatus&batchJobId=${encodeURIComponent(form(x))}&requestedJobStatus=Cancelled`, id, missing, { ...oss, method: 'POST' })
      await expectSameAsMissing((x) => `/oss/?batchJobStatus&batchJobId=${encodeURIComponent(form(x))}&requestedJobStatus=Ready`, id, missing, { ...oss, method: 'POST' })
      await expectSameAsMissing((x) => `/oss/?batchJobPriority&batchJobId=${encodeURIComponent(form(x))}&targetPriority=42`, id, missing, { ...oss, method: 'POST' })
    }
    const list = await call('/oss/?batchJob&max-keys=1000', { ...oss, key: KEYS.otherTenant })
    expect(list.status).toBe(200)
    expect(list.text).not.toContain(toOssJobId(id))
    const after = (await call(`/v1/jobs/${id}`)).json
    expect([after.priority, after.status === 'Cancelled']).toEqual([3, false])
  })

  it('answers another tenant’s schedule as a missing one: get, delete and list', async () => {
    const created = await call('/v1/schedules', { body: { cron: '0 3 * * *', job: { account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false } } } })
    expect(created.status).toBe(201)
    const id = created.json.id as string
    const missing = crypto.randomUUID()
    await expectSameAsMissing((x) => `/v1/schedules/${x}`, id, missing)
    await expectSameAsMissing((x) => `/v1/schedules/${x}`, id, missing, { method: 'DELETE' })
    expect((await call('/v1/schedules', { key: KEYS.otherTenant })).text).not.toContain(id)
    expect((await call(`/v1/schedules/${id}`)).json).toEqual(created.json)
    expect((await call(`/v1/schedules/${id}`, { method: 'DELETE' })).status).toBe(204)
  })

  it('keeps Idempotency-Key records per tenant: the same key in another tenant neither replays, nor conflicts, nor is in progress', async () => {
    const idem = unique('idem')
    const key = `${unique('iso')}.txt`
    await env.DEMO_BUCKET.put(key, 'v1')
    const del = { account: 'local', operations: [{ op: 'delete', bucket: 'demo', key }] }
    const first = await call('/v1/batch', { body: del, headers: { 'Idempotency-Key': idem } })
    expect(first.status).toBe(200)
    await env.DEMO_BUCKET.put(key, 'v2')
    // Same key and body in globex: run again (the object goes), not replayed.
    const other = await call('/v1/batch', { key: KEYS.otherTenant, body: del, headers: { 'Idempotency-Key': idem } })
    expect(other.status).toBe(200)
    expect(other.headers.get('Idempotent-Replayed')).toBeNull()
    expect(await env.DEMO_BUCKET.head(key)).toBeNull()
    // A key acme used, sent by globex with another body: globex's own first call, no conflict.
    const idem2 = unique('idem')
    expect((await call('/v1/batch', { body: del, headers: { 'Idempotency-Key': idem2 } })).status).toBe(200)
    const otherBody = await call('/v1/batch', { key: KEYS.otherTenant, body: { account: 'local', operations: [{ op: 'stat', bucket: 'demo', key }] }, headers: { 'Idempotency-Key': idem2 } })
    expect([otherBody.status, otherBody.headers.get('Idempotent-Replayed')], otherBody.text).toEqual([207, null])
    expect(otherBody.json.results[0].error.code).toBe('NoSuchKey')
    // The owner's record is intact: its own retry still replays.
    const replay = await call('/v1/batch', { body: del, headers: { 'Idempotency-Key': idem } })
    expect([replay.headers.get('Idempotent-Replayed'), replay.text]).toEqual(['true', first.text])
  })

  it('does not answer RequestInProgress to another tenant using a key whose call is still running in the owner’s tenant', async () => {
    const bucket = unique('iso-slow')
    await seedBucket(EMU, bucket, [{ key: 'k' }])
    await addFault(EMU, { bucket, kind: 'delay', ms: 3000, times: 1 })
    const idem = unique('idem')
    // qiniu-qbox: no short call timeout, so the held call stays one call in flight.
    const body = { account: 'qiniu-qbox', operations: [{ op: 'stat', bucket, key: 'k' }] }
    const slow = call('/v1/batch', { body, headers: { 'Idempotency-Key': idem } })
    // The owner's call is in flight for 3 s (the emulator holds it); give it time to register.
    await new Promise((r) => setTimeout(r, 500))
    const mine = await call('/v1/batch', { body, headers: { 'Idempotency-Key': idem } })
    expect(mine.json?.code, 'the owner sees its call in flight').toBe('RequestInProgress')
    const theirs = await call('/v1/batch', { key: KEYS.otherTenant, body, headers: { 'Idempotency-Key': idem } })
    expect(theirs.status, theirs.text).toBe(200)
    expect(theirs.headers.get('Idempotent-Replayed')).toBeNull()
    expect((await slow).status).toBe(200)
  })

  it('makes two jobs of one clientRequestToken used by two tenants', async () => {
    const body = job()
    const a = await call('/v1/jobs', { body })
    const b = await call('/v1/jobs', { key: KEYS.otherTenant, body })
    expect([a.status, b.status]).toEqual([201, 201])
    expect(a.json.jobId).not.toBe(b.json.jobId)
    // Each tenant's replay finds its own job.
    expect((await call('/v1/jobs', { body })).json.jobId).toBe(a.json.jobId)
    expect((await call('/v1/jobs', { key: KEYS.otherTenant, body })).json.jobId).toBe(b.json.jobId)
  })

  it('dedupes queue-fed requestIds per tenant: the same requestId from another tenant runs and is answered on its own', async () => {
    const dir = unique('iso-ops')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'x')
    const h = harness()
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const message = (tenant: string) => ({ tenant, account: 'local', requestId: dir, replyTo: 'OPS_REPLIES', operations: [{ op: 'delete', bucket: 'demo', key: `${dir}/a.txt` }] })
      expectAcked(await deliver(h, [message('acme')]))
      await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'again')
      expectAcked(await deliver(h, [message('globex')]))
      expect(h.dlq).toEqual([])
      // Both ran: globex's delete removed the object put back after acme's.
      expect(h.replies.map((r) => [r.body.requestId, r.body.summary])).toEqual([
        [dir, { total: 1, succeeded: 1, failed: 0 }],
        [dir, { total: 1, succeeded: 1, failed: 0 }],
      ])
      expect(await env.DEMO_BUCKET.head(`${dir}/a.txt`)).toBeNull()
    } finally {
      log.mockRestore()
    }
  })

  it('shows another tenant’s job in the console as a page that does not exist', async () => {
    const id = await create(job({ confirmationRequired: true }))
    const signIn = await exports.default.fetch('http://batchgate.test/console/sign-in', {
      method: 'POST',
      headers: { Origin: 'http://batchgate.test', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ apiKey: KEYS.otherTenant }).toString(),
      redirect: 'manual',
    })
    expect(signIn.status).toBe(303)
    const cookie = (signIn.headers.get('Set-Cookie') ?? '').split(';')[0]!
    const browse = async (path: string, form?: Record<string, string>): Promise<Answer> => {
      const res = await exports.default.fetch(`http://batchgate.test${path}`, {
        method: form ? 'POST' : 'GET',
        headers: { Cookie: cookie, Origin: 'http://batchgate.test', ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
        redirect: 'manual',
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      })
      return { status: res.status, headers: res.headers, text: await res.text() }
    }
    const missing = crypto.randomUUID()
    for (const [p, form] of [['', undefined], ['/report', undefined], ['/status', { requestedStatus: 'Cancelled' }]] as const) {
      const theirs = await browse(`/console/jobs/${id}${p}`, form)
      const none = await browse(`/console/jobs/${missing}${p}`, form)
      expect(theirs.status, p).toBe(404)
      expect(shape({ ...theirs, text: theirs.text.split(id).join('<id>') }), p).toEqual(shape({ ...none, text: none.text.split(missing).join('<id>') }))
    }
    const live = [await browse(`/console/live/jobs/${id}`), await browse(`/console/live/jobs/${missing}`)]
    expect(live.map((r) => r.status)).toEqual([404, 404])
    expect((await browse('/')).text).not.toContain(id)
    expect((await call(`/v1/jobs/${id}`)).json.status).not.toBe('Cancelled')
  })
})
