import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { KEYS } from '../fixtures/keys.ts'
import { call, unique } from '../helpers.ts'

const csv = (keys: string[], bucket = 'demo') => keys.map((k) => `${bucket},${encodeURIComponent(k)}\n`).join('')

async function createJob(body: Record<string, unknown>, key: string = KEYS.all) {
  return call('/v1/jobs', { key, body: { clientRequestToken: unique('tok'), account: 'local', report: { enabled: true, bucket: 'backup', prefix: 'reports/' }, ...body } })
}

/** Polls the job (driven by real alarms and the real local queue) until it reaches `status`. */
async function until(jobId: string, statuses: string[], timeout = 20_000) {
  return vi.waitFor(
    async () => {
      const r = await call(`/v1/jobs/${jobId}`)
      if (!statuses.includes(r.json.status)) throw new Error(`still ${r.json.status}`)
      return r.json
    },
    { timeout, interval: 50 },
  )
}

describe('batch jobs', () => {
  it('runs a delete job over an inline manifest to Complete with exact counts and a report listing every row once', async () => {
    const prefix = `${unique('job')}/`
    const keys = Array.from({ length: 2500 }, (_, i) => `${prefix}k${i}`)
    await Promise.all(keys.slice(0, 2000).map((k) => env.DEMO_BUCKET.put(k, 'x')))
    const created = await createJob({ operation: { op: 'delete' }, manifest: { inline: csv(keys) + 'demo\n' + 'demo,bad%zzencoding\n' } })
    expect(created.status).toBe(201)
    expect(created.json).toEqual({ jobId: expect.any(String), status: 'New' })
    const job = await until(created.json.jobId, ['Complete'])
    expect(job.progressSummary).toMatchObject({ totalNumberOfTasks: 2502, numberOfTasksSucceeded: 2500, numberOfTasksFailed: 2 })
    expect(job.failuresByCode).toEqual({ InvalidManifestRow: 2 })
    expect(job.reportLocation).toEqual({ bucket: 'backup', key: `reports/job-${job.jobId}/manifest.json` })
    expect((await env.DEMO_BUCKET.list({ prefix })).objects).toHaveLength(0)

    const manifest = (await call(`/v1/jobs/${job.jobId}/report`)).json
    expect(manifest).toMatchObject({ format: 'Report_CSV_20180820', reportSchema: 'Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage' })
    let rows: string[] = []
    for (let n = 0; n < manifest.results.length; n++) {
      const shard = await call(`/v1/jobs/${job.jobId}/report/${n}`)
      const stored = await env.BACKUP_BUCKET.get(manifest.results[n].key)
      expect(await stored?.text()).toBe(shard.text)
      rows = rows.concat(shard.text.trimEnd().split('\n'))
    }
    const keysInReport = rows.filter((r) => r.startsWith('demo,')).map((r) => decodeURIComponent(r.split(',')[1]!))
    expect(new Set(keysInReport).size).toBe(2500)
    expect(keysInReport.sort()).toEqual([...keys].sort())
    expect(rows.filter((r) => r.includes('InvalidManifestRow'))).toHaveLength(2)
  })

  it('returns the existing job for a replayed token, 409 for another request, and one job for concurrent creations', async () => {
    const body = { clientRequestToken: unique('tok'), account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false } }
    const results = await Promise.all(Array.from({ length: 5 }, () => call('/v1/jobs', { body })))
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201])
    expect(new Set(results.map((r) => r.json.jobId)).size).toBe(1)
    const conflict = await call('/v1/jobs', { body: { ...body, description: 'other' } })
    expect(conflict.status).toBe(409)
    expect(conflict.json.code).toBe('IdempotencyConflict')
  })

  it('holds a job needing confirmation in Suspended until it is confirmed', async () => {
    const created = await createJob({ operation: { op: 'stat' }, manifest: { inline: 'demo,nothing\n' }, confirmationRequired: true })
    await until(created.json.jobId, ['Suspended'])
    const bad = await call(`/v1/jobs/${created.json.jobId}/status`, { body: { requestedStatus: 'Paused' } })
    expect(bad.status).toBe(409)
    expect(bad.json).toMatchObject({ code: 'InvalidJobState', detail: 'the job is Suspended' })
    const ok = await call(`/v1/jobs/${created.json.jobId}/status`, { body: { requestedStatus: 'Ready', reason: 'looks right' } })
    expect(ok.status).toBe(200)
    const done = await until(created.json.jobId, ['Complete'])
    expect(done.progressSummary).toMatchObject({ totalNumberOfTasks: 1, numberOfTasksFailed: 1 })
  })

  it('cancels a job, which then refuses further transitions', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `never/${i}`)
    const created = await createJob({ operation: { op: 'stat' }, manifest: { inline: csv(keys) }, confirmationRequired: true })
    await until(created.json.jobId, ['Suspended'])
    const cancel = await call(`/v1/jobs/${created.json.jobId}/status`, { body: { requestedStatus: 'Cancelled' } })
    expect(cancel.status).toBe(200)
    const job = await until(created.json.jobId, ['Cancelled'])
    expect(job.terminationDate).toEqual(expect.any(String))
    expect((await call(`/v1/jobs/${created.json.jobId}/status`, { body: { requestedStatus: 'Cancelled' } })).status).toBe(409)
  })

  it('refuses an operation the provider cannot do, naming it, and creates nothing', async () => {
    const r = await createJob({ operation: { op: 'setStorageClass', storageClass: 'IA' }, manifest: { inline: 'demo,a\n' } })
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ code: 'NotSupported', detail: 'r2 cannot setStorageClass' })
  })

  it('fails a job whose manifest object is missing or has another etag, with a clear reason', async () => {
    await env.DEMO_BUCKET.put('manifests/m.csv', 'demo,a\n')
    const wrongEtag = await createJob({ operation: { op: 'stat' }, manifest: { location: { bucket: 'demo', key: 'manifests/m.csv', etag: 'not-the-etag' } } })
    const failed = await until(wrongEtag.json.jobId, ['Failed'])
    expect(failed.failureReasons[0]).toMatchObject({ failureCode: 'ManifestEtagMismatch' })
    const missing = await createJob({ operation: { op: 'stat' }, manifest: { location: { bucket: 'demo', key: 'manifests/none.csv' } } })
    expect((await until(missing.json.jobId, ['Failed'])).failureReasons[0].failureCode).toBe('ManifestNotFound')
  })

  it('answers another tenant exactly as for a job that does not exist', async () => {
    const created = await createJob({ operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' } })
    const other = await call(`/v1/jobs/${created.json.jobId}`, { key: KEYS.otherTenant })
    const none = await call(`/v1/jobs/${crypto.randomUUID()}`)
    expect([other.status, none.status]).toEqual([404, 404])
    expect(other.json.title).toBe(none.json.title)
    const list = await call('/v1/jobs', { key: KEYS.otherTenant })
    expect(list.json.jobs.map((j: any) => j.jobId)).not.toContain(created.json.jobId)
  })

  it('lists the tenant jobs newest first, filtered by status and paged by cursor', async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await createJob({ operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' } })).json.jobId)
    for (const id of ids) await until(id, ['Complete'])
    const first = await call('/v1/jobs?status=Complete&limit=2')
    expect(first.json.jobs).toHaveLength(2)
    expect(first.json.jobs[0]).toMatchObject({ status: 'Complete', operation: 'stat', progressSummary: expect.any(Object) })
    const next = await call(`/v1/jobs?status=Complete&limit=2&cursor=${first.json.nextCursor}`)
    expect(next.json.jobs.map((j: any) => j.jobId)).not.toContain(first.json.jobs[0].jobId)
    expect((await call('/v1/jobs?status=Bogus')).status).toBe(400)
  })
})
