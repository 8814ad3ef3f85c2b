import { describe, expect, it } from 'vitest'
import { addFault, listObjects, requestLog, seedBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as EMU } from '../fixtures/accounts.ts'
import { batch, unique } from '../helpers.ts'

async function bucketWith(prefix: string, keys: string[]) {
  const b = unique(prefix)
  await seedBucket(EMU, b, keys.map((key) => ({ key })))
  return b
}

// The `qiniu` test account retries 3 times with 5-40 ms backoff and a 1.5 s call timeout.
describe('Qiniu faults', () => {
  it('retries a throttled operation alone and never re-sends the ones already applied', async () => {
    const b = await bucketWith('op-573', ['a', 'b', 'c'])
    await addFault(EMU, { bucket: b, kind: 'op', key: 'b', code: 573 })
    const r = await batch('qiniu', ['a', 'b', 'c'].map((key) => ({ op: 'delete', bucket: b, key })))
    expect(r.status).toBe(200)
    expect(r.json.results.map((x: any) => x.data)).toEqual([{ existed: true }, { existed: true }, { existed: true }])
    expect((await requestLog(EMU, b)).map((e) => [e.ops, e.httpStatus])).toEqual([[3, 298], [1, 200]])
  })

  it('surfaces persistent throttling as Throttled after its retries', async () => {
    const b = await bucketWith('op-573-forever', ['a', 'b'])
    await addFault(EMU, { bucket: b, kind: 'op', key: 'a', code: 573, times: -1 })
    const r = await batch('qiniu', [{ op: 'stat', bucket: b, key: 'a' }, { op: 'stat', bucket: b, key: 'b' }])
    expect(r.status).toBe(207)
    expect(r.json.results[0]).toMatchObject({ status: 429, error: { code: 'Throttled', provider: { code: '573' } } })
    expect(r.json.results[1].status).toBe(200)
    expect((await requestLog(EMU, b)).map((e) => e.ops)).toEqual([2, 1, 1])
  })

  it('waits as long as Retry-After asks before retrying a throttled call', async () => {
    const b = await bucketWith('retry-after', ['a'])
    await addFault(EMU, { bucket: b, kind: 'http', status: 503, retryAfter: 1 })
    const started = Date.now()
    const r = await batch('qiniu', [{ op: 'stat', bucket: b, key: 'a' }])
    expect(r.status).toBe(200)
    const log = await requestLog(EMU, b)
    expect(log.map((e) => e.httpStatus)).toEqual([503, 200])
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(990)
    expect(Date.now() - started).toBeGreaterThanOrEqual(990)
  })

  it('retries 599, other 5xx, unreadable answers and dropped connections, then succeeds', async () => {
    for (const fault of [
      { kind: 'http', status: 599 },
      { kind: 'http', status: 502 },
      { kind: 'garbage' },
      { kind: 'drop' },
    ] as const) {
      const b = await bucketWith(`fault-${fault.kind}`, ['a'])
      await addFault(EMU, { bucket: b, ...fault })
      const r = await batch('qiniu', [{ op: 'delete', bucket: b, key: 'a' }])
      expect(r.status, JSON.stringify(fault)).toBe(200)
      expect(await listObjects(EMU, b)).toEqual([])
      expect((await requestLog(EMU, b)).length).toBe(2)
    }
  })

  it('reports a delete whose first answer was lost after it was applied as done, not failed', async () => {
    const b = await bucketWith('drop-applied', ['a'])
    await addFault(EMU, { bucket: b, kind: 'drop', apply: true })
    const r = await batch('qiniu', [{ op: 'delete', bucket: b, key: 'a' }])
    expect(r.status).toBe(200)
    expect(r.json.results[0].data).toEqual({ existed: false })
  })

  it('surfaces persistent 5xx as ProviderError and a provider that never answers as Timeout', async () => {
    const b = await bucketWith('always-599', ['a'])
    await addFault(EMU, { bucket: b, kind: 'http', status: 599, times: -1 })
    const failed = await batch('qiniu', [{ op: 'stat', bucket: b, key: 'a' }])
    expect(failed.json.results[0]).toMatchObject({ status: 502, error: { code: 'ProviderError', provider: { code: '599' } } })
    expect((await requestLog(EMU, b)).length).toBe(3)

    const slow = await bucketWith('always-slow', ['a'])
    await addFault(EMU, { bucket: slow, kind: 'delay', ms: 2500, times: -1 })
    const timedOut = await batch('qiniu', [{ op: 'stat', bucket: slow, key: 'a' }])
    expect(timedOut.json.results[0]).toMatchObject({ status: 504, error: { code: 'Timeout' } })
  }, 20_000)
})
