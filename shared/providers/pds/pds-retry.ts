import type { CallContext, IndexedOperation, Outcome } from '../../engine/types.ts'
import type { OperationOf } from '../../schemas/operation.ts'
import type { PdsAccount } from './pds-account.ts'
import type { PdsDeps } from './pds-adapter.ts'
import { isThrottle, pdsErrorDetail } from './pds-codes.ts'
import { buildPdsListRequest, parsePdsListAnswer, PDS_LIST_CALL_LIMIT } from './pds-list.ts'
import { subRequest, type PdsSubRequest } from './pds-ops.ts'

/** One child response of `/v2/batch`. */
export interface PdsSubResponse {
  status: number
  body?: unknown
}

/** Sends `/file/get` child requests in one `/v2/batch`: the responses by id, or the outcome the whole call had. May throw. */
export type PdsGetFiles = (requests: PdsSubRequest[]) => Promise<Map<string, PdsSubResponse> | Outcome>

/** Folder pages read to find a retried copy's own earlier copy: 2,000 entries, bounded subrequests. */
const MAX_LIST_CALLS = 20

type CopyOrMove = OperationOf<'copy'> | OperationOf<'move'>
interface Check {
  i: number
  op: CopyOrMove
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const codeOf = (o: Outcome | undefined) => (o?.kind === 'done' ? o.error?.code : undefined)
const ok = (fileId: string, driveId: string): Outcome => ({ kind: 'done', status: 200, data: { fileId, driveId } })

/**
 * What a retried copy or move learns from PDS when an earlier attempt's answer was lost (a dropped
 * connection, a timeout, an unreadable 200): PDS may have applied it. Only retries are checked.
 *
 * - A **move** keeps its file id. Retried, it is refused (`AlreadyExist`: its own file now holds the
 *   name in the destination folder) or not found (a move to another drive took the file there). If
 *   `/file/get` finds that very file id in the destination folder (and under the asked name), the
 *   earlier attempt moved it: success. File ids make this exact — no other file can be that one.
 * - A **copy** with `auto_rename: false` is refused when the earlier copy landed. It is ours when the
 *   destination folder holds a file of that name with the source's content hash and size (the folder
 *   is listed once for all retried copies into it, at most 2,000 entries); the answer then names that
 *   copy's file id. Otherwise it stays DestinationExists, and the same-named file was not touched.
 *
 * When a check cannot be made (the check's own calls fail), the operation is left to retry rather
 * than reported either way.
 */
export async function settlePdsRetries(account: PdsAccount, deps: PdsDeps, ops: readonly IndexedOperation[], outcomes: (Outcome | undefined)[], getFiles: PdsGetFiles, ctx: CallContext): Promise<void> {
  const moves: Check[] = []
  const copies: Check[] = []
  ops.forEach((o, i) => {
    if (o.attempt <= 1) return
    const code = codeOf(outcomes[i])
    if (o.op.op === 'move' && (code === 'DestinationExists' || code === 'NoSuchKey')) moves.push({ i, op: o.op })
    else if (o.op.op === 'copy' && code === 'DestinationExists') copies.push({ i, op: o.op })
  })
  if (moves.length + copies.length === 0) return

  // One /v2/batch of gets: each retried move's file where it would be now, each retried copy's source.
  const gets = [
    ...moves.map((c) => subRequest(`m${c.i}`, '/file/get', { drive_id: c.op.destination.bucket, file_id: c.op.key })),
    ...copies.map((c) => subRequest(`c${c.i}`, '/file/get', { drive_id: c.op.bucket, file_id: c.op.key })),
  ]
  let files: Map<string, PdsSubResponse> | Outcome
  try {
    files = await getFiles(gets)
  } catch (err) {
    files = unchecked(`the file lookup failed: ${err instanceof Error ? err.message : String(err)}`)
  }
  const got = (id: string): PdsSubResponse | Outcome => (files instanceof Map ? (files.get(id) ?? unchecked('no answer for the file lookup')) : files)

  for (const c of moves) {
    const r = got(`m${c.i}`)
    if ('kind' in r) outcomes[c.i] = r.kind === 'retry' ? r : outcomes[c.i]
    else if (r.status >= 200 && r.status < 300 && isRecord(r.body)) {
      const d = c.op.destination
      if (r.body.parent_file_id === d.parentFileId && (d.name === undefined || r.body.name === d.name)) outcomes[c.i] = ok(c.op.key, d.bucket)
    } else if (retriable(r)) outcomes[c.i] = unchecked(`the file lookup answered ${r.status}`)
  }

  // Copies: the source's name and content, then one listing per destination folder.
  const wanted = new Map<string, { c: Check; name: string; hash: string; size: number }[]>()
  for (const c of copies) {
    const r = got(`c${c.i}`)
    if ('kind' in r) {
      if (r.kind === 'retry') outcomes[c.i] = r
      continue
    }
    if (r.status < 200 || r.status > 299) {
      if (retriable(r)) outcomes[c.i] = unchecked(`the source lookup answered ${r.status}`)
      continue
    }
    const body = isRecord(r.body) ? r.body : {}
    // A folder has no content hash to compare: its copy stays refused.
    if (body.type !== 'file' || typeof body.content_hash !== 'string' || body.content_hash === '' || typeof body.name !== 'string') continue
    const d = c.op.destination
    const folder = `${d.bucket}\u0000${d.parentFileId}`
    const list = wanted.get(folder) ?? []
    list.push({ c, name: d.name ?? body.name, hash: body.content_hash, size: Number(body.size) })
    wanted.set(folder, list)
  }
  for (const [folder, checks] of wanted) {
    const [driveId, parent] = folder.split('\u0000') as [string, string]
    const found = await filesNamed(account, deps, driveId, parent, new Set(checks.map((w) => w.name)), ctx)
    for (const w of checks) {
      if (!Array.isArray(found)) {
        if (found !== 'too-many') outcomes[w.c.i] = found
        continue
      }
      const ours = found.find((f) => f.name === w.name && f.etag === w.hash && f.size === w.size)
      if (ours) outcomes[w.c.i] = ok(ours.key, driveId)
    }
  }
}

/** Files of one folder with one of `names`, or 'too-many' past the listing bound, or a retry outcome. */
async function filesNamed(account: PdsAccount, deps: PdsDeps, driveId: string, folder: string, names: Set<string>, ctx: CallContext) {
  // Called unbound: workerd refuses its global fetch called as a method of another object.
  const send = deps.fetch
  const found: { key: string; name?: string; etag?: string; size: number }[] = []
  let marker = ''
  for (let calls = 0; calls < MAX_LIST_CALLS; calls++) {
    let status: number
    let json: unknown
    try {
      const response = await send(buildPdsListRequest(account, driveId, folder, marker, PDS_LIST_CALL_LIMIT), { signal: ctx.signal })
      status = response.status
      json = JSON.parse(await response.text())
    } catch (err) {
      return unchecked(`listing the destination folder failed: ${err instanceof Error ? err.message : String(err)}`)
    }
    if (status !== 200) return unchecked(`listing the destination folder answered ${status}`)
    let page: ReturnType<typeof parsePdsListAnswer>
    try {
      page = parsePdsListAnswer(json)
    } catch (err) {
      return unchecked((err as Error).message)
    }
    for (const f of page.files) if (f.name !== undefined && names.has(f.name)) found.push(f)
    if (page.nextMarker === '') return found
    marker = page.nextMarker
  }
  return 'too-many' as const
}

function retriable(r: PdsSubResponse): boolean {
  return r.status >= 500 || isThrottle(r.status, pdsErrorDetail(r.status, r.body).code)
}

function unchecked(why: string): Outcome {
  return { kind: 'retry', error: { code: 'ProviderError', message: `could not check whether an earlier attempt was applied (${why})` } }
}
