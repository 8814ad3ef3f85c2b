/**
 * Runs inside workerd (bundled by cpu-probe.ts, loaded by Miniflare): the Worker's own per-batch
 * work — reading and validating the body, the provider checks, planning, building and signing the
 * provider request, parsing its answer, the results and the JSON answer — timed on canned provider
 * answers, so that nothing but the Worker's JavaScript (and the runtime calls it makes: WebCrypto,
 * TextEncoder, Request) is on the clock. No HTTP: the provider call is a function that builds the
 * Request exactly as fetch would receive it and answers what the emulator answers for a delete.
 *
 * workerd's clock moves only at I/O, so each figure is a loop of calls closed by a 1 ms timer: the
 * clock then stands at the loop's real end (the timer's 1 ms is taken off).
 */
import { BatchRequest } from '../../../shared/schemas/batch.ts'
import { fastBatchRequest } from '../../../shared/schemas/batch-fast.ts'
import { parseWith } from '../../../shared/schemas/issues.ts'
import { planBatch, runBatch } from '../../../workers/runtime/batch.ts'

import { type Phase, type ProbeAnswer, type ProbeRequest } from './probe-types.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
const tick = () => new Promise((r) => setTimeout(r, 1))

/**
 * workerd allows a request 10,000 timers at once, and every provider call sets one (its time
 * limit, 30 s): a loop stays under this many provider calls, and each phase is its own request.
 */
const MAX_CALLS = 8000

/**
 * Calls `f` in a loop lasting about minLoopMs (sized by a first, shorter loop), at most
 * MAX_CALLS ÷ providerCalls times: ms per call.
 */
async function timed(f: () => unknown, minLoopMs: number, providerCalls: number): Promise<{ ms: number; calls: number }> {
  const loop = async (n: number) => {
    await tick()
    const t0 = performance.now()
    for (let i = 0; i < n; i++) await f()
    await tick()
    return Math.max(0, performance.now() - t0 - 1)
  }
  const budget = Math.floor(MAX_CALLS / providerCalls)
  const first = Math.min(20, Math.floor(budget / 4))
  const warm = await loop(first)
  const n = Math.max(first, Math.min(budget - first, Math.ceil(minLoopMs / Math.max(warm / first, 0.001))))
  return { ms: (await loop(n)) / n, calls: n }
}

/** What the provider emulator answers a successful delete call of these operations. */
function cannedFetch(provider: ProbeRequest['provider'], total: number): typeof fetch {
  const qiniu = (n: number) => JSON.stringify(Array.from({ length: n }, () => ({ code: 200 })))
  const s3Empty = '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>'
  // PDS answers by child request id. The engine starts a batch's calls in order and each call's
  // fetch before its first await, so the k-th fetch of a batch is call k (read from the body
  // instead, the answer would put the probe's own reading on the clock); the probe checks the
  // results after timing.
  const pdsAnswers: string[] = []
  for (let first = 0; first < total; first += 100) {
    const ids = Array.from({ length: Math.min(100, total - first) }, (_, i) => String(first + i))
    pdsAnswers.push(JSON.stringify({ responses: ids.map((id) => ({ id, status: 204 })) }))
  }
  let pdsCalls = 0
  const qiniuAnswer = qiniu(total)
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    // What fetch does first with its arguments: the Request, its body copied in.
    new Request(input, init)
    switch (provider) {
      case 'qiniu':
        return new Response(qiniuAnswer, { status: 200, headers: { 'Content-Type': 'application/json' } })
      case 'oss':
        return new Response(null, { status: 200 })
      case 'pds':
        return new Response(pdsAnswers[pdsCalls++ % pdsAnswers.length], { status: 200, headers: { 'Content-Type': 'application/json' } })
      default:
        return new Response(s3Empty, { status: 200, headers: { 'Content-Type': 'application/xml' } })
    }
  }) as typeof fetch
}

async function probe(p: ProbeRequest): Promise<ProbeAnswer> {
  const bytes = new TextEncoder().encode(p.body)
  const total = (JSON.parse(p.body) as { operations: unknown[] }).operations.length
  // The route's adapters call the global fetch (runtime/config.ts): here it answers from the can.
  globalThis.fetch = cannedFetch(p.provider, total)
  const env = { ACCOUNTS: JSON.stringify({ probe: p.settings }) } as unknown as Env
  const principal = { tenant: 'probe', accounts: ['probe'] }

  // The route's steps: validate.ts (decode, parse, validate), then routes/batch.ts's planBatch
  // (account, provider checks), runBatch (the engine) and the JSON answer.
  const read = () => JSON.parse(utf8.decode(bytes)) as unknown
  const validate = (body: unknown) => {
    const fast = fastBatchRequest(body)
    if (fast) return fast
    const parsed = parseWith(BatchRequest, body)
    if (!parsed.success) throw new Error(`invalid probe body: ${JSON.stringify(parsed.errors.slice(0, 3))}`)
    return parsed.data
  }
  const check = (req: BatchRequest) => {
    const plan = planBatch(env, principal, req.account, req.operations)
    if (!plan.ok) throw new Error(`the probe batch was refused: ${JSON.stringify(plan)}`)
    return plan
  }
  const run = async (req: BatchRequest) => (await runBatch(check(req), 'probe')).body.results

  const body = read()
  const req = validate(body)
  const plan = check(req)
  const answered = await runBatch(plan, 'probe')
  const results = answered.body.results
  if (results.some((r) => r.status >= 300)) throw new Error(`probe results failed: ${JSON.stringify(results.find((r) => r.status >= 300))}`)

  const phases: Record<Phase, () => unknown> = {
    read,
    validate: () => validate(body),
    check: () => check(req),
    run: async () => runBatch(plan, 'probe'),
    answer: () => JSON.stringify(answered.body),
    total: async () => {
      const r = validate(read())
      return JSON.stringify((await runBatch(check(r), 'probe')).body)
    },
  }
  const providerCalls = p.phase === 'run' || p.phase === 'total' ? (p.provider === 'pds' ? Math.ceil(total / 100) : 1) : 0
  const t = await timed(phases[p.phase], p.minLoopMs, Math.max(1, providerCalls))
  // The canned answers still fit the calls (a failed operation would have been retried, with waits).
  const after = await run(req)
  if (after.some((r) => r.status >= 300)) throw new Error(`probe results failed after timing: ${JSON.stringify(after.find((r) => r.status >= 300))}`)
  return t
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return Response.json(await probe((await request.json()) as ProbeRequest))
    } catch (err) {
      return new Response((err as Error).stack ?? String(err), { status: 500 })
    }
  },
}
