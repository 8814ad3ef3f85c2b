import { describe, expect, it } from 'vitest'
import { BatchRequest } from '../../shared/schemas/batch.ts'
import { parseWith } from '../../shared/schemas/issues.ts'
import { CreateJobRequest, UpdateJobPriorityRequest, UpdateJobStatusRequest } from '../../shared/schemas/job.ts'
import { CreateScheduleRequest } from '../../shared/schemas/schedule.ts'
import { call, unique } from '../helpers.ts'
import { batchBody, inlineManifest, jobBody, jobOperations, manifestGenerator, nulAllowed, scheduleBody } from './examples.ts'
import { captureConsole, expectNoCrash, expectProblem, expectUntouched, inBatches, jobAndScheduleCounts, postJson } from './harness.ts'
import { declaredPaths, generateMutations, jsonSchemaOf, mutatedPaths, type Mutation } from './mutations.ts'

// Every JSON route gets every mutation its own schema implies (mutations.ts): each answers a 400
// problem naming the mutated field, and nothing runs — no emulator sees the buckets, no job or
// schedule appears, the job the status/priority cases aim at stays as it was.

const lines = captureConsole()

const QINIU_ONLY = new Set(['setStatus', 'setExpiry', 'setLifecycle'])
const NO_TAGS = new Set(['putTagging', 'deleteTagging', 'putAcl'])

/** Each error path must name the mutated field, a part of it, or a field beside it (a cross-field check). */
function expectRelated(errors: { path: string }[], m: Mutation) {
  const parent = m.path.replace(/(\.[^.[\]]+|\[\d+\])$/, '')
  const within = (p: string, root: string) => root === 'body' || p === root || p.startsWith(`${root}.`) || p.startsWith(`${root}[`)
  for (const e of errors) expect(within(e.path, parent) || within(m.path, e.path), `${m.name}: also named ${e.path}`.toWellFormed()).toBe(true)
}

/** Sends every mutation to `path` and checks each answer; every failing case is listed at once. */
async function sendAll(path: string, mutations: Mutation[]) {
  const failures: string[] = []
  await inBatches(mutations, 16, async (m) => {
    const r = await postJson(path, m.body)
    try {
      expectProblem(r, 400, m.path, m.name)
      expectRelated(r.json.errors, m)
    } catch (err) {
      failures.push((err as Error).message.split('\n').slice(0, 2).join(' | ').slice(0, 400).toWellFormed())
    }
  })
  expect(failures, `${failures.length} of ${mutations.length} cases failed`).toEqual([])
  return mutations.length
}

function valid(schema: Parameters<typeof parseWith>[0], body: unknown) {
  const parsed = parseWith(schema, body)
  expect(parsed.success, JSON.stringify(parsed)).toBe(true)
}

