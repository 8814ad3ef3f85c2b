import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { executeOperations } from '../../shared/engine/engine.ts'
import { createR2Adapter } from '../../shared/providers/r2/r2-adapter.ts'
import type { R2BucketLike } from '../../shared/providers/r2/r2-bucket.ts'
import type { Operation } from '../../shared/schemas/operation.ts'
import { addFault, clearFaults, listDriveFiles, pdsRequestLog, seedDrive, type FaultRule, type PdsSeedFile } from '../emulators/control.ts'
import { PDS_EMULATOR_URL as PDS } from '../fixtures/pds.ts'
import { batch, unique } from '../helpers.ts'

// Retry safety (§5) on R2 and PDS: an operation whose first attempt was applied but whose answer
// was lost is not reported as failed when it is sent again, and a copy with overwrite false never
// overwrites. R2 has no wire to cut, so its binding is wrapped to throw after a write was applied;
// PDS's emulator applies a /v2/batch and drops the connection.

const statuses = (r: { json: any }) => r.json.results.map((x: any) => [x.status, x.error?.code])

/** The local R2 bucket, failing as told: `put`/`delete` apply and then throw; `head` answers null (as if nothing were there yet). */
function flaky(bucket: R2Bucket, plan: { put?: number; delete?: number; headLies?: number }): R2BucketLike {
  const left = { put: plan.put ?? 0, delete: plan.delete ?? 0, headLies: plan.headLies ?? 0 }
  const lost = (what: string) => new Error(`${what}: Network connection lost.`)
  return {
    head: async (key) => (left.headLies-- > 0 ? null : bucket.head(key)),
    get: (key, options) => bucket.get(key, options),
    list: (options) => bucket.list(options) as never,
    put: async (key, value, options) => {
      const put = await bucket.put(key, value, options as R2PutOptions)
      if (left.put-- > 0) throw lost('put')
      return put
    },
    delete: async (keys) => {
      await bucket.delete(keys)
      if (left.delete-- > 0) throw lost('delete')
    },
  }
}

const ENGINE = { concurrency: 1, callTimeoutMs: 5000, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, budgetMs: 5000 } }
const runOnR2 = (bucket: R2BucketLike, ops: unknown[]) => executeOperations(createR2Adapter((b) => (b === 'demo' ? bucket : undefined)), ops as Operation[], ENGINE)
const text = async (key: string) => (await env.DEMO_BUCKET.get(key))?.text()

describe('R2: retried copies and moves', () => {
  it('reports a move whose source delete was applied but not answered as moved', async () => {
    const [src, dst] = [unique('r2-src'), unique('r2-dst')]
    await env.DEMO_BUCKET.put(src, 'body')
    const [r] = await runOnR2(flaky(env.DEMO_BUCKET, { delete: 1 }), [{ op: 'move', bucket: 'demo', key: src, destination: { bucket: 'demo', key: dst } }])
    expect(r).toMatchObject({ status: 200 })
    expect([await text(src), await text(dst)]).toEqual([undefined, 'body'])
  })

  it('reports a move and a copy whose write was applied but not answered as done, writing the copy once', async () => {
    const keys = ['m', 'm2', 'c', 'c2'].map((k) => unique(`r2-${k}`))
    await env.DEMO_BUCKET.put(keys[0]!, 'moved')
    await env.DEMO_BUCKET.put(keys[2]!, 'copied')
    const results = await runOnR2(flaky(env.DEMO_BUCKET, { put: 2 }), [
      { op: 'move', bucket: 'demo', key: keys[0], destination: { bucket: 'demo', key: keys[1] } },
      { op: 'copy', bucket: 'demo', key: keys[2], destination: { bucket: 'demo', key: keys[3] } },
    ])
    expect(results.map((r) => [r.status, r.error?.code])).toEqual([[200, undefined], [200, undefined]])
    expect(await Promise.all(keys.map(text))).toEqual([undefined, 'moved', 'copied', 'copied'])
  })

  it('never overwrites with overwrite false: R2 itself refuses the put when the destination appeared after the check', async () => {
    for (const plan of [{ headLies: 1 }, { headLies: 3 }, { put: 1, headLies: 1 }]) {
      const [src, dst] = [unique('r2-new'), unique('r2-old')]
      await env.DEMO_BUCKET.put(src, 'new')
      await env.DEMO_BUCKET.put(dst, 'old', { customMetadata: { keep: 'me' } })
      const before = await env.DEMO_BUCKET.head(dst)
      const results = await runOnR2(flaky(env.DEMO_BUCKET, plan), ['copy', 'move'].map((op) => ({ op, bucket: 'demo', key: src, destination: { bucket: 'demo', key: dst } })))
      expect(results.map((r) => [r.status, r.error?.code]), JSON.stringify(plan)).toEqual([[409, 'DestinationExists'], [409, 'DestinationExists']])
      expect(await text(src)).toBe('new')
      const after = await env.DEMO_BUCKET.head(dst)
      expect([after?.etag, after?.uploaded.getTime(), after?.customMetadata]).toEqual([before?.etag, before?.uploaded.getTime(), { keep: 'me' }])
    }
  })
})

