/**
 * Planning a Qiniu batch across regions: every `/batch` call goes to the RS host of the region its
 * operations' buckets live in (one call cannot span regions: Go SDK `storage/bucket.go` `Batch`).
 */
import { failure } from '../../engine/engine.ts'
import { chunksOf, mapBounded } from '../../engine/pool.ts'
import type { CallContext, IndexedOperation, Outcome, PlannedCall } from '../../engine/types.ts'
import type { QiniuRegionResolver, RegionLookup } from './qiniu-region.ts'

/** Sends one `/batch` of `ops` to the RS host `rs`; one outcome per op. May throw on transport failures. */
export type SendBatch = (ops: IndexedOperation[], rs: string, ctx: CallContext) => Promise<Outcome[]>

/** uc queries in flight at once for one call. */
const LOOKUPS_IN_FLIGHT = 8

/**
 * Groups operations by the region the cache already knows for their bucket; operations on buckets
 * not known yet travel together and are split once their regions are found, so a first batch over
 * many new buckets costs one uc query per bucket, not one call per bucket. Each group is cut at
 * `limit` operations.
 */
export function planByRegion(ops: readonly IndexedOperation[], resolver: QiniuRegionResolver, limit: number, send: SendBatch): PlannedCall[] {
  const groups = new Map<string, IndexedOperation[]>()
  for (const o of ops) {
    const key = resolver.cached(o.op.bucket)?.rs ?? ''
    let group = groups.get(key)
    if (!group) groups.set(key, (group = []))
    group.push(o)
  }
  return [...groups.values()].flatMap((group) =>
    chunksOf(group, limit).map((chunk) => ({ ops: chunk, run: (ctx: CallContext) => runInRegions(chunk, resolver, send, ctx) })),
  )
}

const destinationBucket = (o: IndexedOperation) => (o.op.op === 'copy' || o.op.op === 'move' ? o.op.destination.bucket : undefined)

async function runInRegions(chunk: IndexedOperation[], resolver: QiniuRegionResolver, send: SendBatch, ctx: CallContext): Promise<Outcome[]> {
  const buckets = [...new Set(chunk.flatMap((o) => [o.op.bucket, destinationBucket(o) ?? o.op.bucket]))]
  const found = new Map<string, RegionLookup>(await mapBounded(buckets, LOOKUPS_IN_FLIGHT, async (b) => [b, await resolver.lookup(b, ctx.signal)] as const))

  const outcomes = new Array<Outcome>(chunk.length)
  const byRs = new Map<string, number[]>()
  chunk.forEach((o, i) => {
    const source = found.get(o.op.bucket)!
    if (!source.ok) return void (outcomes[i] = source.outcome)
    const destBucket = destinationBucket(o)
    if (destBucket !== undefined) {
      const dest = found.get(destBucket)!
      if (!dest.ok) return void (outcomes[i] = dest.outcome)
      // Qiniu copies and moves only within a region; refused here rather than sent to fail there.
      if (dest.hosts.rs !== source.hosts.rs) {
        const where = (b: string, r: { region?: string; rs: string }) => `"${b}" is in ${r.region ? `region ${r.region}` : r.rs}`
        return void (outcomes[i] = failure('InvalidArgument', `Qiniu cannot ${o.op.op} between regions: ${where(o.op.bucket, source.hosts)}, ${where(destBucket, dest.hosts)}`))
      }
    }
    let indexes = byRs.get(source.hosts.rs)
    if (!indexes) byRs.set(source.hosts.rs, (indexes = []))
    indexes.push(i)
  })

  await Promise.all(
    [...byRs].map(async ([rs, indexes]) => {
      const ops = indexes.map((i) => chunk[i]!)
      let answers: Outcome[]
      try {
        answers = await send(ops, rs, ctx)
      } catch (err) {
        // Caught per region: the other regions' calls may have been applied and must not be
        // retried with this one (the engine retries a thrown call as a whole).
        answers = ops.map(() => transportFailure(err, ctx.signal))
      }
      indexes.forEach((i, j) => (outcomes[i] = answers[j] ?? failure('ProviderError', 'Qiniu answered fewer results than operations')))
    }),
  )
  return outcomes
}

function transportFailure(err: unknown, signal: AbortSignal): Outcome {
  const timedOut = signal.aborted || (err instanceof Error && err.name === 'TimeoutError')
  return {
    kind: 'retry',
    error: timedOut
      ? { code: 'Timeout', message: 'no answer from Qiniu in time' }
      : { code: 'ProviderError', message: `network error: ${err instanceof Error ? err.message : String(err)}` },
  }
}
