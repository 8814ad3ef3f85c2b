import * as z from 'zod'
import { BucketName, Days, HeaderValue, MetadataName, ObjectKey, ProviderId, VersionId } from './fields.ts'

export const STORAGE_CLASSES = ['STANDARD', 'IA', 'ARCHIVE_IR', 'ARCHIVE', 'DEEP_ARCHIVE'] as const
export const ACLS = ['private', 'public-read', 'public-read-write', 'default'] as const
export const RESTORE_TIERS = ['Expedited', 'Standard', 'Bulk'] as const

/** Where a copy or move lands: `{bucket, key}`, or for PDS `{bucket: driveId, parentFileId, name?}`. */
export const Destination = z
  .strictObject({
    bucket: BucketName,
    key: ObjectKey.optional(),
    parentFileId: ProviderId(1024).optional(),
    name: ObjectKey.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.key === undefined && d.parentFileId === undefined)
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'required' })
  })

const LIFECYCLE_FIELDS = [
  'toIAAfterDays',
  'toArchiveIRAfterDays',
  'toArchiveAfterDays',
  'toDeepArchiveAfterDays',
  'deleteAfterDays',
] as const
const LifecycleDays = Days(-1, 36500)

/**
 * The arguments of each operation kind (§4). Sync operations add `bucket`/`key`; job operations
 * (later) take the same arguments with the object coming from each manifest row.
 */
export const OPERATION_ARGUMENTS = {
  stat: {},
  copy: { destination: Destination, overwrite: z.boolean().optional() },
  move: { destination: Destination, overwrite: z.boolean().optional() },
  delete: {},
  restore: {
    days: Days(1, 365),
    tier: z.enum(RESTORE_TIERS, { error: `must be one of ${RESTORE_TIERS.join(', ')}` }).optional(),
  },
  setMetadata: {
    contentType: HeaderValue(256).min(1, 'must not be empty').optional(),
    metadata: z.record(MetadataName, HeaderValue(2048)).optional(),
  },
  setStorageClass: {
    storageClass: z.enum(STORAGE_CLASSES, { error: `must be one of ${STORAGE_CLASSES.join(', ')}` }),
  },
  setStatus: { enabled: z.boolean() },
  setExpiry: { days: Days(0, 36500) },
  setLifecycle: Object.fromEntries(LIFECYCLE_FIELDS.map((f) => [f, LifecycleDays.optional()])) as {
    [K in (typeof LIFECYCLE_FIELDS)[number]]: z.ZodOptional<typeof LifecycleDays>
  },
  putTagging: {
    tags: z
      .record(
        HeaderValue(128).min(1, 'tag keys must not be empty'),
        HeaderValue(256),
      )
      .refine((t) => Object.keys(t).length <= 10, 'at most 10 tags'),
  },
  deleteTagging: {},
  putAcl: { acl: z.enum(ACLS, { error: `must be one of ${ACLS.join(', ')}` }) },
} as const

export type OpKind = keyof typeof OPERATION_ARGUMENTS
export const OP_KINDS = Object.keys(OPERATION_ARGUMENTS) as OpKind[]

const objectFields = {
  id: z.string().min(1).max(256).optional(),
  bucket: BucketName,
  key: ObjectKey,
  versionId: VersionId.optional(),
}

function operationOf<K extends OpKind>(op: K) {
  return z.strictObject({ op: z.literal(op), ...objectFields, ...OPERATION_ARGUMENTS[op] })
}

const kinds = {
  stat: operationOf('stat'),
  copy: operationOf('copy'),
  move: operationOf('move'),
  delete: operationOf('delete'),
  restore: operationOf('restore'),
  setMetadata: operationOf('setMetadata').refine(
    (o) => o.contentType !== undefined || o.metadata !== undefined,
    { message: 'give contentType, metadata or both', path: ['metadata'] },
  ),
  setStorageClass: operationOf('setStorageClass'),
  setStatus: operationOf('setStatus'),
  setExpiry: operationOf('setExpiry'),
  setLifecycle: operationOf('setLifecycle').refine(
    (o) => LIFECYCLE_FIELDS.some((f) => o[f] !== undefined),
    { message: `give at least one of ${LIFECYCLE_FIELDS.join(', ')}`, path: ['toIAAfterDays'] },
  ),
  putTagging: operationOf('putTagging'),
  deleteTagging: operationOf('deleteTagging'),
  putAcl: operationOf('putAcl'),
}

/** One operation on one object (§4), discriminated by `op`. */
export const Operation = z.discriminatedUnion('op', Object.values(kinds) as unknown as [
  (typeof kinds)[OpKind],
  ...(typeof kinds)[OpKind][],
], { error: `op must be one of: ${OP_KINDS.join(', ')}` })

export type Operation = z.infer<typeof Operation>
export type OperationOf<K extends OpKind> = Extract<Operation, { op: K }>
