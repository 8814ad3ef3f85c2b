import type { ValidationIssue } from '../../engine/types.ts'
import type { Operation } from '../../schemas/operation.ts'

/** Arguments PDS cannot take, refused before anything runs (§1: bucket = drive id, key = file id). */
export function checkPdsOperation(op: Operation): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  if (op.versionId !== undefined) issues.push({ path: ['versionId'], message: 'PDS files are addressed by file id; versions are not supported' })
  switch (op.op) {
    case 'copy':
    case 'move':
      if (op.destination.key !== undefined)
        issues.push({ path: ['destination', 'key'], message: 'a PDS destination names its folder with parentFileId (and optionally name), not key' })
      if (op.destination.parentFileId === undefined) issues.push({ path: ['destination', 'parentFileId'], message: 'required' })
      // CopyFile takes auto_rename only (no overwrite, no check_name_mode): it cannot replace a file.
      if (op.op === 'copy' && op.overwrite === true)
        issues.push({ path: ['overwrite'], message: 'PDS copies cannot replace a same-named file; delete it first or use move' })
      break
    case 'setMetadata':
      if (op.contentType !== undefined) issues.push({ path: ['contentType'], message: 'PDS /file/update cannot set a content type' })
      break
  }
  return issues
}
