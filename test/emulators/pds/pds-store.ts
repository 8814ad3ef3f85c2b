/**
 * In-memory PDS drives and the semantics of each `/v2/batch` child request the emulator serves.
 * No I/O: `apply` takes one child request's `url` and `body` and returns its `{status, body?}`
 * exactly as an item of the batch answer.
 *
 * Modelled on the PDS 2022-03-01 API (provider-protocols §4) where it is documented, and chosen
 * where it is not:
 * - Files live in folders (`parent_file_id`, `root` at the top); a name may repeat in a folder
 *   unless a request asks otherwise. A destination folder must be `root` or an existing folder.
 * - copy: `auto_rename` false (the default) refuses a same-named file in the destination with 409
 *   `AlreadyExist.File`; true renames the copy. A file copy answers 201 with the new file id; a
 *   folder is copied with everything under it and answers 202 with an `async_task_id`.
 * - move: `check_name_mode` `ignore` (default) keeps both, `refuse` answers 409
 *   `AlreadyExist.File`, `auto_rename` renames the moved file, `overwrite` deletes the same-named
 *   file first. Moving a file onto itself changes nothing. Answers 200 with `async_task_id: ""`.
 * - delete: removes the file (a folder with everything under it). A folder, or a file whose name
 *   starts with `async-`, answers 202 with an `async_task_id` (PDS deletes it in the background;
 *   here it is gone at once); any other file answers 204 with no body.
 * - update: sets `name`, `description`, `hidden`, `starred`, `labels`, `user_meta` (free text);
 *   answers 200 with the file.
 * - put_usertags merges (a given name is overwritten, the others are kept) and answers 200;
 *   delete_usertags removes the named tags (names not present are ignored) and answers 204.
 * - Any field a sub-API does not take, or a field of the wrong type, answers 400 `InvalidParameter`:
 *   a client bug shows up here rather than being ignored.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { PdsDrivePatch, PdsFile, PdsSeedFile } from '../control.ts'

export interface SubResult {
  status: number
  body?: unknown
}

export class SeedError extends Error {}

/** The domain id every answer carries. */
export const DOMAIN_ID = 'emulator'

const CHECK_NAME_MODES = ['ignore', 'auto_rename', 'refuse', 'overwrite'] as const

/** The body fields each served sub-API takes (required first). */
export const SUB_APIS: Record<string, { required: readonly string[]; optional: readonly string[] }> = {
  '/file/get': { required: ['drive_id', 'file_id'], optional: ['fields', 'url_expire_sec'] },
  '/file/update': { required: ['drive_id', 'file_id'], optional: ['name', 'description', 'hidden', 'starred', 'labels', 'check_name_mode', 'user_meta'] },
  '/file/copy': { required: ['drive_id', 'file_id', 'to_parent_file_id'], optional: ['to_drive_id', 'new_name', 'auto_rename'] },
  '/file/move': { required: ['drive_id', 'file_id', 'to_parent_file_id'], optional: ['to_drive_id', 'new_name', 'check_name_mode'] },
  '/file/delete': { required: ['drive_id', 'file_id'], optional: [] },
  '/file/put_usertags': { required: ['drive_id', 'file_id', 'user_tags'], optional: [] },
  '/file/delete_usertags': { required: ['drive_id', 'file_id', 'key_list'], optional: [] },
}

const err = (status: number, code: string, message: string): SubResult => ({ status, body: { code, message } })
const invalid = (field: string, message: string) => err(400, `InvalidParameter.${pascal(field)}`, `${field}: ${message}`)
const pascal = (s: string) => s.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** Upper-case hex SHA-1, the form PDS gives `content_hash` in. */
export const sha1Upper = (s: string) => createHash('sha1').update(s).digest('hex').toUpperCase()
const newFileId = () => randomBytes(20).toString('hex')
const newTaskId = () => randomBytes(16).toString('hex')

type Drive = Map<string, PdsFile>

export interface PdsStoreOptions {
  /** Wall clock in ms (default Date.now), for created_at / updated_at and renames. */
  now?: () => number
}

