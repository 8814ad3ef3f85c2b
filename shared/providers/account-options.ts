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

const MiB = 1024 * 1024

/**
 * The part size of multipart writes (report files) on S3-style stores: a body larger than this
 * goes up in parts of this size. Every part but the last must be at least `minBytes` (5 MiB on
 * S3, 100 KiB on OSS); 5 GiB is both providers' largest part.
 */
export const multipartPartBytes = (minBytes: number) =>
  z
    .number()
    .int()
    .min(minBytes, `must be at least ${minBytes} bytes (the provider's smallest part)`)
    .max(5 * 1024 * MiB)
    .optional()

/** S3's smallest part (all but the last). */
export const S3_MIN_PART_BYTES = 5 * MiB
/** OSS's smallest part (all but the last). */
export const OSS_MIN_PART_BYTES = 100 * 1024

export const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''))
