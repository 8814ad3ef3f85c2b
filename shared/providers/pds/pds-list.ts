import { fromBase64Url, toBase64Url, utf8, utf8Decode } from '../../crypto/encoding.ts'
import { ObjectIOError, type ListedObject, type ListPage, type ObjectLister } from '../../engine/types.ts'
import type { PdsAccount } from './pds-account.ts'
import type { PdsDeps } from './pds-adapter.ts'
import { isThrottle, pdsErrorDetail } from './pds-codes.ts'

/** `/v2/file/list` answers at most 100 items a call. */
export const PDS_LIST_CALL_LIMIT = 100
/** Objects a page holds when the caller does not say (the other providers' page size). */
export const PDS_PAGE_LIMIT = 1000
/**
 * Provider calls one page may make. A tree of many folders holding few files would otherwise
 * need unbounded calls (and a Worker's subrequest budget) for one page: the page then ends short,
 * possibly empty, with a cursor that carries on where it stopped.
 */
export const PDS_CALLS_PER_PAGE = 50

/**
 * Where a recursive listing stands: the folder being listed, PDS's marker inside it ('' = from its
 * start), and the folders found but not yet listed (a stack: the newest first, so the walk goes
 * deep before wide and the stack stays near the tree's depth times its fan-out).
 */
export interface PdsListState {
  folder: string
  marker: string
  pending: string[]
}

/** The opaque cursor of a state: base64url of its JSON. */
export function encodePdsCursor(s: PdsListState): string {
  return toBase64Url(utf8(JSON.stringify({ f: s.folder, m: s.marker, q: s.pending })))
}

export function decodePdsCursor(cursor: string): PdsListState {
  try {
    const v = JSON.parse(utf8Decode(fromBase64Url(cursor))) as { f?: unknown; m?: unknown; q?: unknown }
    if (typeof v.f !== 'string' || v.f === '' || typeof v.m !== 'string' || !Array.isArray(v.q) || !v.q.every((x) => typeof x === 'string' && x !== ''))
      throw new Error('bad shape')
    return { folder: v.f, marker: v.m, pending: v.q as string[] }
  } catch {
    throw new ObjectIOError('InvalidArgument', 'the listing cursor is not one this PDS lister made', false)
  }
}

