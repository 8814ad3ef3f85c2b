/**
 * npm run soak — a big delete job through the real Worker while the provider emulator injects
 * random faults, and the count check at the end.
 *
 * The Worker is bundled by wrangler and run in workerd by Miniflare with wrangler.toml's Durable
 * Objects and queues (as npm run bench does: scripts/bench/gateway.ts), the provider emulator
 * runs in this process (scripts/bench/emulators.ts). The job (default 1,000,000 keys on the S3
 * emulator) meets the fault mix of test/api/jobs-faults-mix.ts — throttling with Retry-After,
 * 429, 5xx, errors inside 200 answers, timeouts, dropped connections with and without the deletes
 * applied, unreadable answers — drawn by seeded random rules (test/emulators/faults.ts), so a run
 * can be replayed with its --seed. Progress shows on stderr while it runs; at the end it prints
 * keys/s, the provider requests and faults by kind, the retries (requests beyond the fewest the
 * job needs), the count check (total = succeeded + failed = keys; the report lists each key once
 * with the right status; the emulator keeps exactly the failed rows' keys — a failed row's key may
 * be gone only after a call whose answer was lost) and a chart of keys/s
 * and faults/s over time. Exit 1 when the count check fails, 2 on bad arguments.
 *
 *   npm run soak -- [--keys 1000000] [--rate 0.05] [--op-rate R] [--provider s3|oss|qiniu|pds]
 *                   [--seed 1] [--timeout-ms 2000] [--backoff-ms 50] [--chunks-in-flight N]
 *                   [--host 127.0.0.1]
 *
 * Miniflare's queue broker runs one consumer invocation at a time (Cloudflare Queues would run
 * several) and an invocation ends with the slowest of its chunks, so every wait of a chunk — a
 * retry's backoff, a Retry-After, a timeout — holds up the chunks behind it here: the retry backoff
 * starts at 50 ms (production: 200 ms; --backoff-ms 200 for that) to keep a 1,000,000-key run
 * within minutes, and keys/s is a floor of what a deployment would do.
 *
 * The emulator listens on the test suite's port of the provider (Qiniu :80, S3 :9000, OSS :9100,
 * PDS :9200): while tests run, pass another loopback address, e.g. --host 127.0.0.2.
 */
import { rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { addFault, listFaults, type StoredFault } from '../test/emulators/control.ts'
import { mixRules, OPS_PER_CALL, type MixProvider, type MixRule } from '../test/api/jobs-faults-mix.ts'
import { QINIU_CREDENTIALS } from '../test/fixtures/qiniu-credentials.ts'
import { PortBusyError, startEmulators, type Emulators } from './bench/emulators.ts'
import { bundleWorker, startGateway, type Gateway } from './bench/gateway.ts'
import { Progress } from './bench/progress.ts'
import { countBars, progressChart, type Sample } from './soak/chart.ts'
import { EMULATOR_FOR, SOAK_ACCOUNT, setupSoak, soakAccount } from './soak/fixture.ts'
import { countCheck } from './soak/report.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const PROVIDERS: readonly MixProvider[] = ['s3', 'oss', 'qiniu', 'pds']
const POLL_MS = 500
const CHUNK_ROWS = 1000
const USAGE = `usage: node scripts/soak.ts [options]
  --keys N              keys of the delete job (default 1000000; pds: at most ~450000, inline manifest)
  --rate R              share of provider requests that meet a request-level fault, 0..1 (default 0.05)
  --op-rate R           share of operations that meet a per-operation fault, 0..1 (default: --rate)
  --provider P          s3 (default), oss, qiniu or pds
  --seed N              first seed of the fault rules (default 1): the same seed draws the same faults
  --timeout-ms N        the account's call timeout; a timeout fault waits 400 ms longer (default 2000)
  --backoff-ms N        the account's first retry backoff (default 50; production 200)
  --chunks-in-flight N  the account's chunks in flight (default the gateway's, 8)
  --host ADDR           loopback address of the emulator (default 127.0.0.1)
  -h, --help`

function fail(message: string, code = 1): never {
  process.stderr.write(`soak: ${message}\n`)
  process.exit(code)
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        keys: { type: 'string', default: '1000000' },
        rate: { type: 'string', default: '0.05' },
        'op-rate': { type: 'string' },
        provider: { type: 'string', default: 's3' },
        seed: { type: 'string', default: '1' },
        'timeout-ms': { type: 'string', default: '2000' },
        'backoff-ms': { type: 'string', default: '50' },
        'chunks-in-flight': { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`, 2)
  }
})()
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
const int = (name: string, v: string, min: number, max: number) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer from ${min} to ${max}, got ${v}`, 2)
  return n
}
const share = (name: string, v: string) => {
  const n = Number(v)
  if (!(n >= 0 && n <= 1)) fail(`--${name} must be a number from 0 to 1, got ${v}`, 2)
  return n
}
if (!(PROVIDERS as readonly string[]).includes(args.provider)) fail(`--provider must be one of ${PROVIDERS.join(', ')}, got ${args.provider}`, 2)
const provider = args.provider as MixProvider
const KEYS = int('keys', args.keys, 1, 9_999_999)
const RATE = share('rate', args.rate)
const OP_RATE = share('op-rate', args['op-rate'] ?? args.rate)
const SEED = int('seed', args.seed, 0, 0xffffffff)
const TIMEOUT_MS = int('timeout-ms', args['timeout-ms'], 50, 60_000)
const BACKOFF_MS = int('backoff-ms', args['backoff-ms'], 0, 3000)
const CHUNKS = args['chunks-in-flight'] === undefined ? undefined : int('chunks-in-flight', args['chunks-in-flight'], 1, 64)
const HOST = args.host
const out = (s = '') => process.stdout.write(s + '\n')
const n = (x: number) => Math.round(x).toLocaleString('en-US')
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

let emulators: Emulators | undefined
let gateway: Gateway | undefined
let bundleDir: string | undefined
let progress: Progress | undefined
const cleanup = async () => {
  progress?.done()
  await gateway?.close().catch(() => {})
  await emulators?.close().catch(() => {})
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true }).catch(() => {})
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().then(() => process.exit(130)))
async function abort(message: string): Promise<never> {
  await cleanup()
  fail(message)
}

