import * as z from 'zod'
import { BatchRequest } from '../../shared/schemas/batch.ts'

/** The name of the queue producer Workers send §7 messages to. */
export const OPS_QUEUE = 'batchgate-ops'

/** Same alphabet and length as `Idempotency-Key`: the id doubles as the dedupe key. */
const REQUEST_ID = /^[\x21-\x7e]{1,64}$/
/** A Worker binding name, as wrangler accepts them. */
const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

/**
 * A §7 message on `batchgate-ops`: a `POST /v1/batch` body (the same schema, so the same limits
 * and field errors) plus the tenant it runs for, an optional dedupe id and an optional reply queue.
 */
export const OpsMessage = BatchRequest.extend({
  tenant: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  requestId: z.string().regex(REQUEST_ID, 'must be 1-64 visible ASCII characters').optional(),
  replyTo: z.string().regex(BINDING_NAME, 'must be the name of a reply queue binding').optional(),
})
export type OpsMessage = z.infer<typeof OpsMessage>
