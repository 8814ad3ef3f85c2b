// An example producer Worker for batchgate's queue-fed work (§7 of batchgate's API contract):
//   POST /batches { account, operations, requestId? }  → enqueues one batch on `batchgate-ops`, 202 { requestId }
//   GET  /batches/<requestId>                          → batchgate's result once it has arrived, 404 before
// and a queue() handler that keeps batchgate's replies in KV for a day.
// Both routes need `Authorization: Bearer <TRIGGER_TOKEN>`: whoever can call them can change the tenant's objects.

/** One operation of batchgate's §4 (`{ op, bucket, key, ...arguments }`); batchgate validates it. */
export type Operation = { op: string; bucket: string; key: string } & Record<string, unknown>

/** The message batchgate's `batchgate-ops` consumer takes. */
export interface OpsMessage {
  tenant: string
  account: string
  operations: Operation[]
  /** Dedupe key: a redelivered message with the same id replays the first result instead of running again. */
  requestId?: string
  /** batchgate's binding name of the reply queue; no reply without it. */
  replyTo?: string
}

export interface OperationResult {
  id: string
  op: string
  status: number
  data?: Record<string, unknown>
  error?: { code: string; message: string; provider?: { code: string; message?: string } }
}

/** batchgate's §5 result body. */
export interface BatchResult {
  results: OperationResult[]
  summary: { total: number; succeeded: number; failed: number }
  requestId: string
}

/** A reply message: the whole body, or (when over the queue's 128 KB) one slice of its results. */
export type ReplyMessage = BatchResult & { part?: { index: number; count: number; offset: number } }

export interface Env {
  OPS: Queue<OpsMessage>
  REPLIES: KVNamespace
  BATCHGATE_TENANT: string
  BATCHGATE_REPLY_TO: string
  TRIGGER_TOKEN?: string
}

const MAX_OPERATIONS = 1000
const REPLY_TTL_SECONDS = 24 * 60 * 60
const partKey = (requestId: string, index: number) => `reply:${requestId}:${index}`

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })

/** Compares digests, so neither the token's length nor its content shows in the timing. */
async function authorised(request: Request, env: Env): Promise<boolean> {
  const presented = /^Bearer (\S+)$/.exec(request.headers.get('Authorization') ?? '')?.[1]
  if (!env.TRIGGER_TOKEN || !presented) return false
  const digest = (s: string) => crypto.subtle.digest('SHA-256', new TextEncoder().encode(s))
  const [a, b] = await Promise.all([digest(presented), digest(env.TRIGGER_TOKEN)])
  return crypto.subtle.timingSafeEqual(a, b)
}

async function enqueue(request: Request, env: Env): Promise<Response> {
  const input = (await request.json().catch(() => undefined)) as { account?: unknown; operations?: unknown; requestId?: unknown } | undefined
  // Only the shape that decides where the message goes; batchgate checks every field and
  // dead-letters a message it cannot run, so catching the obvious mistakes here saves a silent loss.
  if (typeof input?.account !== 'string' || !Array.isArray(input.operations) || input.operations.length < 1 || input.operations.length > MAX_OPERATIONS)
    return json({ error: `give { account, operations: [1..${MAX_OPERATIONS}], requestId? }` }, 400)
  if (input.requestId !== undefined && (typeof input.requestId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(input.requestId)))
    return json({ error: 'requestId must be 1-64 visible ASCII characters' }, 400)
  const requestId = input.requestId ?? crypto.randomUUID()
  await env.OPS.send(
    { tenant: env.BATCHGATE_TENANT, account: input.account, operations: input.operations as Operation[], requestId, replyTo: env.BATCHGATE_REPLY_TO },
    { contentType: 'json' },
  )
  return json({ requestId }, 202, { Location: `/batches/${encodeURIComponent(requestId)}` })
}

/** The result once every part of it has arrived; parts may arrive in any order and more than once. */
async function result(env: Env, requestId: string): Promise<BatchResult | undefined> {
  const first = await env.REPLIES.get<ReplyMessage>(partKey(requestId, 0), 'json')
  if (!first) return undefined
  const parts = [first]
  for (let i = 1; i < (first.part?.count ?? 1); i++) {
    const part = await env.REPLIES.get<ReplyMessage>(partKey(requestId, i), 'json')
    if (!part) return undefined
    parts.push(part)
  }
  parts.sort((a, b) => (a.part?.offset ?? 0) - (b.part?.offset ?? 0))
  return { results: parts.flatMap((p) => p.results), summary: first.summary, requestId: first.requestId }
}

const isReply = (body: unknown): body is ReplyMessage =>
  typeof body === 'object' && body !== null && typeof (body as ReplyMessage).requestId === 'string' && Array.isArray((body as ReplyMessage).results)

export default {
  async fetch(request, env) {
    if (!(await authorised(request, env))) return json({ error: 'unauthorised' }, 401)
    const { pathname } = new URL(request.url)
    if (pathname === '/batches' && request.method === 'POST') return enqueue(request, env)
    const id = /^\/batches\/([^/]+)$/.exec(pathname)?.[1]
    if (id && request.method === 'GET') {
      const found = await result(env, decodeURIComponent(id))
      return found ? json(found) : json({ error: 'no result yet' }, 404)
    }
    return json({ error: 'not found' }, 404)
  },

  async queue(batch, env) {
    for (const message of batch.messages) {
      const body = message.body
      if (!isReply(body)) {
        console.error(JSON.stringify({ level: 'error', msg: 'not a batchgate reply; dropped', messageId: message.id }))
        message.ack()
        continue
      }
      const part = body.part ?? { index: 0, count: 1, offset: 0 }
      // Keyed by requestId and part: a reply delivered twice overwrites itself.
      await env.REPLIES.put(partKey(body.requestId, part.index), JSON.stringify(body), { expirationTtl: REPLY_TTL_SECONDS })
      console.log(JSON.stringify({ level: 'info', msg: 'batchgate reply', requestId: body.requestId, part, ...body.summary }))
      message.ack()
    }
  },
} satisfies ExportedHandler<Env, unknown>
