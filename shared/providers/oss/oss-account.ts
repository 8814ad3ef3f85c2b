import * as z from 'zod'
import { ossRegionFromEndpoint } from '../../crypto/oss-v4.ts'
import { AccountTuning, HttpUrl, multipartPartBytes, OSS_MIN_PART_BYTES } from '../account-options.ts'

/** Aliyun OSS (§1). V4 signatures need the region: given, or read from the endpoint's host. */
export const OssAccount = z
  .strictObject({
    provider: z.literal('oss'),
    endpoint: HttpUrl,
    region: z.string().min(1).optional(),
    accessKeyId: z.string().min(1),
    accessKeySecret: z.string().min(1),
    signatureVersion: z.enum(['v4', 'v1']).default('v4'),
    forcePathStyle: z.boolean().optional(),
    multipartPartBytes: multipartPartBytes(OSS_MIN_PART_BYTES),
    ...AccountTuning,
  })
  .superRefine((a, ctx) => {
    if (a.signatureVersion === 'v4' && !a.region && !ossRegionFromEndpoint(new URL(a.endpoint).host))
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'required for V4 when the endpoint is not oss-<region>.aliyuncs.com' })
  })
export type OssAccount = z.output<typeof OssAccount>