export class PdsStore {
  readonly drives = new Map<string, Drive>()
  private readonly now: () => number

  constructor(opts: PdsStoreOptions = {}) {
    this.now = opts.now ?? Date.now
  }

  private iso(): string {
    return new Date(this.now()).toISOString()
  }

  // ---------------------------------------------------------------- control side

  /** Creates or replaces a drive. Throws SeedError on invalid files. */
  putDrive(name: string, seeds: unknown): number {
    if (name === '') throw new SeedError('drive id must not be empty')
    const drive: Drive = new Map()
    for (const s of seedList(seeds, 'objects')) {
      const f = this.fromSeed(s)
      if (drive.has(f.fileId)) throw new SeedError(`duplicate fileId ${JSON.stringify(f.fileId)}`)
      drive.set(f.fileId, f)
    }
    this.drives.set(name, drive)
    return drive.size
  }

  /** Upserts / updates / deletes files of an existing drive; the file count, or undefined without the drive. */
  patchDrive(name: string, patch: unknown): number | undefined {
    const drive = this.drives.get(name)
    if (!drive) return undefined
    if (!isObj(patch)) throw new SeedError('body must be a JSON object')
    for (const k of Object.keys(patch)) if (!['upsert', 'update', 'delete'].includes(k)) throw new SeedError(`unknown field "${k}"`)
    const { upsert, update, delete: del } = patch as PdsDrivePatch
    // Validate everything before changing anything.
    const upserts = seedList(upsert ?? [], 'upsert').map((s) => this.fromSeed(s))
    const updates: PdsFile[] = []
    for (const u of seedList(update ?? [], 'update')) {
      const cur = updates.find((x) => x.fileId === u.fileId) ?? upserts.find((x) => x.fileId === u.fileId) ?? drive.get(u.fileId)
      if (!cur) throw new SeedError(`update: no file ${JSON.stringify(u.fileId)}`)
      updates.push(applySeedFields(cur, u as unknown as Record<string, unknown>))
    }
    if (del !== undefined && (!Array.isArray(del) || del.some((k) => typeof k !== 'string'))) throw new SeedError('"delete" must be an array of file ids')
    for (const f of [...upserts, ...updates]) drive.set(f.fileId, f)
    for (const id of del ?? []) removeTree(drive, id)
    return drive.size
  }

  deleteDrive(name: string): boolean {
    return this.drives.delete(name)
  }

  listFiles(name: string): PdsFile[] | undefined {
    const drive = this.drives.get(name)
    if (!drive) return undefined
    return [...drive.values()].sort((a, b) => (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0)).map(copyFile)
  }

  getFile(drive: string, fileId: string): PdsFile | undefined {
    const f = this.drives.get(drive)?.get(fileId)
    return f && copyFile(f)
  }

  private fromSeed(s: PdsSeedFile): PdsFile {
    const now = this.iso()
    const base: PdsFile = {
      fileId: s.fileId,
      name: '',
      parentFileId: '',
      type: 'file',
      size: 0,
      contentHash: sha1Upper(s.fileId),
      mimeType: 'application/octet-stream',
      userTags: {},
      createdAt: now,
      updatedAt: now,
    }
    const f = applySeedFields(base, s as unknown as Record<string, unknown>)
    if (f.name === '' || f.parentFileId === '') throw new SeedError(`file ${JSON.stringify(s.fileId)}: "name" and "parentFileId" are required`)
    return f
  }

  // ---------------------------------------------------------------- child requests

