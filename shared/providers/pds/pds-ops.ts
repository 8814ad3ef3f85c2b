import type { Operation, OpKind } from '../../schemas/operation.ts'

/** The kinds PDS can do (§4); the others answer 501 NotSupported. */
export const PDS_KINDS: ReadonlySet<OpKind> = new Set<OpKind>([
  'stat', 'copy', 'move', 'delete', 'setMetadata', 'putTagging', 'deleteTagging',
])

/** One child request of `/v2/batch` (provider-protocols §4). */
export interface PdsSubRequest {
  id: string
  method: 'POST'
  /** The sub-API path without `/v2`. */
  url: string
  headers: { 'Content-Type': 'application/json' }
  body: Record<string, unknown>
}

/** Tagging needs the file's current tag names first: PDS puts tags incrementally and deletes them by name. */
export const readsTagsFirst = (op: Operation) => op.op === 'putTagging' || op.op === 'deleteTagging'

/**
 * The most child requests one operation can need in the writing call: a putTagging may delete the
 * tags it does not keep and put the ones it gives. The planner counts with this to stay within 100.
 */
export const writeWeight = (op: Operation) => (op.op === 'putTagging' ? 2 : 1)

export function subRequest(id: string, url: string, body: Record<string, unknown>): PdsSubRequest {
  return { id, method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body }
}

const file = (op: Operation) => ({ drive_id: op.bucket, file_id: op.key })

/** `/file/get`: reads a file (stat, and the current tags before a tagging operation). */
export const getFileRequest = (id: string, op: Operation) => subRequest(id, '/file/get', file(op))

/**
 * The child requests that apply one operation. `currentTags` (the names of the file's tags, read
 * first) is needed by putTagging and deleteTagging only; an empty list means nothing to send.
 * Ids are `<id>` for the main request and `<id>:stale` for the deletion of tags a putTagging drops.
 */
export function writeRequests(id: string, op: Operation, currentTags: readonly string[] = []): PdsSubRequest[] {
  switch (op.op) {
    case 'stat':
      return [getFileRequest(id, op)]
    case 'copy':
    case 'move': {
      const d = op.destination
      const body: Record<string, unknown> = { ...file(op), to_parent_file_id: d.parentFileId }
      if (d.bucket !== op.bucket) body.to_drive_id = d.bucket
      if (d.name !== undefined) body.new_name = d.name
      // overwrite: false on copy is auto_rename: false, so a same-named file in the destination folder
      // is refused rather than renamed; CopyFile takes no check_name_mode, and overwrite: true is
      // refused by checkPdsOperation. A move says what to do with a same-named file explicitly.
      if (op.op === 'copy') body.auto_rename = false
      else body.check_name_mode = op.overwrite === true ? 'overwrite' : 'refuse'
      return [subRequest(id, `/file/${op.op}`, body)]
    }
    case 'delete':
      return [subRequest(id, '/file/delete', file(op))]
    case 'setMetadata':
      // contentType is refused by checkPdsOperation: /file/update has no content-type field.
      return [subRequest(id, '/file/update', { ...file(op), user_meta: JSON.stringify(op.metadata ?? {}) })]
    case 'putTagging': {
      // put_usertags only adds and overwrites; the tags not given are deleted by name so that the
      // given set replaces the file's tags (§4). The two requests touch disjoint names, so their order
      // inside the call does not matter.
      const out: PdsSubRequest[] = []
      const stale = currentTags.filter((k) => !Object.hasOwn(op.tags, k))
      if (stale.length > 0) out.push(subRequest(`${id}:stale`, '/file/delete_usertags', { ...file(op), key_list: stale }))
      const tags = Object.entries(op.tags).map(([key, value]) => ({ key, value }))
      if (tags.length > 0) out.push(subRequest(id, '/file/put_usertags', { ...file(op), user_tags: tags }))
      return out
    }
    case 'deleteTagging':
      // delete_usertags deletes named tags only: all of them are named, as read just before.
      return currentTags.length > 0 ? [subRequest(id, '/file/delete_usertags', { ...file(op), key_list: [...currentTags] })] : []
    default:
      throw new Error(`pds cannot ${op.op}`)
  }
}
