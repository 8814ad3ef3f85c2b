import * as z from 'zod'
import { AccountName } from './batch.ts'
import { BucketName, KeyPart, ObjectKey, ProviderId } from './fields.ts'
import { OPERATION_ARGUMENTS, OP_KINDS, type OpKind } from './operation.ts'

export const MANIFEST_FORMATS = ['S3BatchOperations_CSV_20180820', 'OSS_BatchOperations_CSV_20250611'] as const
export const MANIFEST_FIELDS = ['Bucket', 'Key', 'VersionId', 'Ignore'] as const
export const REPORT_SCOPES = ['AllTasks', 'FailedTasksOnly'] as const
/** An inline manifest may hold up to 10 MB of CSV (§6). */
export const MAX_INLINE_MANIFEST_BYTES = 10 * 1000 * 1000
export const MAX_PRIORITY = 2_147_483_647

/** Where a job's copies and moves land: each row's key under `prefix` (or, on PDS, a folder). */
export const JobDestination = z.strictObject({
  bucket: BucketName,
  prefix: KeyPart(1024).optional(),
  parentFileId: ProviderId(1024).optional(),
})

function jobOperationOf<K extends OpKind>(op: K) {
  const args: Record<string, z.ZodType> = { ...OPERATION_ARGUMENTS[op] }
  if (op === 'copy' || op === 'move') args.destination = JobDestination
  return z.strictObject({ op: z.literal(op), ...args })
}

/** A §4 operation without bucket/key: those come from each manifest row. */
export const JobOperation = z.discriminatedUnion(
  'op',
  OP_KINDS.map((k) => jobOperationOf(k)) as unknown as [ReturnType<typeof jobOperationOf>, ...ReturnType<typeof jobOperationOf>[]],
  { error: `op must be one of: ${OP_KINDS.join(', ')}` },
)
/**
 * A job's operation as stored and passed between Worker and Durable Object. Its arguments are
 * flat (scalars, or string maps such as tags, metadata and the destination), which keeps the type
 * shallow enough for typed RPC stubs.
 */
export type JobOperation = { op: OpKind; destination?: { bucket: string; prefix?: string; parentFileId?: string } } & {
  [key: string]: string | number | boolean | Record<string, string> | undefined
}

const ManifestFields = z
  .array(z.enum(MANIFEST_FIELDS))
  .min(2)
  .max(4)
  .refine((f) => f.filter((x) => x === 'Bucket').length === 1 && f.filter((x) => x === 'Key').length === 1, 'must name Bucket and Key exactly once')
  .refine((f) => f.filter((x) => x === 'VersionId').length <= 1, 'may name VersionId once')

export const Manifest = z
  .strictObject({
    location: z.strictObject({ bucket: BucketName, key: ObjectKey, etag: ProviderId(1024).optional() }).optional(),
    inline: z.string().max(MAX_INLINE_MANIFEST_BYTES, 'must be at most 10 MB').optional(),
    format: z.enum(MANIFEST_FORMATS).default('S3BatchOperations_CSV_20180820'),
    fields: ManifestFields.default(['Bucket', 'Key']),
  })
  .superRefine((m, ctx) => {
    if ((m.location === undefined) === (m.inline === undefined))
      ctx.addIssue({ code: 'custom', path: ['location'], message: 'give exactly one of location or inline' })
  })

/** Filters of a manifest generator, as S3's JobManifestGeneratorFilter (all must hold). */
export const ManifestGeneratorFilters = z
  .strictObject({
    keySuffix: KeyPart(1024).min(1, 'must not be empty').optional(),
    sizeGreaterThan: z.number().int().min(0).optional(),
    sizeLessThan: z.number().int().min(1).optional(),
    createdBefore: z.iso.datetime({ offset: true }).optional(),
    createdAfter: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.sizeGreaterThan !== undefined && f.sizeLessThan !== undefined && f.sizeLessThan <= f.sizeGreaterThan + 1)
      ctx.addIssue({ code: 'custom', path: ['sizeLessThan'], message: 'leaves no size between sizeGreaterThan and sizeLessThan' })
    if (f.createdBefore !== undefined && f.createdAfter !== undefined && Date.parse(f.createdBefore) <= Date.parse(f.createdAfter))
      ctx.addIssue({ code: 'custom', path: ['createdBefore'], message: 'must be later than createdAfter' })
  })

/**
 * A manifest listed from the account instead of read (§6): every object under `prefix` in
 * `sourceBucket` that passes the filters. On PDS, `sourceBucket` is the drive and `prefix` the
 * folder's file id (its sub-folders are listed too).
 */
export const ManifestGenerator = z.strictObject({
  sourceBucket: BucketName,
  prefix: KeyPart(1024).optional(),
  filters: ManifestGeneratorFilters.optional(),
})
export type ManifestGenerator = z.output<typeof ManifestGenerator>

export const JobReport = z
  .strictObject({
    enabled: z.boolean(),
    bucket: BucketName.optional(),
    prefix: KeyPart(512).optional(),
    scope: z.enum(REPORT_SCOPES).default('AllTasks'),
  })
  .superRefine((r, ctx) => {
    if (r.enabled && r.bucket === undefined) ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'required when the report is enabled' })
  })

/** `POST /v1/jobs` (§6). */
export const CreateJobRequest = z
  .strictObject({
    clientRequestToken: z.string().min(1).max(64),
    account: AccountName,
    operation: JobOperation,
    manifest: Manifest.optional(),
    manifestGenerator: ManifestGenerator.optional(),
    report: JobReport,
    priority: z.number().int().min(0).max(MAX_PRIORITY).default(0),
    confirmationRequired: z.boolean().default(false),
    description: z.string().max(256).optional(),
  })
  .superRefine((j, ctx) => {
    if ((j.manifest === undefined) === (j.manifestGenerator === undefined))
      ctx.addIssue({ code: 'custom', path: ['manifest'], message: 'give exactly one of manifest or manifestGenerator' })
  })
export type CreateJobRequest = z.output<typeof CreateJobRequest>

export const UpdateJobStatusRequest = z.strictObject({
  requestedStatus: z.enum(['Ready', 'Cancelled', 'Paused', 'Active']),
  reason: z.string().max(256).optional(),
})
export const UpdateJobPriorityRequest = z.strictObject({ priority: z.number().int().min(0).max(MAX_PRIORITY) })
