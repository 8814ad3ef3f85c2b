import { afterAll, afterEach, beforeAll } from 'vitest'
import { exports } from 'cloudflare:workers'
import { COLLECTOR_URL, type RecordBatch } from './collector-protocol.ts'

/**
 * A vitest setupFiles module (runs in workerd before each test file): records every answer the
 * Worker gives a test (status line, headers, body) and every console line of the isolate — the
 * Worker's own logs, its Durable Objects', its queue consumers' and the tests' — and posts them to
 * the secrets collector that globalSetup started (secrets-collector.ts), which fails the run if a
 * secret is among them. Requests are not recorded: tests send secrets on purpose.
 *
 * Console spies (vi.spyOn(console, 'log').mockImplementation(...)) would hide lines from a plain
 * wrapper, so `console` itself is replaced by a proxy that records each call before handing it to
 * whatever the method is at that moment, spy or not.
 */

const STATE = Symbol.for('batchgate.secrets-recorder')
const MAX_BODY_BYTES = 8 * 1024 * 1024
const FLUSH_AT_BYTES = 2 * 1024 * 1024
const LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace'])

interface State {
  texts: RecordBatch['texts']
  bytes: number
  responses: number
  file: string
  /** The fetch of the isolate before any test replaced it: the collector is reached with it. */
  post: typeof fetch
}

const g = globalThis as typeof globalThis & { [STATE]?: State }
const state: State = (g[STATE] ??= install())

function install(): State {
  const s: State = { texts: [], bytes: 0, responses: 0, file: '?', post: globalThis.fetch.bind(globalThis) }
  const real = globalThis.console
  const wrappers = new WeakMap<object, unknown>()
  globalThis.console = new Proxy(real, {
    get(target, p) {
      const v: unknown = Reflect.get(target, p)
      if (typeof p !== 'string' || !LEVELS.has(p) || typeof v !== 'function') return v
      let w = wrappers.get(v)
      if (!w) {
        w = (...args: unknown[]) => {
          record(s, 'log', `console.${p}`, args.map(format).join(' '))
          return (v as (...a: unknown[]) => unknown).apply(real, args)
        }
        wrappers.set(v, w)
      }
      return w
    },
  })
  return s
}

function format(v: unknown): string {
  if (typeof v === 'string') return v
  if (v instanceof Error) return `${v.name}: ${v.message}\n${v.stack ?? ''}`
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

function record(s: State, kind: 'response' | 'log', where: string, text: string) {
  s.texts.push({ kind, where, text })
  s.bytes += text.length
}

async function recordResponse(s: State, req: Request, res: Response): Promise<Response> {
  s.responses++
  const where = `${req.method} ${new URL(req.url).pathname} → ${res.status}`
  record(s, 'response', `${where} (headers)`, [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n'))
  if (!res.body || res.webSocket) return res
  // Read whole at once, then handed on from memory: a tee'd stream read later from the test's hooks
  // would belong to a request that has ended, and stall. Every body the Worker sends is finite.
  const bytes = new Uint8Array(await res.arrayBuffer())
  record(s, 'response', `${where} (body)`, new TextDecoder().decode(bytes.subarray(0, MAX_BODY_BYTES)))
  return new Response(bytes, res)
}

async function flush(s: State, fileDone: boolean) {
  const batch: RecordBatch = { file: s.file, fileDone, responses: s.responses, texts: s.texts.splice(0) }
  s.responses = 0
  s.bytes = 0
  const res = await s.post(COLLECTOR_URL, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) })
  if (res.status !== 204) throw new Error(`the secrets collector at ${COLLECTOR_URL} answered ${res.status}: ${await res.text()}`)
}

// Every request a test sends through the Worker goes through exports.default (the helpers' call,
// the console tests' pages); its fetch is wrapped on that one object. Importing the Worker here
// instead would load its whole module graph into every test file, even pure unit tests.
type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>
const worker = exports.default as unknown as { fetch: Fetch & { [STATE]?: true } }
if (!worker.fetch[STATE]) {
  const original = worker.fetch
  const wrapped: Fetch & { [STATE]?: true } = async (input, init) => {
    const req = new Request(input, init)
    return recordResponse(state, req, await original.call(worker, req))
  }
  wrapped[STATE] = true
  worker.fetch = wrapped
}

// eslint-disable-next-line no-empty-pattern -- vitest passes the suite second, after the fixtures.
beforeAll(({}, suite) => {
  const named = suite as unknown as { file?: { name?: string }; name?: string }
  state.file = named.file?.name ?? named.name ?? '?'
})

// Posts go out from the test's own hooks only: a fetch started inside one of the Worker's requests
// belongs to that request, and awaiting it after the request ended would hang.
afterEach(async () => {
  if (state.bytes >= FLUSH_AT_BYTES) await flush(state, false)
})

// A file that read tens of MiB of reports posts them all here: give it time on a loaded machine.
afterAll(async () => {
  await flush(state, true)
}, 120_000)
