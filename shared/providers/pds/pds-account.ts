import * as z from 'zod'
import { AccountTuning, HttpUrl } from '../account-options.ts'

/** An Aliyun PDS (Drive and Photo Service) account (§1): the domain's API endpoint and a Bearer token. */
export const PdsAccount = z.strictObject({
  provider: z.literal('pds'),
  endpoint: HttpUrl,
  // It becomes an Authorization header: a control character or a space would break the request.
  accessToken: z.string().min(1).regex(/^[\x21-\x7e]+$/, 'must be a Bearer token (visible ASCII, no spaces)'),
  ...AccountTuning,
})
export type PdsAccount = z.output<typeof PdsAccount>
