import { describe, expect, it } from 'vitest'
import { toBase64Url, utf8 } from '../../shared/crypto/encoding.ts'
import { unique } from '../helpers.ts'
import { captureConsole, expectNoCrash, expectProblem, jobAndScheduleCounts, postJson, send } from './harness.ts'

// The routes whose input is the URL: GET /v1/jobs's query, and the ids in /v1/jobs/{id}/... and
// /v1/schedules/{id}. Bad values answer 400 naming `query.<name>`, ids that cannot be a job or a
// schedule 404, wrong methods 405 — problem+json every time, and nothing changes.

const lines = captureConsole()
const cursor = (value: unknown) => toBase64Url(utf8(typeof value === 'string' ? value : JSON.stringify(value)))

const BAD_IDS = [
  'nope',
  '%00',
  '%FF%FE',
  '%ED%A0%80',
  'x'.repeat(10_000),
  '00000000-0000-4000-8000-00000000000G',
  '00000000-0000-4000-8000-000000000000%00',
  'AAAAAAAA-0000-4000-8000-000000000000',
  '..%2F..%2Fhealthz',
  '%2e%2e',
  '00000000-0000-4000-8000-000000000000;drop',
  '%F0%9F%98%80',
]

describe('bad input in query parameters and ids', () => {
  it('answers 400 naming query.status, query.limit or query.cursor for GET /v1/jobs', async () => {
    const cases: [string, string][] = [
      ['status=Bogus', 'query.status'],
      ['status=active', 'query.status'],
      ['status=Active,%00', 'query.status'],
      ['status=Active,%FF', 'query.status'],
      [`status=${'Active,'.repeat(5000)}Nope`, 'query.status'],
      ['limit=0', 'query.limit'],
      ['limit=1001', 'query.limit'],
      ['limit=-1', 'query.limit'],
      ['limit=1.5', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['limit=', 'query.limit'],
      ['limit=1e400', 'query.limit'],
      ['limit=NaN', 'query.limit'],
      ['limit=%00', 'query.limit'],
      ['cursor=garbage!', 'query.cursor'],
      ['cursor=', 'query.cursor'],
      [`cursor=${cursor('null')}`, 'query.cursor'],
      [`cursor=${cursor('[]')}`, 'query.cursor'],
      [`cursor=${cursor('{')}`, 'query.cursor'],
      [`cursor=${cursor({ createdAt: '1', jobId: 'x' })}`, 'query.cursor'],
      [`cursor=${cursor({ createdAt: 1, jobId: 7 })}`, 'query.cursor'],
      [`cursor=${toBase64Url(Uint8Array.from([0xff, 0xfe, 0x7b]))}`, 'query.cursor'],
      [`cursor=${'A'.repeat(100_000)}`, 'query.cursor'],
    ]
    for (const [query, path] of cases) expectProblem(await send(`/v1/jobs?${query}`), 400, path, query.slice(0, 80))
    expectNoCrash(lines)
  })

  it('answers 404 problem+json for ids that cannot be a job, on every job route, and changes nothing', async () => {
    const before = await jobAndScheduleCounts()
    for (const id of BAD_IDS) {
      for (const sub of ['', '/report', '/report/0', '/manifest']) expectProblem(await send(`/v1/jobs/${id}${sub}`), 404, undefined, `${id.slice(0, 40)}${sub}`)
      expectProblem(await postJson(`/v1/jobs/${id}/status`, { requestedStatus: 'Cancelled' }), 404, undefined, id.slice(0, 40))
      expectProblem(await postJson(`/v1/jobs/${id}/priority`, { priority: 1 }), 404, undefined, id.slice(0, 40))
    }
    expect(await jobAndScheduleCounts()).toEqual(before)
    expectNoCrash(lines)
  })

  const reportlessJob = async () => {
    const made = await postJson('/v1/jobs', {
      clientRequestToken: unique('t'), account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,never\n' }, report: { enabled: false }, confirmationRequired: true,
    })
    expect(made.status, made.text).toBe(201)
    return made.json.jobId as string
  }

  it('answers report shard numbers past any end with 404', async () => {
    const id = await reportlessJob()
    for (const n of ['0', '00', '99999999999999999999999', '9007199254740993'])
      expectProblem(await send(`/v1/jobs/${id}/report/${n}`), 404, undefined, n)
    expectNoCrash(lines)
  })

  it('answers report shard numbers that are not an index with 400 or 404, not 405', async () => {
    const id = await reportlessJob()
    for (const n of ['-1', 'abc', '1.5', '0x1', '%00']) expectProblem(await send(`/v1/jobs/${id}/report/${n}`), [400, 404], undefined, n)
  })

  it('refuses a cursor whose number overflows to Infinity', async () => {
    for (const raw of ['{"createdAt":1e400,"jobId":"x"}', '{"createdAt":-1e400,"jobId":"x"}'])
      expectProblem(await send(`/v1/jobs?cursor=${cursor(raw)}`), 400, 'query.cursor', raw)
  })

  it('answers 404 for schedule ids that cannot be one, and leaves the schedules as they were', async () => {
    const before = await jobAndScheduleCounts()
    for (const id of BAD_IDS) {
      expectProblem(await send(`/v1/schedules/${id}`), 404, undefined, id.slice(0, 40))
      expectProblem(await send(`/v1/schedules/${id}`, { method: 'DELETE' }), 404, undefined, id.slice(0, 40))
    }
    expect(await jobAndScheduleCounts()).toEqual(before)
    expectNoCrash(lines)
  })

  it('answers wrong methods 405 with Allow, and unknown paths 404, as problems', async () => {
    for (const [method, path] of [['PUT', '/v1/batch'], ['GET', '/v1/batch'], ['DELETE', '/v1/jobs'], ['PATCH', '/v1/schedules'], ['PUT', '/v1/jobs/00000000-0000-4000-8000-000000000000/status']] as const) {
      const r = await send(path, { method })
      expectProblem(r, 405, undefined, `${method} ${path}`)
      expect(r.headers.get('Allow')).toBeTruthy()
    }
    for (const path of ['/v1', '/v1/', '/v1/jobs/x/y/z', '/v1/batch/x', '/v2/batch', '/v1/schedules/a/b'])
      expectProblem(await send(path), 404, undefined, path)
    expectNoCrash(lines)
  })
})
