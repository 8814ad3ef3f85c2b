import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { BatchResponse } from '../../shared/schemas/batch.ts'
import { PRODUCER } from '../fixtures/producer.ts'
import { unique } from '../helpers.ts'

// End to end over real (local) queues: the example producer Worker of examples/producer runs beside
// the gateway with its own wrangler.toml bindings. Its HTTP trigger sends to batchgate-ops, the
// gateway's consumer runs the batch and answers on batchgate-ops-replies, and the producer's
// queue() keeps the reply, which its GET route gives back.

const producer = (env as unknown as Record<string, Fetcher>)[PRODUCER.binding]!

async function callProducer(path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  const token = init.token === undefined ? PRODUCER.token : init.token
  if (token !== null) headers.Authorization = `Bearer ${token}`
  const res = await producer.fetch(`https://producer.test${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  return { status: res.status, headers: res.headers, json: (await res.json()) as any }
}

/** The reply the producer kept for `requestId`, once every part of it has arrived. */
const reply = (requestId: string, timeout = 20_000) =>
  vi.waitFor(
    async () => {
      const r = await callProducer(`/batches/${encodeURIComponent(requestId)}`)
      if (r.status !== 200) throw new Error(`no reply yet (${r.status})`)
      return r.json
    },
    { timeout, interval: 50 },
  )

describe('the example producer Worker against the gateway', () => {
  it('enqueues a batch that the gateway runs on the local account, and keeps the §5 reply', async () => {
    const dir = unique('producer')
    await env.DEMO_BUCKET.put(`${dir}/a.txt`, 'hello')
    const sent = await callProducer('/batches', {
      body: {
        account: 'local',
        operations: [
          { op: 'copy', bucket: 'demo', key: `${dir}/a.txt`, destination: { bucket: 'backup', key: `${dir}/a.txt` } },
          { op: 'stat', bucket: 'demo', key: `${dir}/missing.txt` },
        ],
      },
    })
    expect(sent.status).toBe(202)
    const requestId: string = sent.json.requestId
    expect(sent.headers.get('Location')).toBe(`/batches/${requestId}`)

    const body = await reply(requestId)
    expect(BatchResponse.strict().parse(body)).toEqual(body)
    expect(body).toMatchObject({
      requestId,
      summary: { total: 2, succeeded: 1, failed: 1 },
      results: [{ id: '0', op: 'copy', status: 200 }, { id: '1', op: 'stat', status: 404, error: { code: 'NoSuchKey' } }],
    })
    expect(await (await env.BACKUP_BUCKET.get(`${dir}/a.txt`))?.text()).toBe('hello')
  })

  it('reassembles a reply that arrives in several parts', async () => {
    // 300 results of ~1 KB each: over the 128 KB a queue message may hold.
    const dir = unique('producer-big')
    const keys = Array.from({ length: 300 }, (_, i) => `${dir}/${i}`)
    await Promise.all(keys.map((k) => env.DEMO_BUCKET.put(k, 'x', { customMetadata: { note: 'n'.repeat(900) } })))
    const requestId = `big-${dir}`
    const sent = await callProducer('/batches', { body: { account: 'local', requestId, operations: keys.map((key) => ({ op: 'stat', bucket: 'demo', key })) } })
    expect(sent.json).toEqual({ requestId })
    const body = await reply(requestId)
    expect(body.summary).toEqual({ total: 300, succeeded: 300, failed: 0 })
    expect(body.results.map((r: { id: string }) => r.id)).toEqual(keys.map((_, i) => String(i)))
    expect(body.results.every((r: { data: { metadata: { note: string } } }) => r.data.metadata.note.length === 900)).toBe(true)
    expect(body.part).toBeUndefined()
  })

  it('refuses its trigger without the token, and a body that is not a batch', async () => {
    expect((await callProducer('/batches', { body: { account: 'local', operations: [] }, token: null })).status).toBe(401)
    expect((await callProducer('/batches', { body: { account: 'local', operations: [] }, token: 'wrong' })).status).toBe(401)
    expect((await callProducer('/batches/x', { token: null })).status).toBe(401)
    expect((await callProducer('/batches', { body: { account: 'local', operations: [] } })).status).toBe(400)
    expect((await callProducer('/batches', { body: { operations: [{ op: 'stat' }] } })).status).toBe(400)
    expect((await callProducer('/batches', { body: { account: 'local', operations: [{ op: 'stat' }], requestId: 'a b' } })).status).toBe(400)
    expect((await callProducer('/batches/never-sent')).status).toBe(404)
  })
})