  /** Applies one child request (its `url` and `body`); the result is its item of the batch answer. */
  apply(url: string, body: unknown): SubResult {
    const api = SUB_APIS[url]
    if (!api) return err(400, 'InvalidParameter.Url', `url ${JSON.stringify(url)} is not served`)
    if (!isObj(body)) return err(400, 'InvalidParameter.Body', 'body must be a JSON object')
    for (const k of Object.keys(body)) if (!api.required.includes(k) && !api.optional.includes(k)) return invalid(k, `${url} does not take this field`)
    for (const k of api.required) if (body[k] === undefined) return err(400, `MissingParameter.${pascal(k)}`, `${k} is required`)
    for (const k of ['drive_id', 'file_id', 'to_parent_file_id', 'to_drive_id', 'new_name', 'name'])
      if (body[k] !== undefined && !nonEmpty(body[k])) return invalid(k, 'must be a non-empty string')
    for (const k of ['new_name', 'name']) if (typeof body[k] === 'string' && (body[k] as string).includes('/')) return invalid(k, 'must not contain "/"')
    const mode = body.check_name_mode
    if (mode !== undefined && !(CHECK_NAME_MODES as readonly unknown[]).includes(mode)) return invalid('check_name_mode', `must be one of ${CHECK_NAME_MODES.join(', ')}`)

    const driveId = body.drive_id as string
    const drive = this.drives.get(driveId)
    if (!drive) return err(404, 'NotFound.Drive', `drive ${driveId} not found`)
    const file = drive.get(body.file_id as string)
    if (!file) return err(404, 'NotFound.File', `file ${String(body.file_id)} not found`)

    switch (url) {
      case '/file/get':
        return { status: 200, body: fileJson(driveId, file) }
      case '/file/update':
        return this.update(drive, driveId, file, body)
      case '/file/copy':
      case '/file/move':
        return this.copyOrMove(url === '/file/copy' ? 'copy' : 'move', drive, driveId, file, body)
      case '/file/delete': {
        removeTree(drive, file.fileId)
        if (file.type === 'folder' || file.name.startsWith('async-'))
          return { status: 202, body: { domain_id: DOMAIN_ID, drive_id: driveId, file_id: file.fileId, async_task_id: newTaskId() } }
        return { status: 204 }
      }
      case '/file/put_usertags': {
        const tags = body.user_tags
        if (!Array.isArray(tags) || tags.length === 0) return invalid('user_tags', 'must be a non-empty array of {key, value}')
        for (const t of tags) if (!isObj(t) || !nonEmpty(t.key) || typeof t.value !== 'string') return invalid('user_tags', 'each tag is {key: non-empty string, value: string}')
        for (const t of tags as { key: string; value: string }[]) file.userTags[t.key] = t.value
        file.updatedAt = this.iso()
        return { status: 200, body: { domain_id: DOMAIN_ID, drive_id: driveId, file_id: file.fileId } }
      }
      case '/file/delete_usertags': {
        const keys = body.key_list
        if (!Array.isArray(keys) || keys.length === 0 || !keys.every(nonEmpty)) return invalid('key_list', 'must be a non-empty array of tag names')
        for (const k of keys as string[]) delete file.userTags[k]
        file.updatedAt = this.iso()
        return { status: 204 }
      }
      default:
        return err(400, 'InvalidParameter.Url', `url ${JSON.stringify(url)} is not served`)
    }
  }

  private update(drive: Drive, driveId: string, file: PdsFile, body: Record<string, unknown>): SubResult {
    if (body.user_meta !== undefined && typeof body.user_meta !== 'string') return invalid('user_meta', 'must be a string')
    for (const k of ['hidden', 'starred']) if (body[k] !== undefined && typeof body[k] !== 'boolean') return invalid(k, 'must be a boolean')
    if (body.description !== undefined && typeof body.description !== 'string') return invalid('description', 'must be a string')
    if (body.labels !== undefined && (!Array.isArray(body.labels) || !body.labels.every((l) => typeof l === 'string'))) return invalid('labels', 'must be an array of strings')
    if (typeof body.name === 'string' && body.name !== file.name && body.check_name_mode === 'refuse' && sameName(drive, file.parentFileId, body.name, file.fileId))
      return err(409, 'AlreadyExist.File', `a file named ${JSON.stringify(body.name)} exists in the folder`)
    if (typeof body.name === 'string') file.name = body.name
    if (typeof body.user_meta === 'string') file.userMeta = body.user_meta
    file.updatedAt = this.iso()
    return { status: 200, body: fileJson(driveId, file) }
  }

