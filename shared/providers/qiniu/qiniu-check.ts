import { utf8Length } from '../../schemas/fields.ts'
import type { Operation } from '../../schemas/operation.ts'
import type { ValidationIssue } from '../../engine/types.ts'
import { checkKeyDestination } from '../key-destination.ts'

const QINIU_META_KEY = /^[A-Za-z0-9_-]{1,50}$/

/** Arguments Qiniu cannot take, refused before anything runs (limits from provider-protocols §1.5). */
export function checkQiniuOperation(op: Operation): ValidationIssue[] {
  const issues: ValidationIssue[] = checkKeyDestination(op)
  // EncodedEntryURI splits bucket from key at the first ':', so a bucket may not hold one.
  if (op.bucket.includes(':')) issues.push({ path: ['bucket'], message: 'Qiniu bucket names cannot contain ":"' })
  if (op.versionId !== undefined) issues.push({ path: ['versionId'], message: 'Qiniu objects have no versions' })
  switch (op.op) {
    case 'copy':
    case 'move':
      if (op.destination.bucket.includes(':')) issues.push({ path: ['destination', 'bucket'], message: 'Qiniu bucket names cannot contain ":"' })
      break
    case 'restore':
      if (op.days > 7) issues.push({ path: ['days'], message: 'Qiniu restores for 1 to 7 days' })
      if (op.tier !== undefined) issues.push({ path: ['tier'], message: 'Qiniu has no restore tiers' })
      break
    case 'setMetadata': {
      if (op.contentType !== undefined) {
        if (utf8Length(op.contentType) > 200) issues.push({ path: ['contentType'], message: 'Qiniu takes at most 200 bytes' })
        if (op.contentType.includes('%')) issues.push({ path: ['contentType'], message: 'Qiniu forbids "%" in a MIME type' })
      }
      if (op.metadata !== undefined) {
        const entries = Object.entries(op.metadata)
        if (entries.length === 0) issues.push({ path: ['metadata'], message: 'Qiniu cannot clear all metadata: give at least one entry' })
        for (const [k] of entries)
          if (!QINIU_META_KEY.test(k)) issues.push({ path: ['metadata', k], message: 'Qiniu metadata names are 1-50 of A-Z a-z 0-9 _ -' })
        const total = entries.reduce((n, [k, v]) => n + utf8Length(k) + utf8Length(v), 0)
        if (total > 1024) issues.push({ path: ['metadata'], message: 'Qiniu takes at most 1,024 bytes of metadata in all' })
      }
      break
    }
  }
  return issues
}