// ------------------------------------------------------------------ setup
const tStart = performance.now()
const kind = EMULATOR_FOR[provider]
try {
  // The manifest is seeded through the control API in one body (about 23 MB at 1,000,000 keys).
  emulators = await startEmulators(HOST, new Set([kind]), { objectStoreMaxBodyBytes: 1024 * 1024 * 1024 })
} catch (e) {
  fail(e instanceof PortBusyError ? e.message : (e as Error).message)
}
const url = emulators.urls[kind]!
const account = soakAccount(provider, url, { timeoutMs: TIMEOUT_MS, backoffMs: BACKOFF_MS, ...(CHUNKS !== undefined ? { chunksInFlight: CHUNKS } : {}) })
out(`batchgate soak: a ${n(KEYS)}-key delete job on the ${provider} emulator (${url}) under random faults`)
out(`faults   ${(RATE * 100).toFixed(1)}% of requests, ${(OP_RATE * 100).toFixed(1)}% of operations; seed ${SEED}`)
out(`account  call timeout ${TIMEOUT_MS} ms, retry backoff from ${BACKOFF_MS} ms, ${CHUNKS ?? 8} chunks in flight (Miniflare: one queue invocation at a time)`)

process.stderr.write('bundling the Worker (wrangler deploy --dry-run) ... ')
const bundle = await bundleWorker(ROOT).catch((e: Error) => abort(e.message))
bundleDir = bundle.dir
process.stderr.write(`${secs(bundle.ms)}\nstarting workerd (Miniflare) ... `)
gateway = await startGateway({
  root: ROOT,
  script: bundle.script,
  qiniuEndpoint: emulators.urls.qiniu ?? `http://${HOST}`,
  accessKey: 'qn-test-ak',
  secretKey: QINIU_CREDENTIALS['qn-test-ak']!,
  accounts: { [SOAK_ACCOUNT]: account },
  host: HOST,
}).catch((e: Error) => abort(`cannot start the gateway in Miniflare: ${e.message}`))
process.stderr.write(`${gateway.url}\n`)
const g = gateway

const fx = await setupSoak(provider, url, KEYS, account, (s) => process.stderr.write(s)).catch((e: Error) => abort(`setup: ${e.message}`))
const mix: MixRule[] = mixRules(fx.bucket, provider, { rate: RATE, opRate: OP_RATE, timeoutMs: TIMEOUT_MS, seedBase: SEED, firesWithin: 0 })
for (const m of mix) await addFault(url, m.rule)
out(`manifest ${(fx.manifestBytes / 1e6).toFixed(1)} MB; fault rules: ${mix.map((m) => `${m.label} (${m.per === 'op' ? 'per op' : 'per request'} ${(m.rule.rate! * 100).toFixed(2)}%)`).join(', ')}`)

