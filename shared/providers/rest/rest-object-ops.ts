import type { CallContext, IndexedOperation, Outcome } from '../../engine/types.ts'
import type { OperationOf } from '../../schemas/operation.ts'
import { buildXml } from '../../xml/xml.ts'
import { sendRest, type RestAnswer, type RestDeps } from './rest-client.ts'
import { parseErrorDocument, restErrorOutcome } from './rest-codes.ts'
import type { RestDialect } from './rest-dialect.ts'
import { statFromHeaders } from './rest-stat.ts'

type Ctx = { dialect: RestDialect; deps: RestDeps; call: CallContext }

const versionQuery = (versionId: string | undefined): [string, string][] => (versionId ? [['versionId', versionId]] : [])
const ok = (status = 200, data?: Record<string, unknown>): Outcome => ({ kind: 'done', status, ...(data ? { data } : {}) })

function errorOf(c: Ctx, answer: RestAnswer): Outcome {
  return restErrorOutcome(c.dialect.label, answer.status, parseErrorDocument(answer.body), answer.headers.get('Retry-After'))
}

/** A 2xx whose body is an `<Error>` document (S3 copy can answer so) is still a failure. */
function checked(c: Ctx, answer: RestAnswer, success: () => Outcome): Outcome {
  if (answer.status < 200 || answer.status > 299) return errorOf(c, answer)
  const doc = parseErrorDocument(answer.body)
  return doc ? restErrorOutcome(c.dialect.label, 500, doc) : success()
}

/**
 * A copy's 2xx must carry its `<CopyObjectResult>` (S3, CTYun and OSS all send one). Anything else
 * (a cut-off or foreign body from a proxy) leaves it unknown whether the copy ran: retried, never
 * reported as done — the retry checks below keep sending it again safe.
 */
function copyChecked(c: Ctx, answer: RestAnswer): Outcome {
  return checked(c, answer, () =>
    answer.body.includes('<CopyObjectResult')
      ? ok()
      : { kind: 'retry', error: { code: 'ProviderError', message: `${c.dialect.label} answered a copy with an unreadable body`, provider: { code: String(answer.status) } } },
  )
}

const head = (c: Ctx, bucket: string, key: string, versionId?: string) =>
  sendRest(c.dialect, c.deps, { method: 'HEAD', bucket, key, query: versionQuery(versionId) }, c.call)

export async function stat(c: Ctx, op: OperationOf<'stat'>): Promise<Outcome> {
  const answer = await head(c, op.bucket, op.key, op.versionId)
  return checked(c, answer, () => ok(200, statFromHeaders(c.dialect, answer.headers)))
}

/** PUT with a copy source; `extra` carries metadata directive, class, and the no-overwrite guard. */
async function putCopy(c: Ctx, src: { bucket: string; key: string; versionId?: string | undefined }, dest: { bucket: string; key: string }, extra: Record<string, string>) {
  const headers = { [`${c.dialect.prefix}copy-source`]: c.dialect.copySource(src.bucket, src.key, src.versionId), ...extra }
  return sendRest(c.dialect, c.deps, { method: 'PUT', bucket: dest.bucket, key: dest.key, headers }, c.call)
}

/**
 * Copy, and for a move the delete of the source once the copy is in place. On a retry (the answer
 * to an earlier attempt was lost, so it may have been applied):
 * - an existing destination with the source's ETag is this operation's own earlier copy, so it is
 *   not reported as DestinationExists (a different object is: the guard header left it untouched);
 * - a move whose source is gone while its destination exists was completed by the earlier attempt
 *   (copy and delete both landed): the state a finished move leaves. It could also be a source that
 *   never existed beside a destination that did, which nothing here can tell apart without a HEAD
 *   before every first attempt; then "moved" is reported where NoSuchKey was due, and no object
 *   changed either way.
 */
