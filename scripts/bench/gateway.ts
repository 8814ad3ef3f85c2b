/**
 * The gateway under test: the real Worker, bundled by wrangler exactly as it would be deployed,
 * run in workerd through Miniflare and measured over real HTTP from Node, as a client would.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import type { CallResult } from './direct.ts'
import type { BenchOp } from './workload.ts'

const run = promisify(execFile)

/** The wrangler.toml compatibility date (kept in sync by reading the file). */
async function compatibilityDate(root: string): Promise<string> {
  const toml = await readFile(join(root, 'wrangler.toml'), 'utf8')
  const m = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)
  if (!m) throw new Error('wrangler.toml has no compatibility_date')
  return m[1]!
}

/** `wrangler deploy --dry-run --outdir`: the deployable bundle, without uploading anything. */
export async function bundleWorker(root: string): Promise<{ dir: string; script: string; ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'batchgate-bench-'))
  const t0 = performance.now()
  const wrangler = resolve(root, 'node_modules/wrangler/bin/wrangler.js')
  try {
    await run(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', dir], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    })
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string }
    await rm(dir, { recursive: true, force: true })
    throw new Error(`wrangler deploy --dry-run failed: ${(err.stderr || err.stdout || err.message).trim()}`)
  }
  return { dir, script: join(dir, 'index.js'), ms: performance.now() - t0 }
}

/**
 * The bundle's modules for Miniflare, index.js first: wrangler writes the modules of wrangler.toml's
 * [[rules]] (Swagger UI's script and stylesheet for /docs, imported as text) beside it as
 * `<sha1>-<file>`, and they must load as text, not as JavaScript. wrangler bundles every JavaScript
 * module into index.js, so any other file of the bundle but a source map is one of them.
 */
export function bundleModules(script: string) {
  const text = readdirSync(dirname(script)).filter((f) => f !== basename(script) && !/\.(map|md|wasm|bin)$/.test(f))
  return [{ type: 'ESModule' as const, path: script }, ...text.map((f) => ({ type: 'Text' as const, path: join(dirname(script), f) }))]
}

/** The chunk queue of wrangler.toml (producer binding CHUNKS_QUEUE, one consumer). */
export const CHUNK_QUEUE = 'batchgate-chunks'

/** One consumer invocation of a queue, as Miniflare's queue broker logs it. */
export interface QueueInvocation {
  queue: string
  acked: number
  total: number
  /** Wall milliseconds of the invocation (the broker's dispatch to the consumer's answer). */
  ms: number
  /** performance.now() in this process when the log line arrived (≈ the invocation's end). */
  at: number
}

/** Miniflare's log, kept instead of printed: the queue broker's per-invocation lines are parsed. */
class CaptureLog extends Log {
  private readonly onLine: (message: string) => void
  constructor(onLine: (message: string) => void) {
    super(LogLevel.INFO)
    this.onLine = onLine
  }
  protected override log(message: string): void {
    this.onLine(message)
  }
}

