/**
 * Qiniu answers 612 to a delete of a key that does not exist, and Qiniu applications rely on it.
 * The unified result says so only where the provider does (`data.existed: false` on Qiniu and
 * PDS); an S3 or OSS multi-delete and an R2 delete succeed without telling. For those, the dialect
 * stats the keys to delete first and deletes only the ones that exist: a missing key answers 612
 * and is not sent at all. That costs one stat per delete on those providers.
 *
 * Keys that another op of the same batch copies or moves onto are deleted without the check: the
 * batch itself may create them, so "missing" could be wrong. (Ops of one batch run concurrently,
 * on Qiniu as here; a batch should not make one op depend on another.)
 */
import type { OperationResult } from '../engine/types.ts'
import type { Operation } from '../schemas/operation.ts'

/** Providers whose delete result already says whether the key existed. */
const REPORTS_EXISTENCE: ReadonlySet<string> = new Set(['qiniu', 'pds'])

/** Runs operations through the engine (POST /v1/batch's path), results in order. */
export type RunOperations = (operations: readonly Operation[]) => Promise<readonly OperationResult[]>

/** Runs the batch so that every delete of a missing key ends as `existed: false`, on any provider. */
export async function runWithMissingDeletes(provider: string, operations: readonly Operation[], run: RunOperations): Promise<OperationResult[]> {
  if (REPORTS_EXISTENCE.has(provider)) return [...(await run(operations))]
  const written = new Set(operations.flatMap((o) => (o.op === 'copy' || o.op === 'move' ? [entryOf(o.destination.bucket, o.destination.key ?? '')] : [])))
  const checked = operations.flatMap((o, i) => (o.op === 'delete' && !written.has(entryOf(o.bucket, o.key)) ? [i] : []))
  if (checked.length === 0) return [...(await run(operations))]

  const stats = await run(checked.map((i) => statOf(operations[i]!)))
  const missing = new Set(checked.filter((_, j) => stats[j]?.error?.code === 'NoSuchKey'))
  const sent = operations.flatMap((o, i) => (missing.has(i) ? [] : [{ o, i }]))
  const answered = sent.length > 0 ? await run(sent.map((s) => s.o)) : []

  const results = new Array<OperationResult>(operations.length)
  sent.forEach(({ o, i }, j) => (results[i] = { ...answered[j]!, id: idOf(o, i) }))
  for (const i of missing) results[i] = { id: idOf(operations[i]!, i), op: 'delete', status: 200, data: { existed: false } }
  return results
}

const entryOf = (bucket: string, key: string) => JSON.stringify([bucket, key])
// The engine names a result by its index in what it was given; the answer names the caller's index.
const idOf = (o: Operation, i: number) => o.id ?? String(i)

function statOf(o: Operation): Operation {
  return { op: 'stat', bucket: o.bucket, key: o.key, ...(o.versionId !== undefined ? { versionId: o.versionId } : {}) }
}
