import { describe, expect, it } from 'vitest'
import type { OperationResult } from '../../../shared/engine/types.ts'
import { runWithMissingDeletes } from '../../../shared/dialects/qiniu-missing-deletes.ts'
import type { Operation } from '../../../shared/schemas/operation.ts'

/** A fake engine over a set of existing keys; records each run it was asked for. */
function engine(existing: string[]) {
  const keys = new Set(existing)
  const runs: string[][] = []
  const run = async (ops: readonly Operation[]): Promise<OperationResult[]> => {
    runs.push(ops.map((o) => `${o.op} ${o.key}`))
    return ops.map((o, i) => {
      const base = { id: String(i), op: o.op }
      if (o.op === 'stat') return keys.has(o.key) ? { ...base, status: 200, data: {} } : { ...base, status: 404, error: { code: 'NoSuchKey', message: 'gone' } }
      if (o.op === 'delete') keys.delete(o.key)
      return { ...base, status: 200 }
    })
  }
  return { run, runs }
}

const b = 'bucket'

describe('deletes of missing keys in the Qiniu dialect', () => {
  it('stats the keys first on providers that do not tell, answers existed:false for the missing ones and does not send them', async () => {
    const e = engine(['here', 'other'])
    const ops: Operation[] = [{ op: 'delete', bucket: b, key: 'here' }, { op: 'stat', bucket: b, key: 'other' }, { op: 'delete', bucket: b, key: 'missing', id: 'mine' }]
    const results = await runWithMissingDeletes('s3', ops, e.run)
    expect(e.runs).toEqual([['stat here', 'stat missing'], ['delete here', 'stat other']])
    expect(results).toEqual([
      { id: '0', op: 'delete', status: 200 },
      { id: '1', op: 'stat', status: 200, data: {} },
      { id: 'mine', op: 'delete', status: 200, data: { existed: false } },
    ])
  })

  it('runs the batch once, unchanged, on providers whose deletes say whether the key existed', async () => {
    for (const provider of ['qiniu', 'pds']) {
      const e = engine([])
      await runWithMissingDeletes(provider, [{ op: 'delete', bucket: b, key: 'k' }], e.run)
      expect(e.runs).toEqual([['delete k']])
    }
  })

  it('deletes without a check a key another op of the batch copies onto', async () => {
    const e = engine(['src'])
    const ops: Operation[] = [{ op: 'copy', bucket: b, key: 'src', destination: { bucket: b, key: 'dst' } }, { op: 'delete', bucket: b, key: 'dst' }]
    await runWithMissingDeletes('r2', ops, e.run)
    expect(e.runs).toEqual([['copy src', 'delete dst']])
  })
})
