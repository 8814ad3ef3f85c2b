import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { call, unique } from '../helpers.ts'

const inline = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `demo,${prefix}${i}\n`).join('')
const status = async (jobId: string) => (await call(`/v1/jobs/${jobId}`)).json

describe('priority on one account', () => {
  it('serves a higher-priority job first on a one-slot account, and both end with exact counts', async () => {
    const base = { account: 'local-one-slot', operation: { op: 'delete' }, report: { enabled: false } }
    const low = await call('/v1/jobs', { body: { ...base, clientRequestToken: unique('low'), priority: 1, manifest: { inline: inline(60_000, 'low/') } } })
    await vi.waitFor(async () => expect((await status(low.json.jobId)).status).toBe('Active'), { timeout: 10_000, interval: 20 })
    const high = await call('/v1/jobs', { body: { ...base, clientRequestToken: unique('high'), priority: 10, manifest: { inline: inline(1_500, 'high/') } } })
    const highDone = await vi.waitFor(async () => {
      const h = await status(high.json.jobId)
      expect(h.status).toBe('Complete')
      return h
    }, { timeout: 30_000, interval: 50 })
    // The low job, started first and far larger, is still running when the high one is done.
    expect((await status(low.json.jobId)).status).not.toBe('Complete')
    expect(highDone.progressSummary).toMatchObject({ totalNumberOfTasks: 1500, numberOfTasksSucceeded: 1500 })
    const lowDone = await vi.waitFor(async () => {
      const l = await status(low.json.jobId)
      expect(l.status).toBe('Complete')
      return l
    }, { timeout: 60_000, interval: 100 })
    expect(lowDone.progressSummary).toMatchObject({ totalNumberOfTasks: 60_000, numberOfTasksSucceeded: 60_000, numberOfTasksFailed: 0 })
    expect((await env.SCHEDULERS.getByName('local-one-slot').entries()).filter((e) => e.held > 0)).toEqual([])
  }, 90_000)
})

describe('AccountScheduler', () => {
  it('grants within capacity, highest priority first, preempts a lower job that holds slots and resumes it after', async () => {
    const s = env.SCHEDULERS.getByName(unique('account'))
    // Job ids that have no job object: preempt/resume calls to them are harmless no-ops.
    expect(await s.sync('low', 1, 0, 3, 2)).toBe(2)
    expect(await s.sync('other', 1, 0, 1, 2)).toBe(0)
    expect(await s.sync('high', 9, 0, 2, 2)).toBe(0)
    expect((await s.entries()).find((e) => e.job_id === 'low')).toMatchObject({ preempted: 1, held: 2 })
    // While the high job waits, the low ones get nothing even when slots free up.
    expect(await s.sync('low', 1, 1, 1, 2)).toBe(0)
    expect(await s.sync('high', 9, 0, 2, 2)).toBe(1)
    await s.leave('high')
    expect((await s.entries()).find((e) => e.job_id === 'low')).toMatchObject({ preempted: 0 })
    expect(await s.sync('low', 1, 1, 1, 2)).toBe(1)
  })
})
