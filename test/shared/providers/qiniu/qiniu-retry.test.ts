import { describe, expect, it } from 'vitest'
import type { IndexedOperation, Outcome } from '../../../../shared/engine/types.ts'
import { settleRetries, type StatBatch } from '../../../../shared/providers/qiniu/qiniu-retry.ts'
import type { Operation } from '../../../../shared/schemas/operation.ts'

// The decisions of qiniu-retry.ts on their own: which answers are checked, with which stats, and
// what an unanswerable check leaves (the emulator cases are in test/api/retry-safety.test.ts).

const copy = (attempt: number, overwrite?: boolean): IndexedOperation => ({
  index: 0, attempt,
  op: { op: 'copy', bucket: 'b', key: 'src', destination: { bucket: 'b', key: 'dst' }, ...(overwrite !== undefined ? { overwrite } : {}) } as Operation,
})
const move = (attempt: number): IndexedOperation => ({ index: 0, attempt, op: { op: 'move', bucket: 'b', key: 'src', destination: { bucket: 'b', key: 'dst' } } as Operation })
const refused = (code: string): Outcome => ({ kind: 'done', status: code === '612' ? 404 : 409, error: { code: code === '612' ? 'NoSuchKey' : 'DestinationExists', message: code } })
const found = (etag: string, size = 1): Outcome => ({ kind: 'done', status: 200, data: { etag, size } })
const missing: Outcome = { kind: 'done', status: 404, error: { code: 'NoSuchKey', message: 'no' } }

/** A stat batch answering from a table of `bucket/key` → outcome, recording what it was asked. */
function stats(table: Record<string, Outcome>) {
  const asked: string[][] = []
  const batch: StatBatch = async (ops) => {
    asked.push(ops.map((o) => `${o.op.bucket}/${o.op.key}`))
    return ops.map((o) => table[`${o.op.bucket}/${o.op.key}`] ?? missing)
  }
  return { batch, asked }
}

describe('settleRetries (Qiniu)', () => {
  it('checks nothing on a first attempt, nor a copy with overwrite true, nor a copy onto itself', async () => {
    const { batch, asked } = stats({})
    const onItself: IndexedOperation = { index: 0, attempt: 2, op: { op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'b', key: 'k' } } as Operation }
    const ops = [copy(1), move(1), copy(2, true), onItself]
    const outcomes = [refused('614'), refused('612'), refused('614'), refused('614')]
    expect(await settleRetries(ops, [{ code: 614 }, { code: 612 }, { code: 614 }, { code: 614 }], [...outcomes], batch)).toEqual(outcomes)
    expect(asked).toEqual([])
  })

  it('takes a retried copy refused with 614 as done only when the destination has the source’s hash and size', async () => {
    for (const [dst, done] of [[found('H'), true], [found('other'), false], [found('H', 2), false], [missing, false]] as const) {
      const { batch, asked } = stats({ 'b/src': found('H'), 'b/dst': dst })
      const [out] = await settleRetries([copy(2)], [{ code: 614 }], [refused('614')], batch)
      expect(out, JSON.stringify(dst)).toEqual(done ? { kind: 'done', status: 200 } : refused('614'))
      expect(asked).toEqual([['b/src', 'b/dst']])
    }
  })

  it('takes a retried move answered 612 as done when its destination exists, and keeps NoSuchKey when it does not', async () => {
    const there = stats({ 'b/dst': found('H') })
    expect(await settleRetries([move(3)], [{ code: 612 }], [refused('612')], there.batch)).toEqual([{ kind: 'done', status: 200 }])
    expect(there.asked).toEqual([['b/dst']])
    const gone = stats({})
    expect(await settleRetries([move(3)], [{ code: 612 }], [refused('612')], gone.batch)).toEqual([refused('612')])
  })

  it('leaves the operation to retry when the stats fail or are throttled, never reporting it either way', async () => {
    const throws: StatBatch = async () => {
      throw new Error('Network connection lost.')
    }
    const [a] = await settleRetries([move(2)], [{ code: 612 }], [refused('612')], throws)
    expect(a).toMatchObject({ kind: 'retry', error: { code: 'ProviderError', message: expect.stringContaining('Network connection lost') } })
    const throttled: StatBatch = async (ops) => ops.map(() => ({ kind: 'retry', error: { code: 'Throttled', message: 'slow down' } }))
    const [b] = await settleRetries([copy(2)], [{ code: 614 }], [refused('614')], throttled)
    expect(b).toMatchObject({ kind: 'retry', error: { message: expect.stringContaining('slow down') } })
  })

  it('checks many retried operations with one stat call per 1,000 stats', async () => {
    const ops = Array.from({ length: 700 }, (_, i) => ({ ...copy(2), index: i }))
    const { batch, asked } = stats({ 'b/src': found('H'), 'b/dst': found('H') })
    const out = await settleRetries(ops, ops.map(() => ({ code: 614 })), ops.map(() => refused('614')), batch)
    expect(asked.map((a) => a.length)).toEqual([1000, 400])
    expect(out.every((o) => o.kind === 'done' && o.status === 200)).toBe(true)
  })
})
