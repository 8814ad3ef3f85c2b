import type { ValidationIssue } from '../engine/types.ts'
import type { Operation } from '../schemas/operation.ts'

/**
 * For providers that address objects by bucket + key: a copy or move destination must be
 * `{bucket, key}`; the PDS form (`parentFileId`, `name`) is refused, naming the field.
 */
export function checkKeyDestination(op: Operation): ValidationIssue[] {
  if (op.op !== 'copy' && op.op !== 'move') return []
  const issues: ValidationIssue[] = []
  if (op.destination.key === undefined) issues.push({ path: ['destination', 'key'], message: 'required' })
  if (op.destination.parentFileId !== undefined) issues.push({ path: ['destination', 'parentFileId'], message: 'only PDS destinations take parentFileId' })
  if (op.destination.name !== undefined) issues.push({ path: ['destination', 'name'], message: 'only PDS destinations take name' })
  return issues
}
