import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { SUSPENDED_MAX_MS } from '../../workers/durable-objects/batch-job.ts'
import type { JobSpec } from '../../workers/durable-objects/batch-job/types.ts'

const DAY = 24 * 60 * 60 * 1000

const specOf = (jobId: string): JobSpec => ({
  jobId, tenant: 'acme', account: 'local', operation: { op: 'stat' },
  manifest: { inline: true, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
  report: { enabled: false, scope: 'AllTasks' }, priority: 0, confirmationRequired: true, createdAt: Date.now(),
})

/** A new job object (storage is per test file, so every test takes a fresh id). */
async function newJob(inline = 'demo,a\ndemo,b\n') {
  const jobId = crypto.randomUUID()
  const stub = env.JOBS.getByName(jobId)
  const created = await stub.create(specOf(jobId), inline)
  return { jobId, stub, created }
}

type Stub = Awaited<ReturnType<typeof newJob>>['stub']
const describeAs = async (stub: Stub, tenant = 'acme') => {
  const text = await stub.describe(tenant)
  return text === null ? null : JSON.parse(text)
}
const sql = (stub: Stub, query: string, ...args: (string | number)[]) =>
  runInDurableObject(stub, (_obj, state) => state.storage.sql.exec(query, ...args).toArray())

describe('BatchJob', () => {
  it('prepares a new job on its first alarm and stops at Suspended when confirmation is required', async () => {
    const { jobId, stub, created } = await newJob()
    expect(created).toEqual({ jobId, status: 'New' })
    expect((await describeAs(stub))?.status).toBe('New')

    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const job = await describeAs(stub)
    expect(job).toMatchObject({ status: 'Suspended', statusUpdateReason: 'awaiting confirmation', progressSummary: { totalNumberOfTasks: 2, numberOfTasksSucceeded: 0, numberOfTasksFailed: 0 } })
    const [row] = await sql(stub, 'SELECT suspended_at FROM job WHERE id = 1')
    const alarm = await runInDurableObject(stub, (_obj, state) => state.storage.getAlarm())
    expect(alarm).toBe((row!.suspended_at as number) + SUSPENDED_MAX_MS + 1)
  })

  it('goes on from a Preparing checkpoint to Suspended on the next alarm', async () => {
    const { stub } = await newJob()
    // Where a long preparation stops between two alarms: Preparing, checkpoint at byte 0.
    await sql(stub, `UPDATE job SET status = 'Preparing' WHERE id = 1`)
    expect((await describeAs(stub))?.status).toBe('Preparing')
    await runDurableObjectAlarm(stub)
    expect((await describeAs(stub))?.status).toBe('Suspended')
  })

  it('keeps a Suspended job suspended when its alarm runs early, and fails it after 14 days', async () => {
    const { stub } = await newJob()
    await runDurableObjectAlarm(stub)
    await sql(stub, 'UPDATE job SET suspended_at = ? WHERE id = 1', Date.now() - DAY)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect((await describeAs(stub))?.status).toBe('Suspended')

    await sql(stub, 'UPDATE job SET suspended_at = ? WHERE id = 1', Date.now() - 15 * DAY)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const job = await describeAs(stub)
    expect(job).toMatchObject({ status: 'Failed', statusUpdateReason: 'not confirmed within 14 days', terminationDate: expect.any(String) })
    expect(job.failureReasons).toEqual([{ failureCode: 'SuspendedTooLong', failureReason: 'the job waited for confirmation for more than 14 days' }])
    // A terminal job keeps no alarm.
    expect(await runDurableObjectAlarm(stub)).toBe(false)
  })

  it('moves a Suspended job on when it is confirmed with Ready', async () => {
    const { stub } = await newJob()
    await runDurableObjectAlarm(stub)
    // Ready is passed through at once: the job leaves it for Active in the same call.
    expect(await stub.requestStatus('acme', 'Ready', 'looks right')).toEqual({ ok: true, value: { status: 'Active' } })
    expect((await sql(stub, 'SELECT confirmed FROM job WHERE id = 1'))[0]).toEqual({ confirmed: 1 })
  })

  it('takes a Ready sent while Preparing as confirmation ahead, so preparation ends Active, not Suspended', async () => {
    const { stub } = await newJob()
    await sql(stub, `UPDATE job SET status = 'Preparing' WHERE id = 1`)
    expect(await stub.requestStatus('acme', 'Ready')).toEqual({ ok: true, value: { status: 'Preparing' } })
    await runDurableObjectAlarm(stub)
    expect((await describeAs(stub))?.status).toBe('Active')
  })

  it('refuses an illegal request with the current status', async () => {
    const { stub } = await newJob()
    expect(await stub.requestStatus('acme', 'Paused')).toEqual({ ok: false, reason: 'invalid-state', status: 'New' })
    await runDurableObjectAlarm(stub)
    expect(await stub.requestStatus('acme', 'Paused')).toEqual({ ok: false, reason: 'invalid-state', status: 'Suspended' })
    expect(await stub.requestStatus('acme', 'Active')).toEqual({ ok: false, reason: 'invalid-state', status: 'Suspended' })
    expect((await describeAs(stub))?.status).toBe('Suspended')
  })

  it('answers another tenant as if the job did not exist, and changes nothing for it', async () => {
    const { stub } = await newJob()
    await runDurableObjectAlarm(stub)
    expect(await stub.requestStatus('globex', 'Ready')).toEqual({ ok: false, reason: 'not-found' })
    expect(await stub.requestStatus('globex', 'Cancelled')).toEqual({ ok: false, reason: 'not-found' })
    expect(await stub.setPriority('globex', 7)).toEqual({ ok: false, reason: 'not-found' })
    expect(await describeAs(stub, 'globex')).toBeNull()
    expect(await stub.summary('globex')).toBeNull()
    expect(await describeAs(stub)).toMatchObject({ status: 'Suspended', priority: 0 })
  })

  it('creates the job once: a repeated create returns it as it is and keeps the first manifest', async () => {
    const { jobId, stub } = await newJob('demo,a\n')
    expect(await stub.create(specOf(jobId), 'demo,x\ndemo,y\ndemo,z\n')).toEqual({ jobId, status: 'New' })
    await runDurableObjectAlarm(stub)
    expect(await stub.create(specOf(jobId), 'demo,x\n')).toEqual({ jobId, status: 'Suspended' })
    expect((await describeAs(stub))?.progressSummary.totalNumberOfTasks).toBe(1)
    expect(await sql(stub, 'SELECT COUNT(*) AS n FROM job')).toEqual([{ n: 1 }])
  })
})
