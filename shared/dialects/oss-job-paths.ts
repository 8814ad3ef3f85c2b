import { formatPath, parseWith, type FieldError } from '../schemas/issues.ts'
import { OPERATION_ARGUMENTS } from '../schemas/operation.ts'

/** The header that names the account in the dialects (§6 "Dialects of the seeds"). */
export const ACCOUNT_HEADER = 'X-Batchgate-Account'

// Where each field of the JSON CreateJobRequest comes from in the OSS document, so a field error
// found by the shared schema (or by the job planner) names the element the caller wrote.
// Longest prefix first: the first entry that matches wins.
const ELEMENT_OF: [json: string, xml: string][] = [
  ['clientRequestToken', 'ClientRequestToken'],
  ['account', `${ACCOUNT_HEADER} (header)`],
  ['operation.tags', 'Operation/PutObjectTagging/TagSet'],
  ['operation.acl', 'Operation/PutObjectAcl/ObjectAcl'],
  ['operation.days', 'Operation/RestoreObject/Days'],
  ['operation.tier', 'Operation/RestoreObject/Tier'],
  ['operation', 'Operation'],
  ['manifest.location.bucket', 'Manifest/Location/Bucket'],
  ['manifest.location.key', 'Manifest/Location/Object'],
  ['manifest.location.etag', 'Manifest/Location/ETag'],
  ['manifest.location', 'Manifest/Location'],
  ['manifest.format', 'Manifest/Spec/Format'],
  ['manifest.fields', 'Manifest/Spec/Fields'],
  ['manifest', 'Manifest'],
  ['manifestGenerator.sourceBucket', 'KeyPrefixManifestGenerator/SourceBucket'],
  ['manifestGenerator.prefix', 'KeyPrefixManifestGenerator/Prefix'],
  ['manifestGenerator', 'KeyPrefixManifestGenerator'],
  ['report.enabled', 'Report/Enabled'],
  ['report.bucket', 'Report/Bucket'],
  ['report.prefix', 'Report/Prefix'],
  ['report.scope', 'Report/ReportScope'],
  ['report', 'Report'],
  ['priority', 'Priority'],
  ['confirmationRequired', 'ConfirmationRequired'],
  ['description', 'Description'],
]

const within = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)

const TAG_KEY = OPERATION_ARGUMENTS.putTagging.tags.keyType

/** A tag of the document: its key and the path of its `Tag` element (`.../TagSet/Tag[2]`). */
export interface TagOrigin {
  key: string
  path: string
}

/**
 * Turns a field error of the JSON request into one naming the OSS element. A tag's error names
 * its `Key` when the key itself is at fault (with the key rule's own message: zod says only
 * "Invalid key in record") and its `Value` otherwise.
 */
export function ossFieldError(error: FieldError, tags: readonly TagOrigin[] = []): FieldError {
  for (const tag of tags) {
    if (error.path !== formatPath(['operation', 'tags', tag.key])) continue
    const key = parseWith(TAG_KEY, tag.key)
    return key.success ? { path: `${tag.path}/Value`, message: error.message } : { path: `${tag.path}/Key`, message: key.errors[0]?.message ?? error.message }
  }
  const match = ELEMENT_OF.find(([json]) => within(error.path, json))
  if (!match) return error
  const [, xml] = match
  if (match[0] === 'account' && error.message === 'required')
    return { path: xml, message: 'required: this API key may use more than one account' }
  return { path: xml, message: error.message }
}

/** Names the query parameters of UpdateJobStatus / UpdateJobPriority instead of the JSON fields. */
export function ossQueryFieldError(error: FieldError): FieldError {
  const names: Record<string, string> = { requestedStatus: 'requestedJobStatus', reason: 'statusUpdateReason', priority: 'targetPriority', 'query.cursor': 'continuation-token' }
  return { path: names[error.path] ?? error.path, message: error.message }
}