/** The `/v2/file/list` request for one folder page; exported so tests can read the exact bytes. */
export function buildPdsListRequest(account: PdsAccount, driveId: string, folder: string, marker: string, limit: number): Request {
  const body: Record<string, unknown> = { drive_id: driveId, parent_file_id: folder, limit }
  if (marker !== '') body.marker = marker
  return new Request(`${account.endpoint}/v2/file/list`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${account.accessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
}

interface ListItem {
  file_id?: unknown
  name?: unknown
  type?: unknown
  size?: unknown
  created_at?: unknown
  updated_at?: unknown
  content_hash?: unknown
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const unreadable = (why: string) => new ObjectIOError('ProviderError', `PDS answered an unreadable file list (${why})`, true)

/** A `/v2/file/list` answer → the files of the page (folders go to `folders`) and the next marker. */
export function parsePdsListAnswer(json: unknown): { files: ListedObject[]; folders: string[]; nextMarker: string } {
  if (!isRecord(json) || !Array.isArray(json.items)) throw unreadable('no items')
  const files: ListedObject[] = []
  const folders: string[] = []
  for (const raw of json.items as ListItem[]) {
    if (!isRecord(raw) || typeof raw.file_id !== 'string' || raw.file_id === '') throw unreadable('an item without a file_id')
    if (raw.type === 'folder') {
      folders.push(raw.file_id)
      continue
    }
    const size = typeof raw.size === 'number' ? raw.size : Number(raw.size ?? 0)
    const time = new Date(String(raw.updated_at ?? raw.created_at ?? ''))
    const o: ListedObject = {
      key: raw.file_id,
      size: Number.isSafeInteger(size) && size >= 0 ? size : 0,
      lastModified: Number.isNaN(time.getTime()) ? '' : time.toISOString(),
    }
    if (typeof raw.name === 'string') o.name = raw.name
    if (typeof raw.content_hash === 'string' && raw.content_hash !== '') o.etag = raw.content_hash
    files.push(o)
  }
  const next = json.next_marker
  return { files, folders, nextMarker: typeof next === 'string' ? next : '' }
}

/**
 * A failed `/v2/file/list` → the unified error, or 'gone' for a sub-folder deleted since it was
 * found (nothing left to list there). The folder the job named missing is NoSuchKey.
 */
function listFailure(status: number, body: unknown, topFolder: boolean): ObjectIOError | 'gone' {
  const detail = pdsErrorDetail(status, body)
  const said = `${detail.code}${detail.message ? `: ${detail.message}` : ''}`
  if (isThrottle(status, detail.code)) return new ObjectIOError('Throttled', `PDS is rate limiting this domain (${said})`, true)
  if (status >= 500) return new ObjectIOError('ProviderError', `PDS answered ${status} (${said})`, true)
  if (detail.code.startsWith('NotFound.Drive')) return new ObjectIOError('NoSuchBucket', `the drive does not exist (${said})`, false)
  if (status === 404 || detail.code.startsWith('NotFound'))
    return topFolder ? new ObjectIOError('NoSuchKey', `the folder to list does not exist (${said})`, false) : 'gone'
  if (status === 401 || status === 403) return new ObjectIOError('AccessDenied', `PDS refused the token (${said})`, false)
  if (status === 400) return new ObjectIOError('InvalidArgument', `PDS refused the list request (${said})`, false)
  return new ObjectIOError('ProviderError', `PDS answered ${status} (${said})`, false)
}

function transportError(err: unknown, signal: AbortSignal | undefined): unknown {
  const reason: unknown = signal?.aborted ? signal.reason : err
  if (reason instanceof Error && reason.name === 'TimeoutError') return new ObjectIOError('Timeout', 'no answer from PDS in time', true)
  if (signal?.aborted) return signal.reason
  return new ObjectIOError('ProviderError', `network error talking to PDS: ${err instanceof Error ? err.message : String(err)}`, true)
}

/**
 * Lists every file under a folder of a drive, through its sub-folders (PDS lists one folder at a
 * time): `bucket` is the drive id, `prefix` the folder's file id ('' = the drive's root). Keys are
 * file ids, `name` the file name. The cursor holds the walk's whole state (see PdsListState), so a
 * job resumes from any page boundary.
 */
export function createPdsLister(account: PdsAccount, deps: PdsDeps): ObjectLister {
  async function listFolder(driveId: string, state: PdsListState, limit: number, topFolder: boolean, signal: AbortSignal | undefined) {
    // Called unbound: workerd refuses its global fetch called as a method of another object.
    const send = deps.fetch
    let text: string
    let status: number
    try {
      const response = await send(buildPdsListRequest(account, driveId, state.folder, state.marker, limit), signal ? { signal } : {})
      status = response.status
      text = await response.text()
    } catch (err) {
      throw transportError(err, signal)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    if (status !== 200) return listFailure(status, json, topFolder)
    return parsePdsListAnswer(json)
  }

  return {
    async list(bucket, prefix, cursor, opts = {}): Promise<ListPage> {
      if (bucket === '') throw new ObjectIOError('InvalidArgument', 'the drive id is empty', false)
      const top = prefix === '' ? 'root' : prefix
      const asked = opts.limit !== undefined && Number.isFinite(opts.limit) ? Math.floor(opts.limit) : PDS_PAGE_LIMIT
      const limit = Math.max(1, asked)
      let state: PdsListState = cursor === null ? { folder: top, marker: '', pending: [] } : decodePdsCursor(cursor)
      const objects: ListedObject[] = []
      for (let calls = 0; objects.length < limit && calls < PDS_CALLS_PER_PAGE; calls++) {
        const page = await listFolder(bucket, state, Math.min(PDS_LIST_CALL_LIMIT, limit - objects.length), state.folder === top, opts.signal)
        if (page instanceof ObjectIOError) throw page
        const marker = page === 'gone' ? '' : page.nextMarker
        const pending = page === 'gone' ? state.pending : [...state.pending, ...page.folders]
        if (page !== 'gone') objects.push(...page.files)
        if (marker !== '') state = { folder: state.folder, marker, pending }
        else {
          const folder = pending.pop()
          if (folder === undefined) return { objects, next: null }
          state = { folder, marker: '', pending }
        }
      }
      return { objects, next: encodePdsCursor(state) }
    },
  }
}
