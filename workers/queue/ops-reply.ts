import { utf8Length } from '../../shared/schemas/fields.ts'
import type { BatchAnswer } from '../runtime/batch.ts'

/**
 * Queues refuse a message over 128 KB; a 1,000-operation result body is often larger (a `stat`
 * result alone is ~200 bytes). Replies are cut below the limit with room for the JSON framing.
 */
export const REPLY_MAX_BYTES = 120_000

/** Where a reply part's results sit in the whole batch; absent when the reply is one message. */
export interface ReplyPart {
  index: number
  count: number
  /** Index in the batch of the part's first result. */
  offset: number
}

/** One reply message: the §5 body, or a slice of its results with the whole summary. */
export type ReplyMessage = BatchAnswer['body'] & { part?: ReplyPart }

/** The gateway's own queues: never a reply queue, whatever `OPS_REPLY_QUEUES` says. */
const INTERNAL_QUEUES = new Set(['CHUNKS_QUEUE', 'OPS_DLQ'])

export type ReplyQueueLookup =
  | { ok: true; queue: Queue }
  | { ok: false; reason: 'UnknownReplyQueue' | 'ConfigurationError'; detail: string }

/**
 * The reply queue a message names. Only bindings listed in `OPS_REPLY_QUEUES` qualify, so a
 * producer cannot make the gateway write to an arbitrary binding (another queue, a bucket).
 */
export function replyQueue(env: Env, name: string): ReplyQueueLookup {
  const listed = ((env as { OPS_REPLY_QUEUES?: string }).OPS_REPLY_QUEUES ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  if (!listed.includes(name) || INTERNAL_QUEUES.has(name)) return { ok: false, reason: 'UnknownReplyQueue', detail: `"${name}" is not a reply queue binding` }
  const binding = (env as unknown as Record<string, unknown>)[name]
  if (!binding || typeof (binding as Queue).send !== 'function')
    return { ok: false, reason: 'ConfigurationError', detail: `OPS_REPLY_QUEUES lists "${name}", which is not a queue binding` }
  return { ok: true, queue: binding as Queue }
}

/**
 * The reply as queue messages: the §5 body as is when it fits, else consecutive slices of its
 * results, each with the whole summary, the requestId and where it sits (`part`).
 */
export function replyMessages(body: BatchAnswer['body'], maxBytes = REPLY_MAX_BYTES): ReplyMessage[] {
  if (utf8Length(JSON.stringify(body)) <= maxBytes) return [body]
  // The framing of a part with the widest possible `part` numbers; each result adds its own bytes and a comma.
  const frame = utf8Length(JSON.stringify({ ...body, results: [], part: { index: body.results.length, count: body.results.length, offset: body.results.length } }))
  const slices: { offset: number; end: number }[] = []
  let offset = 0
  let bytes = frame
  body.results.forEach((result, i) => {
    const size = utf8Length(JSON.stringify(result)) + 1
    if (i > offset && bytes + size > maxBytes) {
      slices.push({ offset, end: i })
      offset = i
      bytes = frame
    }
    bytes += size
  })
  slices.push({ offset, end: body.results.length })
  return slices.map(({ offset, end }, index) => ({
    results: body.results.slice(offset, end),
    summary: body.summary,
    requestId: body.requestId,
    part: { index, count: slices.length, offset },
  }))
}

/** Sends the reply; JSON so that the size measured above is the size the queue sees. */
export async function sendReply(queue: Queue, body: BatchAnswer['body']): Promise<number> {
  const messages = replyMessages(body)
  // One at a time: a batch send is capped at 256 KB in all, which two large parts already exceed.
  for (const message of messages) await queue.send(message, { contentType: 'json' })
  return messages.length
}