const file = (fileId: string, name: string, parentFileId = 'root', extra: Partial<PdsSeedFile> = {}): PdsSeedFile => ({ fileId, name, parentFileId, ...extra })
const folder = (fileId: string, name = fileId): PdsSeedFile => ({ fileId, name, parentFileId: 'root', type: 'folder' })
const filesOf = async (drive: string) => new Map((await listDriveFiles(PDS, drive)).map((f) => [f.fileId, f]))

describe('PDS: retried copies and moves', () => {
  it('reports every operation of a /v2/batch whose answer was lost after it was applied as done', async () => {
    const d = unique('pds-lost')
    const other = unique('pds-lost-other')
    await seedDrive(PDS, d, [
      folder('dir'), file('mv', 'm.txt'), file('mv-far', 'far.txt'), file('cp', 'c.txt', 'root', { size: 3, contentHash: 'C0FFEE' }),
      file('gone', 'g.txt'), file('meta', 'meta.txt'),
    ])
    await seedDrive(PDS, other, [folder('inbox')])
    await addFault(PDS, { bucket: d, kind: 'drop', apply: true })
    const r = await batch('pds', [
      { op: 'move', bucket: d, key: 'mv', destination: { bucket: d, parentFileId: 'dir' } },
      { op: 'move', bucket: d, key: 'mv-far', destination: { bucket: other, parentFileId: 'inbox', name: 'renamed.txt' } },
      { op: 'copy', bucket: d, key: 'cp', destination: { bucket: d, parentFileId: 'dir' } },
      { op: 'delete', bucket: d, key: 'gone' },
      { op: 'setMetadata', bucket: d, key: 'meta', metadata: { team: 'data' } },
    ])
    expect(r.status, r.text).toBe(200)
    expect(statuses(r)).toEqual(Array(5).fill([200, undefined]))
    const [files, others] = [await filesOf(d), await filesOf(other)]
    const copies = [...files.values()].filter((f) => f.name === 'c.txt' && f.parentFileId === 'dir')
    expect(copies).toHaveLength(1)
    expect(copies[0]).toMatchObject({ size: 3, contentHash: 'C0FFEE' })
    expect(r.json.results[2].data).toEqual({ fileId: copies[0]!.fileId, driveId: d })
    expect(r.json.results[0].data).toEqual({ fileId: 'mv', driveId: d })
    expect(r.json.results[1].data).toEqual({ fileId: 'mv-far', driveId: other })
    expect(files.get('mv')?.parentFileId).toBe('dir')
    expect(others.get('mv-far')).toMatchObject({ name: 'renamed.txt', parentFileId: 'inbox' })
    expect(files.has('mv-far') || files.has('gone')).toBe(false)
    expect(r.json.results[3].data).toEqual({ existed: false })
    expect(JSON.parse(files.get('meta')!.userMeta!)).toEqual({ team: 'data' })
    // The lost call, its retry, the lookups of the retried moves and copy, and one listing of the copy's folder.
    expect((await pdsRequestLog(PDS, d)).map((e) => [e.path, e.httpStatus])).toEqual([
      ['/v2/batch', 0], ['/v2/batch', 200], ['/v2/batch', 200], ['/v2/file/list', 200],
    ])
  })

  it('still refuses a retried move onto a same-named file of the destination folder, which stays as it was', async () => {
    const d = unique('pds-move-clash')
    await seedDrive(PDS, d, [folder('dir'), file('mv', 'x.txt'), file('there', 'x.txt', 'dir')])
    await addFault(PDS, { bucket: d, kind: 'drop', apply: true })
    const r = await batch('pds', [{ op: 'move', bucket: d, key: 'mv', destination: { bucket: d, parentFileId: 'dir' } }])
    expect(statuses(r)).toEqual([[409, 'DestinationExists']])
    const files = await filesOf(d)
    expect([files.get('mv')?.parentFileId, files.get('there')?.parentFileId]).toEqual(['root', 'dir'])
  })

  it('never overwrites: a copy onto a same-named file with other content is refused under every fault, the folder unchanged', async () => {
    const faults: Omit<FaultRule, 'bucket'>[] = [
      { kind: 'drop', apply: true }, { kind: 'drop', apply: true, times: 2 }, { kind: 'drop' }, { kind: 'http', status: 500 },
      { kind: 'http', status: 429, retryAfter: 0 } as Omit<FaultRule, 'bucket'>, { kind: 'garbage' },
    ] as Omit<FaultRule, 'bucket'>[]
    for (const fault of faults) {
      const d = unique('pds-no-overwrite')
      await seedDrive(PDS, d, [folder('dir'), file('src', 'same.txt', 'root', { size: 5, contentHash: 'AAAA' }), file('old', 'same.txt', 'dir', { size: 5, contentHash: 'BBBB' })])
      const before = await listDriveFiles(PDS, d)
      await addFault(PDS, { bucket: d, ...fault } as FaultRule)
      const r = await batch('pds', [{ op: 'copy', bucket: d, key: 'src', destination: { bucket: d, parentFileId: 'dir' } }])
      await clearFaults(PDS, d)
      expect(statuses(r), JSON.stringify(fault)).toEqual([[409, 'DestinationExists']])
      expect(await listDriveFiles(PDS, d), JSON.stringify(fault)).toEqual(before)
    }
  })
})