  private copyOrMove(op: 'copy' | 'move', drive: Drive, driveId: string, file: PdsFile, body: Record<string, unknown>): SubResult {
    if (body.auto_rename !== undefined && typeof body.auto_rename !== 'boolean') return invalid('auto_rename', 'must be a boolean')
    const toDriveId = (body.to_drive_id as string | undefined) ?? driveId
    const to = this.drives.get(toDriveId)
    if (!to) return err(404, 'NotFound.Drive', `drive ${toDriveId} not found`)
    const parentId = body.to_parent_file_id as string
    if (parentId !== 'root') {
      const parent = to.get(parentId)
      if (!parent || parent.type !== 'folder') return err(404, 'NotFound.ParentFile', `folder ${parentId} not found`)
      // A folder cannot go inside itself.
      if (to === drive && file.type === 'folder' && isWithin(drive, parentId, file.fileId))
        return invalid('to_parent_file_id', 'a folder cannot be copied or moved into itself')
    }
    let name = (body.new_name as string | undefined) ?? file.name
    if (op === 'move' && to === drive && file.parentFileId === parentId && file.name === name)
      return { status: 200, body: { domain_id: DOMAIN_ID, drive_id: toDriveId, file_id: file.fileId, async_task_id: '', exist: false } }

    const mode = op === 'copy' ? (body.auto_rename === true ? 'auto_rename' : 'refuse') : ((body.check_name_mode as string | undefined) ?? 'ignore')
    const clash = sameName(to, parentId, name, file.fileId)
    if (clash) {
      if (mode === 'refuse') return err(409, 'AlreadyExist.File', `a file named ${JSON.stringify(name)} exists in the destination folder`)
      if (mode === 'auto_rename') name = this.freeName(to, parentId, name)
      if (mode === 'overwrite') removeTree(to, clash.fileId)
    }

    const now = this.iso()
    if (op === 'move') {
      if (to !== drive) for (const f of tree(drive, file.fileId)) {
        drive.delete(f.fileId)
        to.set(f.fileId, f)
      }
      file.parentFileId = parentId
      file.name = name
      file.updatedAt = now
      return { status: 200, body: { domain_id: DOMAIN_ID, drive_id: toDriveId, file_id: file.fileId, async_task_id: '', exist: false } }
    }

    // A copy keeps the content and its description (size, hash, type, user_meta, tags); it is a new
    // file with a new id and new times. A folder is copied with everything under it.
    const ids = new Map<string, string>()
    const copies: PdsFile[] = []
    for (const f of tree(drive, file.fileId)) {
      const id = newFileId()
      ids.set(f.fileId, id)
      copies.push({ ...copyFile(f), fileId: id, createdAt: now, updatedAt: now })
    }
    for (const c of copies) c.parentFileId = c === copies[0] ? parentId : (ids.get(c.parentFileId) ?? c.parentFileId)
    copies[0]!.name = name
    for (const c of copies) to.set(c.fileId, c)
    const answer = { domain_id: DOMAIN_ID, drive_id: toDriveId, file_id: copies[0]!.fileId }
    return file.type === 'folder' ? { status: 202, body: { ...answer, async_task_id: newTaskId() } } : { status: 201, body: answer }
  }

  /** `name_yyyyMMdd_HHmmss` (before the extension), with a counter if that is taken too. */
  private freeName(drive: Drive, parentId: string, name: string): string {
    const dot = name.lastIndexOf('.')
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, '']
    const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15)
    let candidate = `${stem}_${stamp}${ext}`
    for (let n = 2; sameName(drive, parentId, candidate); n++) candidate = `${stem}_${stamp}_${n}${ext}`
    return candidate
  }
}

