import { failure } from '../../engine/engine.ts'
import { chunksOf } from '../../engine/pool.ts'
import type { IndexedOperation, Outcome, PlannedCall, ProviderAdapter, ValidationIssue } from '../../engine/types.ts'
import type { Operation, OpKind } from '../../schemas/operation.ts'
import { checkKeyDestination } from '../key-destination.ts'
import type { RestDeps } from './rest-client.ts'
import { MULTI_DELETE_LIMIT, multiDelete } from './rest-delete.ts'
import type { RestDialect } from './rest-dialect.ts'
import * as ops from './rest-object-ops.ts'
import { createRestLister } from './rest-list.ts'
import { createRestObjects, type RestObjectsOptions } from './rest-objects.ts'

const KINDS: ReadonlySet<OpKind> = new Set<OpKind>([
  'stat', 'copy', 'move', 'delete', 'restore', 'setMetadata', 'setStorageClass', 'putTagging', 'deleteTagging', 'putAcl',
])
// eslint-disable-next-line no-control-regex
const HEADER_SAFE = /^[\u0020-\u007e]*$/

/**
 * Keys whose '.' or '..' segments a URL would resolve away cannot be addressed in a path. Checked
 * without splitting the key (this runs for every key of a batch): a key with no '.' has none.
 */
const hasDotSegment = (key: string) => {
  if (!key.includes('.')) return false
  const padded = `/${key}/`
  return padded.includes('/./') || padded.includes('/../')
}

/**
 * The S3-style REST adapter behind `s3`, `ctyun` and `oss`: deletes grouped into multi-delete
 * calls of up to 1,000 keys per bucket, every other kind one call (or two: HEAD then copy); and
 * for batch jobs whole-object reads and writes (`objects`) and paged listing (`lister`).
 */
export function createRestAdapter(dialect: RestDialect, deps: RestDeps, opts: RestObjectsOptions = {}): ProviderAdapter {
  return {
    provider: dialect.provider,
    objects: createRestObjects(dialect, deps, opts),
    lister: createRestLister(dialect, deps),
    supports: (kind) => KINDS.has(kind),
    check: (op) => checkRestOperation(dialect, op),
    plan(list) {
      const calls: PlannedCall[] = []
      const deletes = new Map<string, IndexedOperation[]>()
      for (const o of list) {
        if (o.op.op !== 'delete') {
          calls.push({ ops: [o], run: async (call) => [await runOne(dialect, deps, o, call)] })
          continue
        }
        // Appended in place: copying the group per key made planning 1,000 deletes quadratic.
        const group = deletes.get(o.op.bucket)
        if (group) group.push(o)
        else deletes.set(o.op.bucket, [o])
      }
      for (const [bucket, group] of deletes)
        for (const chunk of chunksOf(group, MULTI_DELETE_LIMIT)) calls.push({ ops: chunk, run: (call) => multiDelete(dialect, deps, bucket, chunk, call) })
      return calls
    },
  }
}

function runOne(dialect: RestDialect, deps: RestDeps, o: IndexedOperation, call: Parameters<PlannedCall['run']>[0]): Promise<Outcome> {
  const c = { dialect, deps, call }
  const op = o.op
  switch (op.op) {
    case 'stat':
      return ops.stat(c, op)
    case 'copy':
    case 'move':
      return ops.copyOrMove(c, { ...o, op })
    case 'setMetadata':
      return ops.setMetadata(c, op)
    case 'setStorageClass':
      return ops.setStorageClass(c, op)
    case 'restore':
      return ops.restore(c, op)
    case 'putTagging':
      return ops.putTagging(c, op)
    case 'deleteTagging':
      return ops.deleteTagging(c, op)
    case 'putAcl':
      return ops.putAcl(c, op)
    default:
      return Promise.resolve(failure('NotSupported', `${dialect.provider} cannot ${op.op}`))
  }
}

/** What an S3-style store cannot take, refused before anything runs. */
const NO_ISSUES: readonly ValidationIssue[] = Object.freeze([])

export function checkRestOperation(dialect: RestDialect, op: Operation): readonly ValidationIssue[] {
  // The everyday operation has nothing to say: answered without building anything (this runs for
  // every operation of every batch).
  if ((op.op === 'delete' || op.op === 'stat') && !hasDotSegment(op.key)) return NO_ISSUES
  const issues: ValidationIssue[] = checkKeyDestination(op)
  const dots = `${dialect.label} object URLs cannot carry "." or ".." path segments`
  if (hasDotSegment(op.key)) issues.push({ path: ['key'], message: dots })
  switch (op.op) {
    case 'copy':
    case 'move':
      if (op.destination.key !== undefined && hasDotSegment(op.destination.key)) issues.push({ path: ['destination', 'key'], message: dots })
      break
    case 'setMetadata':
      // Metadata travels in headers, which carry ASCII only.
      if (op.contentType !== undefined && !HEADER_SAFE.test(op.contentType)) issues.push({ path: ['contentType'], message: 'must be printable ASCII' })
      for (const [k, v] of Object.entries(op.metadata ?? {}))
        if (!HEADER_SAFE.test(v)) issues.push({ path: ['metadata', k], message: `${dialect.label} metadata values must be printable ASCII` })
      break
    case 'setStorageClass':
      if (!dialect.storageClasses[op.storageClass]) issues.push({ path: ['storageClass'], message: `${dialect.label} has no ${op.storageClass} class` })
      break
    case 'putAcl':
      if (!dialect.acls[op.acl]) issues.push({ path: ['acl'], message: `${dialect.label} has no "${op.acl}" ACL` })
      break
  }
  return issues
}