const ANSI = /\x1b\[[0-9;]*m/g
const QUEUE_LINE = /QUEUE (\S+) (\d+)\/(\d+)(?: \((\d+)ms\))?/

type V4Options = Parameters<typeof convertV4MiniflareOptions>[0]
interface QueueConsumerOptions {
  maxBatchSize?: number
  maxBatchTimeout?: number
  maxRetries?: number
  deadLetterQueue?: string
  retryDelay?: number
}

/**
 * The Durable Object and queue bindings of wrangler.toml, as wrangler turns them into Miniflare
 * options (what `wrangler dev` and the vitest pool run). Wrangler's logger is silenced meanwhile:
 * it prints to stdout, which --json-only keeps for the JSON.
 */
function wranglerBindings(root: string): {
  durableObjects: NonNullable<V4Options['durableObjects']>
  queueProducers: NonNullable<V4Options['queueProducers']>
  queueConsumers: Record<string, QueueConsumerOptions>
  ratelimits: NonNullable<V4Options['ratelimits']>
  rateLimitTiers: string
} {
  const prev = process.env.WRANGLER_LOG
  process.env.WRANGLER_LOG = 'error'
  try {
    const { workerOptions: w } = unstable_getMiniflareWorkerOptions(join(root, 'wrangler.toml'))
    return {
      durableObjects: (w.durableObjects ?? {}) as NonNullable<V4Options['durableObjects']>,
      queueProducers: (w.queueProducers ?? {}) as NonNullable<V4Options['queueProducers']>,
      queueConsumers: (w.queueConsumers ?? {}) as Record<string, QueueConsumerOptions>,
      ratelimits: (w.ratelimits ?? {}) as NonNullable<V4Options['ratelimits']>,
      rateLimitTiers: String((w.bindings as Record<string, unknown> | undefined)?.RATE_LIMIT_TIERS ?? '{}'),
    }
  } finally {
    if (prev === undefined) delete process.env.WRANGLER_LOG
    else process.env.WRANGLER_LOG = prev
  }
}

/** The parsed answer of POST /v1/batch (the fields the bench reads). */
export interface BatchAnswer {
  results?: Array<{ index?: number; status: number; data?: Record<string, unknown>; error?: { code: string; message: string } }>
  summary?: { succeeded: number; failed: number }
}

export interface BatchCall extends CallResult {
  answer: BatchAnswer | undefined
}

export interface Gateway {
  url: string
  /** Milliseconds the Worker itself logged for each POST /v1/batch (its access log), oldest first. */
  workerMs: number[]
  /** The same, by the X-Request-Id the call sent (see {@link Gateway.batch}). */
  workerMsById: Map<string, number>
  /** The Qiniu workload of `operations`, checked: 200 with every operation succeeded. */
  call(): Promise<CallResult>
  /** Any batch; `problems` holds transport/HTTP/summary problems and errors the Worker logged. */
  batch(account: string, operations: readonly unknown[], opts?: { requestId?: string }): Promise<BatchCall>
  /** Bytes of the JSON body of {@link Gateway.call}. */
  bodyBytes: number
  /** Any authenticated call to the gateway's API (JSON body when given); the parsed JSON answer. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string; ms: number }>
  /** Consumer invocations of the queues so far (Miniflare's broker log), oldest first. */
  queueInvocations: QueueInvocation[]
  /** Errors and warnings the Worker logged since the last call (and forgets them). */
  takeWorkerErrors(): string[]
  /** The Worker's R2 binding of that name, reachable from Node (to seed and list it). */
  r2Bucket(binding: string): ReturnType<Miniflare['getR2Bucket']>
  close(): Promise<void>
}

export async function startGateway(opts: {
  root: string
  script: string
  /** Where the Worker reaches Qiniu (the emulator). */
  qiniuEndpoint: string
  accessKey: string
  secretKey: string
  /** The batch of {@link Gateway.call} (account `qiniu`). */
  operations?: readonly BenchOp[]
  /** More accounts for the ACCOUNTS binding, beside `qiniu` (the embedded `local` R2 account is always there). */
  accounts?: Record<string, unknown>
  host?: string
  /** Open workerd's DevTools inspector on this port (for the --breakdown CPU profile). */
  inspectorPort?: number
  /** The bench key's rate-limit tier (default `bulk`: counted, not throttled; `off`: no check at all). */
  rateLimit?: string
  /** The chunk queue consumer's batch timeout in seconds, instead of wrangler.toml's. */
  queueBatchTimeoutSeconds?: number
}): Promise<Gateway> {
  const apiKey = randomBytes(24).toString('base64url')
  const sha256 = createHash('sha256').update(apiKey).digest('hex')
  const workerMs: number[] = []
  const workerMsById = new Map<string, number>()
  const workerErrors: string[] = []
  const queueInvocations: QueueInvocation[] = []
  const bindings = wranglerBindings(opts.root)
  // Miniflare 5 takes a new option shape; the classic single-Worker shape goes through its converter.
  const mf = new Miniflare(convertV4MiniflareOptions({
    // Named as in wrangler.toml (the queue broker names the consumer Worker by it).
    name: 'batchgate',
    host: opts.host ?? '127.0.0.1',
    port: 0,
    ...(opts.inspectorPort !== undefined ? { inspectorPort: opts.inspectorPort } : {}),
    modules: bundleModules(opts.script),
    // Module names are paths relative to this root; the bundle lives in a temp dir outside cwd.
    modulesRoot: dirname(opts.script),
    compatibilityDate: await compatibilityDate(opts.root),
    // The Durable Objects and the queues exactly as wrangler.toml declares them (read by wrangler
    // itself, so that a new object or queue there needs no change here).
    durableObjects: bindings.durableObjects,
    queueProducers: bindings.queueProducers,
    // Per-key rate limiting as deployed; the bench key is in the `bulk` tier, so it is counted but not throttled.
    ratelimits: bindings.ratelimits,
    queueConsumers: Object.fromEntries(
      Object.entries(bindings.queueConsumers).map(([q, c]) => [q, q === CHUNK_QUEUE && opts.queueBatchTimeoutSeconds !== undefined ? { ...c, maxBatchTimeout: opts.queueBatchTimeoutSeconds } : c]),
    ),
    // Miniflare's own log at INFO carries the queue broker's lines; its per-request lines stay off
    // (they would add work to every timed call).
    logRequests: false,
    // BENCH_MINIFLARE_LOG=1 in the environment echoes Miniflare's and the Worker's logs to stderr.
    log: new CaptureLog((message) => {
      if (process.env.BENCH_MINIFLARE_LOG) process.stderr.write(`[miniflare] ${message}\n`)
      const m = QUEUE_LINE.exec(message.replace(ANSI, ''))
      if (m) queueInvocations.push({ queue: m[1]!, acked: Number(m[2]), total: Number(m[3]), ms: Number(m[4] ?? NaN), at: performance.now() })
    }),
    r2Buckets: ['DEMO_BUCKET', 'BACKUP_BUCKET'],
    bindings: {
      API_KEYS: JSON.stringify([{ sha256, tenant: 'bench', accounts: ['*'], rateLimit: opts.rateLimit ?? 'bulk' }]),
      RATE_LIMIT_TIERS: bindings.rateLimitTiers,
      ACCOUNTS: JSON.stringify({
        qiniu: { provider: 'qiniu', accessKey: opts.accessKey, secretKey: opts.secretKey, endpoint: opts.qiniuEndpoint },
        ...opts.accounts,
      }),
      MAX_BODY_BYTES: '10485760',
      DEMO_SEED: 'false',
    },
    // The Worker's console: keep its access-log timings, pass errors on, drop the rest.
    handleStructuredLogs({ level, message }) {
      if (process.env.BENCH_MINIFLARE_LOG) process.stderr.write(`[workerd ${level}] ${message}\n`)
      if (message.includes('"msg":"request"')) {
        try {
          const line = JSON.parse(message.slice(message.indexOf('{'))) as { path?: string; ms?: number; requestId?: string }
          if (line.path === '/v1/batch' && typeof line.ms === 'number') {
            workerMs.push(line.ms)
            if (line.requestId) workerMsById.set(line.requestId, line.ms)
          }
          return
        } catch {
          // not the access log after all
        }
      }
      if (level === 'error' || level === 'warn') workerErrors.push(message)
    },
  }))
  const base = (await mf.ready).href.replace(/\/+$/, '')
  const batchUrl = `${base}/v1/batch`

  async function batch(account: string, operations: readonly unknown[], o: { requestId?: string } = {}): Promise<BatchCall> {
    const n = operations.length
    // Timed from serialising the request to the parsed answer, as the direct calls are.
    const t0 = performance.now()
    const res = await fetch(batchUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${apiKey}`,
        'Content-Type': 'application/json',
        ...(o.requestId !== undefined ? { 'X-Request-Id': o.requestId } : {}),
      },
      body: JSON.stringify({ account, operations }),
    })
    const text = await res.text()
    let answer: BatchAnswer | undefined
    try {
      answer = JSON.parse(text) as BatchAnswer
    } catch {
      answer = undefined
    }
    const ms = performance.now() - t0

    const problems: string[] = []
    if (res.status !== 200) {
      const failed = answer?.results?.filter((r) => r.status < 200 || r.status >= 300) ?? []
      const sample = failed
        .slice(0, 3)
        .map((r) => `${r.status} ${r.error?.code}: ${r.error?.message}`)
        .join('; ')
      problems.push(`HTTP ${res.status}${failed.length ? `, ${failed.length} failed ops (${sample})` : `: ${text.slice(0, 300)}`}`)
    } else if (answer?.summary?.succeeded !== n || answer.results?.length !== n) {
      problems.push(`expected ${n} succeeded results, got ${answer?.summary?.succeeded} of ${answer?.results?.length}`)
    }
    if (workerErrors.length) problems.push(`worker logged: ${workerErrors.splice(0).join(' | ').slice(0, 300)}`)
    return { ms, problems, status: res.status, text, answer }
  }

  async function api(method: string, path: string, body?: unknown) {
    const t0 = performance.now()
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text, ms: performance.now() - t0 }
  }

  const qiniuOps = opts.operations ?? []
  return {
    url: base,
    workerMs,
    workerMsById,
    bodyBytes: Buffer.byteLength(JSON.stringify({ account: 'qiniu', operations: qiniuOps })),
    async call() {
      const { ms, problems, status, text } = await batch('qiniu', qiniuOps)
      return { ms, problems, status, text }
    },
    batch,
    api,
    queueInvocations,
    takeWorkerErrors: () => workerErrors.splice(0),
    r2Bucket: (binding) => mf.getR2Bucket(binding),
    close: () => mf.dispose(),
  }
}
