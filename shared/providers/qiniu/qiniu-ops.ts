import { encodeBase64UrlString, encodedEntryURI } from '../../crypto/qiniu-entry.ts'
import type { Operation, OpKind } from '../../schemas/operation.ts'

/** Unified storage classes ↔ Qiniu `type` numbers. */
export const QINIU_TYPES = { STANDARD: 0, IA: 1, ARCHIVE: 2, DEEP_ARCHIVE: 3, ARCHIVE_IR: 4 } as const
export const QINIU_TYPE_NAMES = ['STANDARD', 'IA', 'ARCHIVE', 'DEEP_ARCHIVE', 'ARCHIVE_IR'] as const

export const QINIU_KINDS: ReadonlySet<OpKind> = new Set<OpKind>([
  'stat', 'copy', 'move', 'delete', 'restore', 'setMetadata',
  'setStorageClass', 'setStatus', 'setExpiry', 'setLifecycle',
])

const LIFECYCLE = [
  ['toIAAfterDays', 'toIAAfterDays'],
  ['toArchiveIRAfterDays', 'toArchiveIRAfterDays'],
  ['toArchiveAfterDays', 'toArchiveAfterDays'],
  ['toDeepArchiveAfterDays', 'toDeepArchiveAfterDays'],
  ['deleteAfterDays', 'deleteAfterDays'],
] as const

/** The `op=` path of one unified operation (provider-protocols §1.5). */
export function qiniuOpPath(op: Operation): string {
  const entry = encodedEntryURI(op.bucket, op.key)
  switch (op.op) {
    case 'stat':
      return `/stat/${entry}`
    case 'copy':
    case 'move':
      // Always spell out force, as the Go SDK does: the batch doc asks for it on every copy/move.
      return `/${op.op}/${entry}/${encodedEntryURI(op.destination.bucket, op.destination.key)}/force/${op.overwrite === true}`
    case 'delete':
      return `/delete/${entry}`
    case 'restore':
      return `/restoreAr/${entry}/freezeAfterDays/${op.days}`
    case 'setMetadata': {
      let path = `/chgm/${entry}`
      if (op.contentType !== undefined) path += `/mime/${encodeBase64UrlString(op.contentType)}`
      for (const [k, v] of Object.entries(op.metadata ?? {})) path += `/x-qn-meta-${k}/${encodeBase64UrlString(v)}`
      return path
    }
    case 'setStorageClass':
      return `/chtype/${entry}/type/${QINIU_TYPES[op.storageClass]}`
    case 'setStatus':
      return `/chstatus/${entry}/status/${op.enabled ? 0 : 1}`
    case 'setExpiry':
      return `/deleteAfterDays/${entry}/${op.days}`
    case 'setLifecycle': {
      let path = `/lifecycle/${entry}`
      for (const [field, segment] of LIFECYCLE) {
        const days = op[field]
        if (days !== undefined) path += `/${segment}/${days}`
      }
      return path
    }
    default:
      throw new Error(`qiniu cannot ${op.op}`)
  }
}
