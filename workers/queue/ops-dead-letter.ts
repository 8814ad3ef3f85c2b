import type { FieldError } from '../../shared/schemas/issues.ts'

/** Why a message was dead-lettered; the log line's `reason`. */
export type DeadLetterReason =
  | 'ValidationFailed'
  | 'UnknownTenant'
  | 'AccountForbidden'
  | 'UnknownReplyQueue'
  | 'AccountMisconfigured'
  | 'ConfigurationError'
  | 'IdempotencyConflict'

export interface Rejection {
  reason: DeadLetterReason
  detail?: string
  errors?: FieldError[]
}

/** A log line names at most this many fields: a 1,000-operation message can fail on every one. */
const LOGGED_ERRORS = 20
const SAFE_ID = /^[\x21-\x7e]{1,128}$/

/** The ids of a message worth logging, and only when they look like ids: never the body itself. */
export function safeIds(body: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!body || typeof body !== 'object' || Array.isArray(body)) return out
  for (const field of ['requestId', 'tenant', 'account', 'replyTo'] as const) {
    const value = (body as Record<string, unknown>)[field]
    if (typeof value === 'string' && SAFE_ID.test(value)) out[field] = value
  }
  return out
}

/**
 * Dead-letters a message that can never succeed: the original body goes unchanged to the DLQ
 * (the same thing the platform puts there when retries run out, so one redrive tool serves
 * both), the reason goes to the log, and the message is acked. If the DLQ cannot take it, the
 * caller retries the message; once its retries run out the platform dead-letters it anyway.
 */
export async function deadLetter(dlq: Queue, message: Message<unknown>, queue: string, rejection: Rejection): Promise<void> {
  await dlq.send(message.body, { contentType: contentTypeOf(message.body) })
  message.ack()
  const errors = rejection.errors ?? []
  console.error(JSON.stringify({
    level: 'error', msg: 'ops message dead-lettered', queue, messageId: message.id, attempts: message.attempts,
    ...safeIds(message.body), reason: rejection.reason,
    ...(rejection.detail ? { detail: rejection.detail } : {}),
    ...(errors.length ? { errors: errors.slice(0, LOGGED_ERRORS).map((e) => ({ path: e.path.slice(0, 200), message: e.message })), errorCount: errors.length } : {}),
  }))
}

/** The content type that brings the body back as it arrived: bytes stay bytes, JSON stays readable in the dashboard. */
function contentTypeOf(body: unknown): QueueContentType {
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return 'bytes'
  return isPlainJson(body, 0) ? 'json' : 'v8'
}

function isPlainJson(value: unknown, depth: number): boolean {
  if (depth > 64) return false
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1))
  if (typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return (proto === Object.prototype || proto === null) && Object.values(value).every((v) => isPlainJson(v, depth + 1))
}
