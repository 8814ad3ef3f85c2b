/**
 * The gateway under test: the real Worker, bundled by wrangler exactly as it would be deployed,
 * run in workerd through Miniflare and measured over real HTTP from Node, as a client would.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
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
}): Promise<Gateway> {
  const apiKey = randomBytes(24).toString('base64url')
  const sha256 = createHash('sha256').update(apiKey).digest('hex')
  const workerMs: number[] = []
  const workerMsById = new Map<string, number>()
  const workerErrors: string[] = []
  // Miniflare 5 takes a new option shape; the classic single-Worker shape goes through its converter.
  const mf = new Miniflare(convertV4MiniflareOptions({
    host: opts.host ?? '127.0.0.1',
    port: 0,
    ...(opts.inspectorPort !== undefined ? { inspectorPort: opts.inspectorPort } : {}),
    modules: true,
    scriptPath: opts.script,
    // Module names are paths relative to this root; the bundle lives in a temp dir outside cwd.
    modulesRoot: dirname(opts.script),
    compatibilityDate: await compatibilityDate(opts.root),
    durableObjects: { IDEMPOTENCY: { className: 'IdempotencyStore', useSQLite: true } },
    r2Buckets: ['DEMO_BUCKET', 'BACKUP_BUCKET'],
    bindings: {
      API_KEYS: JSON.stringify([{ sha256, tenant: 'bench', accounts: ['*'] }]),
      ACCOUNTS: JSON.stringify({
        qiniu: { provider: 'qiniu', accessKey: opts.accessKey, secretKey: opts.secretKey, endpoint: opts.qiniuEndpoint },
        ...opts.accounts,
      }),
      MAX_BODY_BYTES: '10485760',
      DEMO_SEED: 'false',
    },
    // The Worker's console: keep its access-log timings, pass errors on, drop the rest.
    handleStructuredLogs({ level, message }) {
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
    r2Bucket: (binding) => mf.getR2Bucket(binding),
    close: () => mf.dispose(),
  }
}
