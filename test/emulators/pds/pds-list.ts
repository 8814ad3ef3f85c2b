/**
 * `POST /v2/file/list` of the PDS emulator: one folder's children, page by page.
 *
 * Body `{drive_id, parent_file_id, marker?, limit?, type?, order_by?, order_direction?, fields?}`:
 *   - drive_id and parent_file_id are required non-empty strings (400 MissingParameter.* /
 *     InvalidParameter.*); parent_file_id is `root` or a folder of the drive (a file → 400
 *     InvalidParameter.ParentFileId; missing → 404 NotFound.File); a missing drive → 404
 *     NotFound.Drive.
 *   - limit: an integer 1..100, default 100 (else 400 InvalidParameter.Limit).
 *   - marker: '' or the previous answer's next_marker (opaque; else 400 InvalidParameter.Marker).
 *   - type: `file` or `folder` lists only those; order_by `name` (default), `created_at`,
 *     `updated_at` or `size`; order_direction `ASC` (default) or `DESC`; ties go by file id.
 *     (Defaults chosen here: PDS documents the parameters, not a stable default order.)
 *   - fields is accepted and ignored; any other field answers 400 InvalidParameter.
 * Answer 200 `{items: [file as /file/get answers it], next_marker}`; next_marker is '' after the
 * last page. Items are direct children only: a client walks sub-folders itself.
 */
import type { PdsFile } from '../control.ts'
import type { PdsStore, SubResult } from './pds-store.ts'
import { fileJson } from './pds-store.ts'

export const MAX_LIST_LIMIT = 100
const FIELDS = ['drive_id', 'parent_file_id', 'marker', 'limit', 'type', 'order_by', 'order_direction', 'fields']
const ORDER_BY = ['name', 'created_at', 'updated_at', 'size'] as const
type OrderBy = (typeof ORDER_BY)[number]

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const err = (status: number, code: string, message: string): SubResult => ({ status, body: { code, message } })
const invalid = (field: string, why: string) => err(400, `InvalidParameter.${field.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())}`, `${field}: ${why}`)

/** The sort value of a file for an order; compared as [value, fileId]. */
function sortValue(f: PdsFile, by: OrderBy): string | number {
  switch (by) {
    case 'name':
      return f.name
    case 'size':
      return f.type === 'file' ? f.size : 0
    default:
      return Date.parse(by === 'created_at' ? f.createdAt : f.updatedAt)
  }
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0)

/** The opaque marker after an item: base64url of its sort value and file id. */
const markerAfter = (f: PdsFile, by: OrderBy) => Buffer.from(JSON.stringify([sortValue(f, by), f.fileId])).toString('base64url')

function parseMarker(marker: string): [string | number, string] | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'))
    if (Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || typeof v[0] === 'number') && typeof v[1] === 'string') return [v[0], v[1]]
  } catch {
    // fall through
  }
  return undefined
}

/** One `/file/list` call against the store: its status and body. */
export function listFolder(store: PdsStore, body: unknown): SubResult {
  if (!isObj(body)) return err(400, 'InvalidParameter.Body', 'body must be a JSON object')
  for (const k of Object.keys(body)) if (!FIELDS.includes(k)) return invalid(k, '/file/list does not take this field')
  for (const k of ['drive_id', 'parent_file_id']) {
    if (body[k] === undefined) return err(400, `MissingParameter.${k === 'drive_id' ? 'DriveId' : 'ParentFileId'}`, `${k} is required`)
    if (typeof body[k] !== 'string' || body[k] === '') return invalid(k, 'must be a non-empty string')
  }
  const limit = body.limit ?? MAX_LIST_LIMIT
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) return invalid('limit', `must be an integer from 1 to ${MAX_LIST_LIMIT}`)
  const marker = body.marker ?? ''
  if (typeof marker !== 'string') return invalid('marker', 'must be a string')
  const type = body.type
  if (type !== undefined && type !== 'file' && type !== 'folder') return invalid('type', 'must be "file" or "folder"')
  const by = (body.order_by ?? 'name') as OrderBy
  if (!ORDER_BY.includes(by)) return invalid('order_by', `must be one of ${ORDER_BY.join(', ')}`)
  const direction = body.order_direction ?? 'ASC'
  if (direction !== 'ASC' && direction !== 'DESC') return invalid('order_direction', 'must be ASC or DESC')
  if (body.fields !== undefined && typeof body.fields !== 'string') return invalid('fields', 'must be a string')

  const driveId = body.drive_id as string
  const parentId = body.parent_file_id as string
  const drive = store.drives.get(driveId)
  if (!drive) return err(404, 'NotFound.Drive', `drive ${driveId} not found`)
  if (parentId !== 'root') {
    const parent = drive.get(parentId)
    if (!parent) return err(404, 'NotFound.File', `file ${parentId} not found`)
    if (parent.type !== 'folder') return invalid('parent_file_id', `${parentId} is a file, not a folder`)
  }
  const after = marker === '' ? undefined : parseMarker(marker)
  if (marker !== '' && !after) return invalid('marker', 'is not a marker this API answered')

  const sign = direction === 'ASC' ? 1 : -1
  const order = (a: [string | number, string], b: [string | number, string]) => sign * (cmp(a[0], b[0]) || cmp(a[1], b[1]))
  const children = [...drive.values()]
    .filter((f) => f.parentFileId === parentId && (type === undefined || f.type === type))
    .map((f) => ({ f, at: [sortValue(f, by), f.fileId] as [string | number, string] }))
    .filter((x) => !after || order(x.at, after) > 0)
    .sort((a, b) => order(a.at, b.at))
  const page = children.slice(0, limit)
  const more = children.length > limit
  return { status: 200, body: { items: page.map((x) => fileJson(driveId, x.f)), next_marker: more ? markerAfter(page[page.length - 1]!.f, by) : '' } }
}