// ------------------------------------------------------------------ the job
const firedBy = (rules: StoredFault[]) => mix.map((m) => {
  const r = rules.find((x) => x.seed === m.rule.seed && x.kind === m.rule.kind)
  return { label: m.label, per: m.per, n: r === undefined ? 0 : m.per === 'op' ? (r.opsHit ?? 0) : r.fired, draws: r?.draws ?? 0 }
})
const tJob = performance.now()
const created = await g.api('POST', '/v1/jobs', {
  clientRequestToken: `soak-${Date.now()}`,
  account: SOAK_ACCOUNT,
  operation: { op: 'delete' },
  manifest: fx.manifest,
  report: fx.report,
  confirmationRequired: false,
  description: `soak: ${KEYS} keys on ${provider}, faults ${RATE}/${OP_RATE}, seed ${SEED}`,
})
const jobId = (created.json as { jobId?: string } | undefined)?.jobId
if (created.status !== 201 || !jobId) await abort(`POST /v1/jobs answered ${created.status}: ${created.text.slice(0, 400)}`)
type JobView = { status: string; progressSummary: { totalNumberOfTasks: number; numberOfTasksSucceeded: number; numberOfTasksFailed: number }; failureReasons: unknown[]; failuresByCode: Record<string, number> }
const samples: Sample[] = []
let job!: JobView
let activeAt: number | undefined
progress = new Progress(KEYS, process.stderr)
for (;;) {
  const [r, rules] = await Promise.all([g.api('GET', `/v1/jobs/${jobId}`), listFaults(url, fx.bucket)])
  if (r.status !== 200) await abort(`GET /v1/jobs/${jobId} answered ${r.status}: ${r.text.slice(0, 300)}`)
  job = r.json as JobView
  const t = (performance.now() - tJob) / 1000
  const s = job.progressSummary
  const done = s.numberOfTasksSucceeded + s.numberOfTasksFailed
  const faults = firedBy(rules).reduce((a, f) => a + f.n, 0)
  samples.push({ t, done, faults })
  if (job.status === 'Active') activeAt ??= t
  const recent = samples.length > 4 ? (done - samples[samples.length - 5]!.done) / (t - samples[samples.length - 5]!.t) : done / Math.max(t, 1e-3)
  progress.update(done, job.status, `${n(done)} of ${n(KEYS)} keys, ${n(recent)} keys/s, ${n(faults)} faults fired${s.numberOfTasksFailed ? `, ${n(s.numberOfTasksFailed)} failed` : ''}`)
  if (['Complete', 'Failed', 'Cancelled'].includes(job.status)) break
  await new Promise((res) => setTimeout(res, POLL_MS))
}
progress.done()
progress = undefined
const jobMs = performance.now() - tJob
const rules = await listFaults(url, fx.bucket)

// ------------------------------------------------------------------ figures and the count check
const fired = firedBy(rules)
const delay = rules.find((r) => r.kind === 'delay')
const requests = delay?.draws ?? NaN
const perCall = OPS_PER_CALL[provider]
const minimum = Math.floor(KEYS / CHUNK_ROWS) * Math.ceil(CHUNK_ROWS / perCall) + Math.ceil((KEYS % CHUNK_ROWS) / perCall)
const lostAnswers = fired.filter((f) => f.label === 'timeout' || f.label === 'drop (applied)').reduce((a, f) => a + f.n, 0)
const check = await countCheck({ gateway: g, jobId: jobId!, provider, keys: KEYS, bucket: fx.bucket, job, remaining: await fx.remaining(), lostAnswers })
const workerErrors = g.takeWorkerErrors()
const s = job.progressSummary
const runSeconds = activeAt === undefined ? jobMs / 1000 : jobMs / 1000 - activeAt

out()
out(`job      ${jobId}: ${job.status} in ${secs(jobMs)} from creation (${secs(runSeconds * 1000)} from Active), ${s.numberOfTasksSucceeded.toLocaleString('en-US')} succeeded, ${s.numberOfTasksFailed.toLocaleString('en-US')} failed${s.numberOfTasksFailed ? ` ${JSON.stringify(job.failuresByCode)}` : ''}`)
out(`keys/s   ${n(KEYS / (jobMs / 1000))} (creation to Complete); ${n(KEYS / runSeconds)} while Active`)
out(`requests ${n(requests)} provider calls on the data bucket; the fewest for ${n(KEYS)} keys is ${n(minimum)} (${perCall} a call)`)
out(`retries  ${n(requests - minimum)} calls beyond the fewest (${((requests / minimum - 1) * 100).toFixed(1)}%)`)
out(`faults   ${n(fired.filter((f) => f.per === 'request').reduce((a, f) => a + f.n, 0))} requests and ${n(fired.filter((f) => f.per === 'op').reduce((a, f) => a + f.n, 0))} operations met a fault:`)
out(countBars(fired.map((f) => ({ label: `  ${f.label}`, value: f.n, note: `${f.per === 'op' ? 'op' : 'request'}${f.n === 1 ? '' : 's'} of ${n(f.draws)} drawn` }))))
if (check.failedRows.length)
  out(`failed rows (${check.failedRows.length}): ${check.failedRows.slice(0, 5).map((r) => `${r.key} ${r.errorCode} "${r.message}"`).join('; ')}${check.failedRows.length > 5 ? '; ...' : ''}`)
if (workerErrors.length) out(`worker   logged ${workerErrors.length} warnings/errors, e.g. ${workerErrors[0]!.slice(0, 200)}`)
out()
out('count check')
for (const c of check.checks) out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)
out()
out(progressChart(samples))
out()
out(`total    ${secs(performance.now() - tStart)} with setup; replay with --seed ${SEED}`)
await cleanup()
process.exit(check.checks.every((c) => c.ok) ? 0 : 1)
