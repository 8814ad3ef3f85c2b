import * as z from 'zod'

/** Tuning every account may carry beside its provider settings. */
export const AccountTuning = {
  /** Provider calls in flight at once for one batch. */
  concurrency: z.number().int().min(1).max(64).optional(),
  /** Job chunks in flight on this account across all its jobs (the scheduler's capacity). */
  chunksInFlight: z.number().int().min(1).max(64).optional(),
  /** One provider call's time limit. */
  timeoutMs: z.number().int().min(50).max(120_000).optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(10).optional(),
      baseDelayMs: z.number().int().min(0).max(60_000).optional(),
      maxDelayMs: z.number().int().min(0).max(120_000).optional(),
      budgetMs: z.number().int().min(0).max(600_000).optional(),
    })
    .optional(),
}

export const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''))