describe('bad input generated from the schemas', () => {
  it('POST /v1/batch: each mutation of an operation of every kind answers 400 naming the field, and nothing reaches the provider', async () => {
    const bucket = unique('bad-batch')
    const base = batchBody('qiniu', bucket)
    valid(BatchRequest, base)
    const schema = jsonSchemaOf(BatchRequest)
    const mutations = generateMutations(schema, base, { nulAllowed })
    expect([...declaredPaths(schema)].filter((p) => !mutatedPaths(mutations).has(p))).toEqual([])
    expect(mutations.length).toBeGreaterThan(700)
    await sendAll('/v1/batch', mutations)
    await expectUntouched([bucket])

    // The body runs (less what Qiniu refuses: versions, tiers, PDS destinations), and the emulator's
    // log shows it: its silence above meant something.
    const runnable = base.operations.map(({ versionId: _v, ...op }) => {
      if (op.op === 'restore') return { ...op, tier: undefined }
      return op.op === 'move' ? { ...op, destination: { bucket, key: 'c.txt' } } : op
    })
    const ran = await postJson('/v1/batch', { ...base, operations: runnable })
    expect([200, 207], ran.text).toContain(ran.status)
    expect(ran.json.results).toHaveLength(13)
    await expect(expectUntouched([bucket])).rejects.toThrow()
    expectNoCrash(lines)
  })

  it('POST /v1/jobs: each mutation of every operation kind and of every manifest form answers 400 naming the field; no job is created and no manifest read', async () => {
    const bucket = unique('bad-jobs')
    const before = await jobAndScheduleCounts()
    const schema = jsonSchemaOf(CreateJobRequest)
    const bases: Record<string, unknown>[] = jobOperations(bucket).map((op) => {
      const kind = String(op.op)
      const account = QINIU_ONLY.has(kind) ? 'qiniu' : NO_TAGS.has(kind) ? 's3' : 'oss'
      return jobBody(account, bucket, unique('tok'), op)
    })
    const first = bases[0] as Record<string, unknown>
    const { manifest: _m, ...withoutManifest } = first
    bases.push({ ...first, manifest: inlineManifest(bucket) }, { ...withoutManifest, manifestGenerator: manifestGenerator(bucket) })

    const all: Mutation[] = []
    bases.forEach((base, i) => {
      valid(CreateJobRequest, base)
      // The job's other fields are the same in every base: the first base mutates them, the others their operation.
      const only = i === 0 ? undefined : i < 13 ? (p: string) => p.startsWith('operation') : (p: string) => p.startsWith('manifest')
      all.push(...generateMutations(schema, base, { nulAllowed, ...(only ? { only } : {}) }))
    })
    expect([...declaredPaths(schema)].filter((p) => !mutatedPaths(all).has(p))).toEqual([])
    await sendAll('/v1/jobs', all)

    expect(await jobAndScheduleCounts()).toEqual(before)
    await expectUntouched([bucket])
    expectNoCrash(lines)
  })

  it('POST /v1/jobs/{id}/status and /priority: each mutation answers 400 naming the field, and the job is untouched', async () => {
    const bucket = unique('bad-status')
    const created = await postJson('/v1/jobs', { ...jobBody('local', 'demo', unique('tok'), { op: 'delete' }), manifest: { inline: 'demo,never-deleted\n' }, report: { enabled: false } })
    expect(created.status, created.text).toBe(201)
    const id = created.json.jobId as string
    const described = await call(`/v1/jobs/${id}`)

    const status = jsonSchemaOf(UpdateJobStatusRequest)
    const statusBase = { requestedStatus: 'Cancelled', reason: `stop ${bucket}` }
    valid(UpdateJobStatusRequest, statusBase)
    const priority = jsonSchemaOf(UpdateJobPriorityRequest)
    const priorityBase = { priority: 5 }
    valid(UpdateJobPriorityRequest, priorityBase)
    const n =
      (await sendAll(`/v1/jobs/${id}/status`, generateMutations(status, statusBase, { nulAllowed }))) +
      (await sendAll(`/v1/jobs/${id}/priority`, generateMutations(priority, priorityBase, { nulAllowed })))
    expect(n).toBeGreaterThan(25)

    const after = await call(`/v1/jobs/${id}`)
    expect(after.json.status).toBe(described.json.status)
    expect(after.json.priority).toBe(10)
    expect(after.json.statusUpdateReason).toBe(described.json.statusUpdateReason)
    expectNoCrash(lines)
  })

  it('POST /v1/schedules: each mutation of the cron and of the job answers 400 naming the field, and no schedule is made', async () => {
    const bucket = unique('bad-schedules')
    const before = await jobAndScheduleCounts()
    const schema = jsonSchemaOf(CreateScheduleRequest)
    const job = jobBody('oss', bucket, 'unused', { op: 'putTagging', tags: { env: 'prod' } })
    const { manifest: _m, ...withoutManifest } = job
    const bases = [scheduleBody(job), scheduleBody({ ...job, manifest: inlineManifest(bucket) }), scheduleBody({ ...withoutManifest, manifestGenerator: manifestGenerator(bucket) })]
    const ops = jobOperations(bucket).map((op) => scheduleBody({ ...job, account: QINIU_ONLY.has(String(op.op)) ? 'qiniu' : 's3', operation: op }))
    const all: Mutation[] = []
    for (const [i, base] of [...bases, ...ops].entries()) {
      valid(CreateScheduleRequest, base)
      const only = i === 0 ? undefined : i < 3 ? (p: string) => p.startsWith('job.manifest') : (p: string) => p.startsWith('job.operation')
      all.push(...generateMutations(schema, base, { nulAllowed, ...(only ? { only } : {}) }))
    }
    expect([...declaredPaths(schema)].filter((p) => !mutatedPaths(all).has(p))).toEqual([])
    await sendAll('/v1/schedules', all)
    expect(await jobAndScheduleCounts()).toEqual(before)
    await expectUntouched([bucket])
    expectNoCrash(lines)
  })
})
