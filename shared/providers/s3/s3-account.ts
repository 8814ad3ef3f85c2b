import * as z from 'zod'
import { ctyunRegionFromHost } from '../../crypto/aws-sigv4.ts'
import { AccountTuning, HttpUrl, multipartPartBytes, S3_MIN_PART_BYTES } from '../account-options.ts'

const s3Fields = {
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  forcePathStyle: z.boolean().optional(),
  multipartPartBytes: multipartPartBytes(S3_MIN_PART_BYTES),
  ...AccountTuning,
}

/** Any S3-compatible store: AWS S3, MinIO, R2's S3 API (§1). */
export const S3Account = z.strictObject({
  provider: z.literal('s3'),
  endpoint: HttpUrl,
  region: z.string().min(1).default('us-east-1'),
  signatureVersion: z.enum(['v4', 'v2']).default('v4'),
  ...s3Fields,
})
export type S3Account = z.output<typeof S3Account>

/** CTYun OOS: an S3 account with CTYun's defaults — V2 signatures, region taken from the host for V4. */
export const CtyunAccount = z
  .strictObject({
    provider: z.literal('ctyun'),
    endpoint: HttpUrl.default('https://oos-cn.ctyunapi.cn'),
    region: z.string().min(1).optional(),
    signatureVersion: z.enum(['v4', 'v2']).default('v2'),
    ...s3Fields,
  })
  .superRefine((a, ctx) => {
    if (a.signatureVersion === 'v4' && !a.region && !ctyunRegionFromHost(new URL(a.endpoint).host))
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'required for V4 when the endpoint is not oos-<region>.…' })
  })
export type CtyunAccount = z.output<typeof CtyunAccount>