export async function copyOrMove(c: Ctx, o: IndexedOperation & { op: OperationOf<'copy'> | OperationOf<'move'> }): Promise<Outcome> {
  const op = o.op
  const dest = { bucket: op.destination.bucket, key: op.destination.key as string }
  const guard = op.overwrite === true ? {} : c.dialect.noOverwriteHeaders
  const copied = await putCopy(c, op, dest, { ...guard, [`${c.dialect.prefix}metadata-directive`]: 'COPY' })
  let outcome = copyChecked(c, copied)
  if (outcome.kind === 'done' && outcome.error?.code === 'DestinationExists' && o.attempt > 1) {
    const [source, target] = await Promise.all([head(c, op.bucket, op.key, op.versionId), head(c, dest.bucket, dest.key)])
    if (source.status === 200 && target.status === 200 && source.headers.get('ETag') === target.headers.get('ETag')) outcome = ok()
    else {
      // A HEAD that failed retriably leaves it unknown whether the destination is our copy: try again.
      const unknown = [source, target].map((h) => (h.status === 200 || h.status === 404 ? undefined : errorOf(c, h))).find((x) => x?.kind === 'retry')
      if (unknown) return unknown
    }
  } else if (outcome.kind === 'done' && outcome.error?.code === 'NoSuchKey' && op.op === 'move' && o.attempt > 1) {
    const target = await head(c, dest.bucket, dest.key)
    if (target.status === 200) return ok()
    // A HEAD that failed retriably leaves the move's state unknown: try the whole move again.
    const unknown = errorOf(c, target)
    if (unknown.kind === 'retry') return unknown
  }
  if (op.op === 'copy' || outcome.kind !== 'done' || outcome.error) return outcome
  const removed = await sendRest(c.dialect, c.deps, { method: 'DELETE', bucket: op.bucket, key: op.key, query: versionQuery(op.versionId) }, c.call)
  // The copy landed; a failed source delete is retried as a whole move, which the check above keeps safe.
  return removed.status === 404 ? ok() : checked(c, removed, () => ok())
}

/** Copy in place with REPLACE: what is not given keeps its current value (read with HEAD first). */
export async function setMetadata(c: Ctx, op: OperationOf<'setMetadata'>): Promise<Outcome> {
  const current = await head(c, op.bucket, op.key, op.versionId)
  if (current.status !== 200) return errorOf(c, current)
  const now = statFromHeaders(c.dialect, current.headers)
  const metadata = op.metadata ?? (now.metadata as Record<string, string>)
  const headers: Record<string, string> = {
    [`${c.dialect.prefix}metadata-directive`]: 'REPLACE',
    'Content-Type': op.contentType ?? String(now.contentType),
  }
  // Without the class, a copy in place would also move the object to the default class.
  const providerClass = current.headers.get(`${c.dialect.prefix}storage-class`)
  if (providerClass) headers[`${c.dialect.prefix}storage-class`] = providerClass
  for (const [k, v] of Object.entries(metadata)) headers[`${c.dialect.prefix}meta-${k.toLowerCase()}`] = v
  return copyChecked(c, await putCopy(c, op, op, headers))
}

export async function setStorageClass(c: Ctx, op: OperationOf<'setStorageClass'>): Promise<Outcome> {
  const headers = { [`${c.dialect.prefix}metadata-directive`]: 'COPY', [`${c.dialect.prefix}storage-class`]: c.dialect.storageClasses[op.storageClass] as string }
  return copyChecked(c, await putCopy(c, op, op, headers))
}

/** 202 when a restore started (or is under way), 200 when the object is already restored. */
export async function restore(c: Ctx, op: OperationOf<'restore'>): Promise<Outcome> {
  const request = { Days: String(op.days), ...(op.tier ? { [c.dialect.restoreJobElement]: { Tier: op.tier } } : {}) }
  const answer = await sendRest(c.dialect, c.deps, { method: 'POST', bucket: op.bucket, key: op.key, query: [['restore', ''], ...versionQuery(op.versionId)], xml: buildXml({ RestoreRequest: request }) }, c.call)
  if (answer.status === 409 && parseErrorDocument(answer.body)?.code === 'RestoreAlreadyInProgress') return ok(202)
  return checked(c, answer, () => ok(answer.status === 202 ? 202 : 200))
}

export async function putTagging(c: Ctx, op: OperationOf<'putTagging'>): Promise<Outcome> {
  const Tag = Object.entries(op.tags).map(([Key, Value]) => ({ Key, Value }))
  const xml = buildXml({ Tagging: { TagSet: Tag.length > 0 ? { Tag } : '' } })
  const answer = await sendRest(c.dialect, c.deps, { method: 'PUT', bucket: op.bucket, key: op.key, query: [['tagging', ''], ...versionQuery(op.versionId)], xml }, c.call)
  return checked(c, answer, () => ok())
}

export async function deleteTagging(c: Ctx, op: OperationOf<'deleteTagging'>): Promise<Outcome> {
  const answer = await sendRest(c.dialect, c.deps, { method: 'DELETE', bucket: op.bucket, key: op.key, query: [['tagging', ''], ...versionQuery(op.versionId)] }, c.call)
  return checked(c, answer, () => ok())
}

export async function putAcl(c: Ctx, op: OperationOf<'putAcl'>): Promise<Outcome> {
  const headers = { [c.dialect.aclHeader]: c.dialect.acls[op.acl] as string }
  const answer = await sendRest(c.dialect, c.deps, { method: 'PUT', bucket: op.bucket, key: op.key, query: [['acl', ''], ...versionQuery(op.versionId)], headers }, c.call)
  return checked(c, answer, () => ok())
}

export type { Ctx as RestCallContext }
