import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ObjectIOError, type ListedObject, type ListPage, type ObjectLister } from '../../../shared/engine/types.ts'
import { parseManifestRecords } from '../../../shared/manifest/manifest-csv.ts'
import { INLINE_PART_BYTES, appendInline, readInline } from '../../../workers/durable-objects/batch-job/job-db.ts'
import { listStep, readListing } from '../../../workers/durable-objects/batch-job/listing.ts'
import type { JobSpec } from '../../../workers/durable-objects/batch-job/types.ts'

const T0 = Date.parse('2026-01-01T00:00:00Z')
const objectsOf = (n: number): ListedObject[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k/${String(i).padStart(6, '0')}${i % 7 === 0 ? ' +%é' : ''}.${i % 2 ? 'csv' : 'log'}`, size: i, lastModified: new Date(T0 + i * 1000).toISOString() }))

/** A lister over a fixed set of objects, `pageSize` per page, that can fail on chosen calls. */
function fakeLister(all: ListedObject[], pageSize: number, failOn: (call: number) => Error | null = () => null) {
  const calls: (string | null)[] = []
  const lister: ObjectLister = {
    async list(_bucket, prefix, cursor): Promise<ListPage> {
      calls.push(cursor)
      const err = failOn(calls.length)
      if (err) throw err
      const from = cursor === null ? 0 : Number(cursor)
      const under = all.filter((o) => o.key.startsWith(prefix))
      const next = from + pageSize < under.length ? String(from + pageSize) : null
      return { objects: under.slice(from, from + pageSize), next }
    },
  }
  return { lister, calls }
}

/** A job object with a generator spec, its storage ready, and nothing prepared yet. */
async function generatedJob() {
  const jobId = crypto.randomUUID()
  const stub = env.JOBS.getByName(jobId)
  const spec: JobSpec = {
    jobId, tenant: 'acme', account: 'local', operation: { op: 'delete' },
    manifest: { inline: true, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
    manifestGenerator: { sourceBucket: 'demo' },
    report: { enabled: false, scope: 'AllTasks' }, priority: 0, confirmationRequired: true, createdAt: Date.now(),
  }
  await runInDurableObject(stub, (_o, state) => {
    state.storage.sql.exec("INSERT INTO job (id, spec, status, priority) VALUES (1, ?, 'Preparing', 0)", JSON.stringify(spec))
  })
  return stub
}

const keysIn = (sql: SqlStorage) => {
  const size = sql.exec<{ s: number | null }>('SELECT manifest_size AS s FROM job WHERE id = 1').one().s ?? 0
  const text = new TextDecoder().decode(readInline(sql, 0, size))
  return parseManifestRecords(text, ['Bucket', 'Key'], 1).map((r) => (r.ok ? r.task.key : `bad:${JSON.stringify(r)}`))
}

describe('manifest generator listing in the job object', () => {
  it('lists every page into the kept manifest, each key once, with the filters applied', async () => {
    const stub = await generatedJob()
    const all = objectsOf(2500)
    const { lister, calls } = fakeLister(all, 1000)
    await runInDurableObject(stub, async (_o, state) => {
      const gen = { sourceBucket: 'demo', prefix: 'k/', filters: { keySuffix: '.csv', sizeGreaterThan: 10 } }
      const out = await listStep(state.storage.sql, lister, gen, { budgetMs: 10_000 })
      expect(out).toEqual({ done: true })
      const expected = all.filter((o) => o.key.endsWith('.csv') && o.size > 10).map((o) => o.key)
      expect(keysIn(state.storage.sql)).toEqual(expected)
      expect(readListing(state.storage.sql)).toMatchObject({ done: 1, pages: 3, listed: 2500, matched: expected.length, cursor: null })
    })
    expect(calls).toEqual([null, '1000', '2000'])
  })

  it('resumes an interrupted listing from its cursor without listing a key twice', async () => {
    const stub = await generatedJob()
    const all = objectsOf(2500)
    // The step's budget runs out after the first page: the next step goes on from the cursor.
    let t = 0
    const { lister, calls } = fakeLister(all, 700)
    await runInDurableObject(stub, async (_o, state) => {
      const first = await listStep(state.storage.sql, lister, { sourceBucket: 'demo' }, { budgetMs: 1, now: () => (t++ < 2 ? 0 : 1e9) })
      expect(first).toEqual({ done: false })
      expect(readListing(state.storage.sql)).toMatchObject({ pages: 1, cursor: '700' })
    })
    // The object is reset while a page is in flight: nothing of that page is kept, so it is read again.
    await runInDurableObject(stub, async (_o, state) => {
      const lost = fakeLister(all, 700, () => new Error('the object was reset'))
      const out = await listStep(state.storage.sql, lost.lister, { sourceBucket: 'demo' }, { budgetMs: 1000, sleep: async () => {} })
      expect(out.error?.code).toBe('ManifestListingFailed')
      expect(lost.calls).toEqual(Array(8).fill('700'))
      expect(readListing(state.storage.sql)).toMatchObject({ pages: 1, cursor: '700', listed: 700 })
    })
    await runInDurableObject(stub, async (_o, state) => {
      state.storage.sql.exec('UPDATE listing SET failures = 0 WHERE id = 1')
      expect(await listStep(state.storage.sql, lister, { sourceBucket: 'demo' }, { budgetMs: 10_000 })).toEqual({ done: true })
      const keys = keysIn(state.storage.sql)
      expect(keys).toEqual(all.map((o) => o.key))
      expect(new Set(keys).size).toBe(2500)
    })
    expect(calls).toEqual([null, '700', '1400', '2100'])
  })

  it('retries a throttled page with backoff and fails the listing after repeated or final errors', async () => {
    const stub = await generatedJob()
    const all = objectsOf(30)
    const waits: number[] = []
    const throttled = fakeLister(all, 10, (call) => (call <= 2 ? new ObjectIOError('Throttled', 'SlowDown', true) : null))
    await runInDurableObject(stub, async (_o, state) => {
      const out = await listStep(state.storage.sql, throttled.lister, { sourceBucket: 'demo' }, { budgetMs: 10_000, sleep: async (ms) => void waits.push(ms) })
      expect(out).toEqual({ done: true })
      expect(waits).toEqual([200, 400])
      expect(keysIn(state.storage.sql)).toHaveLength(30)
    })
    const denied = await generatedJob()
    await runInDurableObject(denied, async (_o, state) => {
      const l = fakeLister(all, 10, () => new ObjectIOError('AccessDenied', 'the signature does not match', false))
      const out = await listStep(state.storage.sql, l.lister, { sourceBucket: 'demo' }, { budgetMs: 10_000, sleep: async () => {} })
      expect(out.error).toEqual({ code: 'ManifestListingFailed', message: 'listing demo failed (AccessDenied): the signature does not match' })
      expect(l.calls).toHaveLength(1)
    })
    const down = await generatedJob()
    await runInDurableObject(down, async (_o, state) => {
      const l = fakeLister(all, 10, () => new ObjectIOError('ProviderError', '503', true))
      const out = await listStep(state.storage.sql, l.lister, { sourceBucket: 'demo' }, { budgetMs: 60_000, sleep: async () => {} })
      expect(out.error?.message).toMatch(/ProviderError, 8 times/)
      expect(l.calls).toHaveLength(8)
    })
  })

  it('appends across 1 MiB pieces so that every byte reads back in place', async () => {
    const stub = await generatedJob()
    await runInDurableObject(stub, (_o, state) => {
      const sql = state.storage.sql
      const a = 'x'.repeat(INLINE_PART_BYTES - 3)
      const b = 'yyyyyy'
      const c = 'z'.repeat(INLINE_PART_BYTES + 10)
      let size = appendInline(sql, a, 0)
      size = appendInline(sql, b, size)
      size = appendInline(sql, c, size)
      expect(size).toBe(a.length + b.length + c.length)
      const text = new TextDecoder().decode(readInline(sql, 0, size))
      expect(text).toBe(a + b + c)
      expect(sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM inline_part').one().n).toBe(3)
    })
  })
})
