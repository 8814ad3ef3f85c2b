import * as z from 'zod'
import { AccountTuning, HttpUrl } from '../account-options.ts'

/** A Qiniu Kodo account (§1). */
export const QiniuAccount = z.strictObject({
  provider: z.literal('qiniu'),
  accessKey: z.string().min(1),
  secretKey: z.string().min(1),
  endpoint: HttpUrl.default('https://rs.qiniuapi.com'),
  rsfEndpoint: HttpUrl.optional(),
  upEndpoint: HttpUrl.optional(),
  ioEndpoint: HttpUrl.optional(),
  downloadDomain: HttpUrl.optional(),
  auth: z.enum(['qiniu', 'qbox']).default('qiniu'),
  ...AccountTuning,
})
export type QiniuAccount = z.output<typeof QiniuAccount>
