/** How hard the engine tries an operation that failed in a retriable way. */
export interface RetryPolicy {
  /** Tries per operation, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** Wall-clock budget of one execution: no retry is scheduled past it. */
  budgetMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000, budgetMs: 25_000 }

/**
 * Capped exponential backoff with "equal jitter": half the step is fixed so a retry never fires
 * immediately, half is random so many clients throttled together do not come back together.
 */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + random() * (step / 2))
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date = new Date()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime())
}