/** A file as `/file/get` answers it (snake_case, as PDS). */
export function fileJson(driveId: string, f: PdsFile): Record<string, unknown> {
  const j: Record<string, unknown> = {
    domain_id: DOMAIN_ID,
    drive_id: driveId,
    file_id: f.fileId,
    parent_file_id: f.parentFileId,
    name: f.name,
    type: f.type,
    created_at: f.createdAt,
    updated_at: f.updatedAt,
  }
  if (f.type === 'file') {
    Object.assign(j, { size: f.size, content_hash: f.contentHash, content_hash_name: 'sha1', mime_type: f.mimeType })
    const dot = f.name.lastIndexOf('.')
    if (dot > 0) j.file_extension = f.name.slice(dot + 1)
  }
  if (f.userMeta !== undefined) j.user_meta = f.userMeta
  const tags = Object.entries(f.userTags)
  if (tags.length > 0) j.user_tags = tags.map(([key, value]) => ({ key, value }))
  return j
}

function copyFile(f: PdsFile): PdsFile {
  return { ...f, userTags: { ...f.userTags } }
}

function sameName(drive: Drive, parentId: string, name: string, except?: string): PdsFile | undefined {
  for (const f of drive.values()) if (f.parentFileId === parentId && f.name === name && f.fileId !== except) return f
  return undefined
}

/** The file and everything under it, parents before children. */
function tree(drive: Drive, fileId: string): PdsFile[] {
  const root = drive.get(fileId)
  if (!root) return []
  const out = [root]
  for (let i = 0; i < out.length; i++) {
    const cur = out[i]!
    if (cur.type === 'folder') for (const f of drive.values()) if (f.parentFileId === cur.fileId) out.push(f)
  }
  return out
}

function removeTree(drive: Drive, fileId: string): void {
  for (const f of tree(drive, fileId)) drive.delete(f.fileId)
}

/** Whether `fileId` is `ancestorId` or lies under it. */
function isWithin(drive: Drive, fileId: string, ancestorId: string): boolean {
  for (let cur: string | undefined = fileId, hops = 0; cur !== undefined && cur !== 'root' && hops <= drive.size; hops++) {
    if (cur === ancestorId) return true
    cur = drive.get(cur)?.parentFileId
  }
  return false
}

function seedList(v: unknown, field: string): PdsSeedFile[] {
  if (!Array.isArray(v)) throw new SeedError(`"${field}" must be an array`)
  for (const s of v) {
    if (!isObj(s)) throw new SeedError(`"${field}" items must be objects`)
    if (!nonEmpty(s.fileId)) throw new SeedError(`"${field}" items need a non-empty string "fileId"`)
  }
  return v as PdsSeedFile[]
}

/** Copy of `cur` with the seed fields of `u` (validated; null removes an optional field). */
function applySeedFields(cur: PdsFile, u: Record<string, unknown>): PdsFile {
  const f = copyFile(cur)
  const bad = (k: string, what: string) => new SeedError(`file ${JSON.stringify(u.fileId)}: "${k}" ${what}`)
  for (const [k, v] of Object.entries(u)) {
    switch (k) {
      case 'fileId':
        break
      case 'name':
      case 'parentFileId':
        if (!nonEmpty(v)) throw bad(k, 'must be a non-empty string')
        if (k === 'name' && v.includes('/')) throw bad(k, 'must not contain "/"')
        f[k] = v
        break
      case 'type':
        if (v !== 'file' && v !== 'folder') throw bad(k, 'must be "file" or "folder"')
        f.type = v
        break
      case 'size':
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(k, 'must be a non-negative integer')
        f.size = v
        break
      case 'contentHash':
      case 'mimeType':
        if (!nonEmpty(v)) throw bad(k, 'must be a non-empty string')
        f[k] = v
        break
      case 'userMeta':
        if (v === null) delete f.userMeta
        else if (typeof v === 'string') f.userMeta = v
        else throw bad(k, 'must be a string')
        break
      case 'userTags':
        if (v === null) f.userTags = {}
        else if (isObj(v) && Object.values(v).every((x) => typeof x === 'string')) f.userTags = { ...(v as Record<string, string>) }
        else throw bad(k, 'must be an object of strings')
        break
      case 'createdAt':
      case 'updatedAt':
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw bad(k, 'must be an ISO 8601 time')
        f[k] = new Date(v).toISOString()
        break
      default:
        throw new SeedError(`file ${JSON.stringify(u.fileId)}: unknown field "${k}"`)
    }
  }
  return f
}
