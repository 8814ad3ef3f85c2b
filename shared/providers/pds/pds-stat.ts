/** The fields of a PDS file (`/file/get`) that the unified stat reads. */
interface PdsFile {
  name?: string
  type?: string
  parent_file_id?: string
  size?: number
  content_hash?: string
  crc64_hash?: string
  mime_type?: string
  content_type?: string
  updated_at?: string
  user_meta?: string
  user_tags?: unknown
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const asString = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))

/** `user_meta` is free text; batchgate writes it as a JSON object, so an object is read back, anything else is none. */
export function parseUserMeta(raw: unknown): Record<string, string> {
  if (typeof raw !== 'string' || !raw.trimStart().startsWith('{')) return {}
  try {
    const parsed: unknown = JSON.parse(raw)
    return isRecord(parsed) ? Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, asString(v)])) : {}
  } catch {
    return {}
  }
}

/** `user_tags` as `[{key, value}]` (what put_usertags takes) or as a plain object. */
export function parseUserTags(raw: unknown): Record<string, string> | undefined {
  if (Array.isArray(raw)) {
    const tags: Record<string, string> = {}
    for (const t of raw) if (isRecord(t) && typeof t.key === 'string') tags[t.key] = typeof t.value === 'string' ? t.value : ''
    return tags
  }
  if (isRecord(raw)) return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, asString(v)]))
  return undefined
}

const iso = (s: unknown) => {
  if (typeof s !== 'string') return null
  const t = Date.parse(s)
  return Number.isNaN(t) ? null : new Date(t).toISOString()
}

/** A PDS file → the unified stat shape, plus what only a drive has (name, type, parent folder, tags). */
export function normalisePdsFile(raw: unknown): Record<string, unknown> {
  const f = (isRecord(raw) ? raw : {}) as PdsFile
  const data: Record<string, unknown> = {
    size: typeof f.size === 'number' ? f.size : 0,
    etag: f.content_hash || f.crc64_hash || '',
    contentType: f.mime_type || f.content_type || 'application/octet-stream',
    lastModified: iso(f.updated_at),
    // PDS has no storage classes a caller can see or change.
    storageClass: 'STANDARD',
    metadata: parseUserMeta(f.user_meta),
  }
  if (typeof f.name === 'string') data.name = f.name
  if (typeof f.type === 'string') data.type = f.type
  if (typeof f.parent_file_id === 'string') data.parentFileId = f.parent_file_id
  const tags = parseUserTags(f.user_tags)
  if (tags !== undefined) data.tags = tags
  return data
}
