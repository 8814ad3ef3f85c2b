import { QINIU_TYPE_NAMES } from './qiniu-ops.ts'

interface QiniuStat {
  fsize?: number
  hash?: string
  mimeType?: string
  putTime?: number
  type?: number
  status?: number
  restoreStatus?: number
  md5?: string
  expiration?: number
  transitionToIA?: number
  transitionToArchiveIR?: number
  transitionToARCHIVE?: number
  transitionToDeepArchive?: number
  'x-qn-meta'?: Record<string, string>
}

const unixToIso = (s: number | undefined) => (typeof s === 'number' && s > 0 ? new Date(s * 1000).toISOString() : undefined)

/** Qiniu stat data → the unified stat shape; putTime is in 100 ns units. */
export function normaliseQiniuStat(raw: unknown): Record<string, unknown> {
  const s = (raw ?? {}) as QiniuStat
  const data: Record<string, unknown> = {
    size: s.fsize ?? 0,
    etag: s.hash ?? '',
    contentType: s.mimeType ?? 'application/octet-stream',
    lastModified: typeof s.putTime === 'number' ? new Date(Math.floor(s.putTime / 10_000)).toISOString() : null,
    storageClass: QINIU_TYPE_NAMES[s.type ?? 0] ?? `QINIU_TYPE_${s.type}`,
    metadata: s['x-qn-meta'] ?? {},
    enabled: s.status !== 1,
  }
  if (s.md5) data.md5 = s.md5
  if (s.restoreStatus === 1) data.restoreStatus = 'restoring'
  if (s.restoreStatus === 2) data.restoreStatus = 'restored'
  const expires = unixToIso(s.expiration)
  if (expires) data.expiresAt = expires
  const transitions = {
    IA: unixToIso(s.transitionToIA),
    ARCHIVE_IR: unixToIso(s.transitionToArchiveIR),
    ARCHIVE: unixToIso(s.transitionToARCHIVE),
    DEEP_ARCHIVE: unixToIso(s.transitionToDeepArchive),
  }
  const set = Object.entries(transitions).filter(([, v]) => v !== undefined)
  if (set.length > 0) data.transitions = Object.fromEntries(set)
  return data
}
