import { failure } from '../../engine/engine.ts'
import { chunksOf } from '../../engine/pool.ts'
import type { IndexedOperation, Outcome, PlannedCall, ProviderAdapter } from '../../engine/types.ts'
import type { OperationOf, OpKind } from '../../schemas/operation.ts'
import { checkKeyDestination } from '../key-destination.ts'
import type { R2BucketLike, R2ObjectBodyLike, R2ObjectLike } from './r2-bucket.ts'
import { createR2Lister } from './r2-list.ts'
import { createR2Objects } from './r2-objects.ts'

/** R2's multi-delete takes at most 1,000 keys. */
export const R2_DELETE_LIMIT = 1000
const KINDS: ReadonlySet<OpKind> = new Set<OpKind>(['stat', 'copy', 'move', 'delete', 'setMetadata'])
// Local R2 reports an empty storage class for the default, Standard.
const STORAGE_CLASSES: Record<string, string> = { '': 'STANDARD', Standard: 'STANDARD', InfrequentAccess: 'IA' }

/** Resolves a bucket name of the account to its binding, or undefined when the account has none. */
export type R2BucketResolver = (bucket: string) => R2BucketLike | undefined

/** Cloudflare R2 through the Worker's bindings: per-object calls, deletes grouped per bucket. */
export function createR2Adapter(resolve: R2BucketResolver): ProviderAdapter {
  return {
    provider: 'r2',
    objects: createR2Objects(resolve),
    lister: createR2Lister(resolve),
    supports: (kind) => KINDS.has(kind),
    check(op) {
      const issues = checkKeyDestination(op)
      if (op.versionId !== undefined) issues.push({ path: ['versionId'], message: 'R2 objects have no versions' })
      return issues
    },
    plan(ops) {
      const calls: PlannedCall[] = []
      const deletes = new Map<string, IndexedOperation[]>()
      for (const o of ops) {
        if (o.op.op !== 'delete') {
          calls.push({ ops: [o], run: async () => [await runOne(resolve, o)] })
          continue
        }
        const group = deletes.get(o.op.bucket) ?? []
        group.push(o)
        deletes.set(o.op.bucket, group)
      }
      for (const [bucket, group] of deletes)
        for (const chunk of chunksOf(group, R2_DELETE_LIMIT)) calls.push({ ops: chunk, run: () => runDelete(resolve(bucket), chunk) })
      return calls
    },
  }
}

const noBucket = (bucket: string) => failure('NoSuchBucket', `the account has no bucket "${bucket}"`)

async function runDelete(bucket: R2BucketLike | undefined, ops: IndexedOperation[]): Promise<Outcome[]> {
  if (!bucket) return ops.map((o) => noBucket(o.op.bucket))
  await bucket.delete(ops.map((o) => o.op.key))
  // R2 does not say whether a key existed; a missing key counts as deleted (§5).
  return ops.map(() => ({ kind: 'done', status: 200 }))
}

async function runOne(resolve: R2BucketResolver, o: IndexedOperation): Promise<Outcome> {
  const op = o.op
  const bucket = resolve(op.bucket)
  if (!bucket) return noBucket(op.bucket)
  switch (op.op) {
    case 'stat': {
      const head = await bucket.head(op.key)
      return head ? { kind: 'done', status: 200, data: statData(head) } : failure('NoSuchKey', 'the object does not exist')
    }
    case 'copy':
    case 'move':
      return copyOrMove(resolve, bucket, op, o.attempt)
    case 'setMetadata':
      return setMetadata(bucket, op)
    default:
      return failure('NotSupported', `r2 cannot ${op.op}`)
  }
}

function statData(o: R2ObjectLike): Record<string, unknown> {
  return {
    size: o.size,
    etag: o.etag,
    contentType: o.httpMetadata?.contentType ?? 'application/octet-stream',
    lastModified: o.uploaded.toISOString(),
    storageClass: STORAGE_CLASSES[o.storageClass] ?? o.storageClass,
    metadata: o.customMetadata ?? {},
  }
}

const hasBody = (o: R2ObjectLike | R2ObjectBodyLike | null): o is R2ObjectBodyLike => !!o && 'body' in o

async function copyOrMove(resolve: R2BucketResolver, source: R2BucketLike, op: OperationOf<'copy'> | OperationOf<'move'>, attempt: number): Promise<Outcome> {
  const destKey = op.destination.key as string
  const target = resolve(op.destination.bucket)
  if (!target) return noBucket(op.destination.bucket)
  const same = op.destination.bucket === op.bucket && destKey === op.key
  const object = await source.get(op.key)
  if (!hasBody(object)) {
    // A retried move whose source is gone while its destination exists: the earlier attempt, whose
    // answer was lost (a binding call that threw after its write), already moved it. (A source that
    // never existed beside an existing destination looks the same; nothing changed either way.)
    if (op.op === 'move' && attempt > 1 && (await target.head(destKey))) return { kind: 'done', status: 200 }
    return failure('NoSuchKey', 'the source object does not exist')
  }
  if (same) {
    await object.body.cancel()
    return op.overwrite ? { kind: 'done', status: 200 } : failure('DestinationExists', 'the destination is the source and overwrite is false')
  }
  let copied = false
  if (op.overwrite !== true) {
    const existing = await target.head(destKey)
    // On a retry the destination may be this operation's own earlier copy whose answer was lost:
    // the same etag means the copy already happened (for a move only the source delete is left).
    if (existing && !(attempt > 1 && existing.etag === object.etag)) {
      await object.body.cancel()
      return failure('DestinationExists', 'the destination exists and overwrite is false')
    }
    copied = !!existing
  }
  if (copied) await object.body.cancel()
  else {
    const put = await target.put(destKey, object.body, {
      ...(object.httpMetadata ? { httpMetadata: object.httpMetadata } : {}),
      ...(object.customMetadata ? { customMetadata: object.customMetadata } : {}),
      // overwrite false is kept by R2 itself, not only by the head above: an object written there
      // between the head and this put makes the put refuse (null) rather than replace it.
      ...(op.overwrite !== true ? { onlyIf: { etagDoesNotMatch: '*' } } : {}),
    })
    if (put === null) return failure('DestinationExists', 'the destination exists and overwrite is false')
  }
  // A move deletes its source only once the copy is in place.
  if (op.op === 'move') await source.delete(op.key)
  return { kind: 'done', status: 200 }
}

async function setMetadata(bucket: R2BucketLike, op: OperationOf<'setMetadata'>): Promise<Outcome> {
  const object = await bucket.get(op.key)
  if (!hasBody(object)) return failure('NoSuchKey', 'the object does not exist')
  const httpMetadata = { ...object.httpMetadata, ...(op.contentType !== undefined ? { contentType: op.contentType } : {}) }
  // Metadata given replaces the object's user metadata, like S3's REPLACE directive.
  const customMetadata = op.metadata ?? object.customMetadata ?? {}
  await bucket.put(op.key, object.body, { httpMetadata, customMetadata })
  return { kind: 'done', status: 200 }
}
