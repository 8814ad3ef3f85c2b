import { describe, expect, it } from 'vitest'
import { readOssJobQuery } from '../../../shared/dialects/oss-job-query.ts'

const SEED_ID = 'MzRjZGU2NGQ3YTY5NGRhMTkxZmZhYzY5OTM5YTcxYWU='
const SEED_UUID = '34cde64d-7a69-4da1-91ff-ac69939a71ae'
const read = (method: string, query: string) => readOssJobQuery(method, new URLSearchParams(query))

describe('OSS batch-job query strings', () => {
  it('tells the five actions apart by sub-resource and method', () => {
    expect(read('POST', 'batchJob')).toEqual({ ok: true, value: { action: 'CreateJob' } })
    expect(read('GET', `batchJob&batchJobId=${SEED_ID}`)).toEqual({ ok: true, value: { action: 'DescribeJob', jobId: SEED_UUID } })
    expect(read('GET', `batchJob&batchJobId=${encodeURIComponent(SEED_ID)}`)).toEqual({ ok: true, value: { action: 'DescribeJob', jobId: SEED_UUID } })
    expect(read('GET', 'batchJob')).toEqual({ ok: true, value: { action: 'ListJobs', statuses: [], maxKeys: 100 } })
    expect(read('GET', 'batchJob&batchJobStatuses=Active,Complete&max-keys=5&continuation-token=abc')).toEqual({
      ok: true, value: { action: 'ListJobs', statuses: ['Active', 'Complete'], maxKeys: 5, continuationToken: 'abc' },
    })
    expect(read('POST', `batchJobStatus&batchJobId=${SEED_ID}&requestedJobStatus=Cancelled&statusUpdateReason=no%20longer%20needed`)).toEqual({
      ok: true, value: { action: 'UpdateJobStatus', jobId: SEED_UUID, requestedStatus: 'Cancelled', reason: 'no longer needed' },
    })
    expect(read('POST', `batchJobPriority&batchJobId=${SEED_UUID}&targetPriority=2147483647`)).toEqual({
      ok: true, value: { action: 'UpdateJobPriority', jobId: SEED_UUID, priority: 2147483647 },
    })
  })

  it('gives a null job id for ids no job can have, so the route answers NoSuchJob', () => {
    expect(read('GET', 'batchJob&batchJobId=nope')).toEqual({ ok: true, value: { action: 'DescribeJob', jobId: null } })
  })

  it('refuses a missing or doubled sub-resource and unknown or repeated parameters by name', () => {
    const errorsOf = (method: string, q: string) => {
      const r = read(method, q)
      if (r.ok || r.error.status !== 400) throw new Error(`expected a 400 for ${q}`)
      expect(r.error.code).toBe('InvalidArgument')
      return r.error.errors
    }
    expect(errorsOf('GET', '')).toEqual([{ path: 'query', message: expect.stringMatching(/^name one sub-resource/) }])
    expect(errorsOf('GET', 'acl')).toEqual([{ path: 'query', message: expect.stringMatching(/^name one sub-resource/) }])
    expect(errorsOf('POST', 'batchJob&batchJobStatus')).toEqual([{ path: 'query', message: 'name only one sub-resource, not batchJob and batchJobStatus' }])
    expect(errorsOf('POST', 'batchJob&acl')).toEqual([{ path: 'acl', message: 'unknown parameter for CreateJob' }])
    expect(errorsOf('GET', `batchJob&batchJobId=${SEED_ID}&batchJobId=${SEED_ID}`)).toEqual([{ path: 'batchJobId', message: 'must appear once' }])
    expect(errorsOf('GET', 'batchJob&batchJobId=')).toEqual([{ path: 'batchJobId', message: 'required' }])
  })

  it('validates statuses, max-keys, the requested status and the priority with the JSON rules', () => {
    const errorsOf = (method: string, q: string) => {
      const r = read(method, q)
      return r.ok ? [] : r.error.status === 400 ? r.error.errors : []
    }
    expect(errorsOf('GET', 'batchJob&batchJobStatuses=Active,Bogus&max-keys=0')).toEqual([
      { path: 'batchJobStatuses', message: expect.stringMatching(/^unknown status Bogus/) },
      { path: 'max-keys', message: 'must be an integer from 1 to 1000' },
    ])
    expect(errorsOf('GET', 'batchJob&max-keys=1001')).toEqual([{ path: 'max-keys', message: 'must be an integer from 1 to 1000' }])
    expect(errorsOf('POST', `batchJobStatus&batchJobId=${SEED_ID}&requestedJobStatus=Complete`)).toEqual([
      { path: 'requestedJobStatus', message: expect.stringContaining('Cancelled') },
    ])
    expect(errorsOf('POST', `batchJobStatus&requestedJobStatus=Ready&statusUpdateReason=${'x'.repeat(257)}`)).toEqual([
      { path: 'batchJobId', message: 'required' },
      { path: 'statusUpdateReason', message: expect.any(String) },
    ])
    expect(errorsOf('POST', `batchJobPriority&batchJobId=${SEED_ID}&targetPriority=high`)).toEqual([{ path: 'targetPriority', message: 'must be an integer' }])
    expect(errorsOf('POST', `batchJobPriority&batchJobId=${SEED_ID}&targetPriority=2147483648`)).toEqual([{ path: 'targetPriority', message: expect.any(String) }])
    expect(errorsOf('POST', `batchJobPriority&batchJobId=${SEED_ID}`)).toEqual([{ path: 'targetPriority', message: 'required' }])
  })

  it('answers 405 with the methods a sub-resource takes', () => {
    expect(read('GET', `batchJobStatus&batchJobId=${SEED_ID}`)).toEqual({
      ok: false, error: { status: 405, code: 'MethodNotAllowed', message: '?batchJobStatus takes POST, not GET', allow: ['POST'] },
    })
    expect(read('DELETE', 'batchJob')).toMatchObject({ ok: false, error: { status: 405, allow: ['GET', 'POST'] } })
  })
})
