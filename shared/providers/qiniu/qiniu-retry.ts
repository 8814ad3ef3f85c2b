import { chunksOf } from '../../engine/pool.ts'
import type { IndexedOperation, Outcome } from '../../engine/types.ts'
import type { Operation, OperationOf } from '../../schemas/operation.ts'

/** Sends `/stat` operations in one `/batch` (≤ 1,000) and answers one outcome each; may throw. */
export type StatBatch = (stats: IndexedOperation[]) => Promise<Outcome[]>

/** Qiniu's `/batch` limit, repeated here so this module does not import the adapter. */
const STATS_PER_CALL = 1000

type CopyOrMove = OperationOf<'copy'> | OperationOf<'move'>

const stat = (index: number, bucket: string, key: string): IndexedOperation => ({ index, op: { op: 'stat', bucket, key } as Operation, attempt: 1 })
const isOnItself = (op: CopyOrMove) => op.bucket === op.destination.bucket && op.key === op.destination.key

interface Check {
  /** Position of the operation in its call. */
  i: number
  op: CopyOrMove
  /** Positions of its stats: [destination] for a move, [source, destination] for a copy. */
  stats: number[]
}

/**
 * What a retried copy or move learns from Qiniu's answer when an earlier attempt's answer was lost
 * (a dropped connection, a timeout, an unreadable 200): Qiniu may have applied it. Only ops that are
 * retries (`attempt > 1`) are checked, with one extra `/batch` of stats for all of them together.
 *
 * - A retried **move** answered 612 (the source is gone): if the destination exists, the earlier
 *   attempt moved it. Why that is safe enough: Qiniu moves atomically, so a source that is gone
 *   while the destination is there is exactly the state a completed move leaves. With force=false an
 *   existing destination would have been refused (614, a final answer never retried), so a
 *   destination that exists now was not there before our attempt — unless the source never existed
 *   at all, a case nothing here can tell apart without a stat before every first attempt (one more
 *   call per batch on the hot path). In that case the report says "moved" where it should say
 *   NoSuchKey, but no object was changed either way.
 * - A retried **copy** with overwrite false answered 614 (the destination exists): it is our copy
 *   when the destination holds the source's content (same hash and size — Qiniu's hash is the qetag
 *   of the bytes); anything else is a real DestinationExists and was left untouched (force=false).
 *   A copy onto itself is excluded: its destination is the source, so it always "matches".
 *
 * A copy with overwrite true and every other kind are idempotent when sent again (a retried delete
 * answers 612 → `existed: false`, a retried chstatus "already enabled" → `changed: false`). When the
 * stats themselves fail, the op is left to retry (its state is unknown), never reported as applied.
 */
export async function settleRetries(ops: readonly IndexedOperation[], answers: readonly { code: number }[], outcomes: Outcome[], statBatch: StatBatch): Promise<Outcome[]> {
  const checks: Check[] = []
  const stats: IndexedOperation[] = []
  ops.forEach((o, i) => {
    if (o.attempt <= 1) return
    const op = o.op
    if (op.op === 'move' && answers[i]?.code === 612) {
      checks.push({ i, op, stats: [stats.length] })
      stats.push(stat(stats.length, op.destination.bucket, op.destination.key as string))
    } else if (op.op === 'copy' && op.overwrite !== true && answers[i]?.code === 614 && !isOnItself(op)) {
      checks.push({ i, op, stats: [stats.length, stats.length + 1] })
      stats.push(stat(stats.length, op.bucket, op.key), stat(stats.length + 1, op.destination.bucket, op.destination.key as string))
    }
  })
  if (checks.length === 0) return outcomes

  let found: Outcome[]
  try {
    found = (await Promise.all(chunksOf(stats, STATS_PER_CALL).map((chunk) => statBatch(chunk)))).flat()
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    for (const c of checks) outcomes[c.i] = unchecked(c.op, `the stat call failed: ${why}`)
    return outcomes
  }
  for (const c of checks) {
    const [a, b] = c.stats.map((s) => found[s])
    const unknown = [a, b].slice(0, c.stats.length).find((x) => x === undefined || x.kind === 'retry')
    if (unknown !== undefined || a === undefined) {
      outcomes[c.i] = unchecked(c.op, unknown?.kind === 'retry' ? unknown.error.message : 'no stat answer')
      continue
    }
    if (c.op.op === 'move') {
      if (exists(a)) outcomes[c.i] = { kind: 'done', status: 200 }
    } else if (b && exists(a) && exists(b) && sameContent(a, b)) outcomes[c.i] = { kind: 'done', status: 200 }
  }
  return outcomes
}

const exists = (o: Outcome | undefined) => o?.kind === 'done' && o.status === 200

function sameContent(a: Outcome, b: Outcome): boolean {
  const x = a.kind === 'done' ? a.data : undefined
  const y = b.kind === 'done' ? b.data : undefined
  return !!x && !!y && typeof x.etag === 'string' && x.etag !== '' && x.etag === y.etag && x.size === y.size
}

function unchecked(op: CopyOrMove, why: string): Outcome {
  return {
    kind: 'retry',
    error: { code: 'ProviderError', message: `could not check whether an earlier attempt of this ${op.op} was applied (${why})` },
  }
}
