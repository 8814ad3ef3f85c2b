import * as z from 'zod'
import { AccountTuning, HttpUrl } from '../account-options.ts'

/** The RS host an account without `endpoint` uses; it cannot serve every region (see `regions`). */
export const DEFAULT_QINIU_RS_ENDPOINT = 'https://rs.qiniuapi.com'

/** A Qiniu Kodo account (§1). */
export const QiniuAccount = z.strictObject({
  provider: z.literal('qiniu'),
  accessKey: z.string().min(1),
  secretKey: z.string().min(1),
  endpoint: HttpUrl.default(DEFAULT_QINIU_RS_ENDPOINT),
  /**
   * Where each bucket's operations go. "auto": to the RS host of the bucket's own region, found
   * with uc `/v4/query` (cached per bucket for the answer's ttl); "fixed": always to `endpoint`.
   * Unset: "auto" when `endpoint` is absent or that default host (one account may span regions,
   * which that host cannot all serve), "fixed" when another endpoint is set — so explicit
   * endpoints keep working exactly as before. See qiniu-region.ts.
   */
  regions: z.enum(['auto', 'fixed']).optional(),
  /** The uc host of region discovery; its scheme is also the scheme of the region hosts it names. */
  ucEndpoint: HttpUrl.default('https://uc.qiniuapi.com'),
  rsfEndpoint: HttpUrl.optional(),
  upEndpoint: HttpUrl.optional(),
  ioEndpoint: HttpUrl.optional(),
  downloadDomain: HttpUrl.optional(),
  auth: z.enum(['qiniu', 'qbox']).default('qiniu'),
  ...AccountTuning,
})
export type QiniuAccount = z.output<typeof QiniuAccount>
