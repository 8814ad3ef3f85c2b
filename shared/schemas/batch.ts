import * as z from 'zod'
import { RESULT_CODES } from '../engine/result-codes.ts'
import { Operation, OP_KINDS } from './operation.ts'

export const MAX_BATCH_OPERATIONS = 1000

export const AccountName = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')

/** `POST /v1/batch` body (§5). */
export const BatchRequest = z.strictObject({
  account: AccountName,
  operations: z
    .array(Operation)
    .min(1, 'must hold at least 1 operation')
    .max(MAX_BATCH_OPERATIONS, `must hold at most ${MAX_BATCH_OPERATIONS} operations`),
})
export type BatchRequest = z.infer<typeof BatchRequest>

export const OperationErrorSchema = z.object({
  code: z.enum(RESULT_CODES as [string, ...string[]]),
  message: z.string(),
  provider: z.object({ code: z.string(), message: z.string().optional() }).optional(),
  retryAfterSeconds: z.number().optional(),
})

export const OperationResultSchema = z.object({
  id: z.string(),
  op: z.enum(OP_KINDS as [string, ...string[]]),
  status: z.number().int(),
  data: z.record(z.string(), z.unknown()).optional(),
  error: OperationErrorSchema.optional(),
})

/** The §5 answer: 200 when every operation succeeded, 207 when any failed. */
export const BatchResponse = z.object({
  results: z.array(OperationResultSchema),
  summary: z.object({ total: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }),
  requestId: z.string(),
})
export type BatchResponse = z.infer<typeof BatchResponse>
