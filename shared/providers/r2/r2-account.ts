import * as z from 'zod'
import { AccountTuning } from '../account-options.ts'

/** A Cloudflare R2 account: bucket names mapped to the Worker's R2 binding names (§1). */
export const R2Account = z.strictObject({
  provider: z.literal('r2'),
  buckets: z.record(z.string().min(1), z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a binding name')),
  ...AccountTuning,
})
export type R2Account = z.output<typeof R2Account>
