/**
 * npm run bench — what the gateway adds to a Qiniu batch.
 *
 * A 1,000-op mixed Qiniu batch sent through the gateway (the real Worker, bundled by wrangler and
 * run in workerd by Miniflare, called over HTTP) versus the same batch sent straight to the Qiniu
 * emulator from Node, interleaved so both see the same machine state. Prints p50/p95/mean/min/max of
 * both, their ratios and the added milliseconds, a latency histogram, and writes
 * bench-results/qiniu-sync.json. It reports the figure; it asserts nothing (exit 0 when it ran).
 *
 *   npm run bench -- [--iterations 60] [--warmup 5] [--host 127.0.0.1] [--breakdown] [--json-only]
 *
 * The emulator listens on <host>:80 (the qiniu SDK's v2 verifier mishandles other ports), as the
 * test suite does: do not run the bench while the tests run, or pass --host 127.0.0.2.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startQiniuEmulator, type QiniuEmulator } from '../test/emulators/qiniu/qiniu-emulator.ts'
import { seedBucket } from '../test/emulators/control.ts'
import { QINIU_CREDENTIALS } from '../test/fixtures/qiniu-credentials.ts'
import { runBreakdown, type Breakdown } from './bench/breakdown.ts'
import { bars, histogram } from './bench/chart.ts'
import { createDirectClient, type CallResult } from './bench/direct.ts'
import { bundleWorker, startGateway, type Gateway } from './bench/gateway.ts'
import { Progress } from './bench/progress.ts'
import { roundSummary, summarise, type Summary } from './bench/stats.ts'
import { BUCKET, buildWorkload, MIX, SCRATCH_BUCKET } from './bench/workload.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(ROOT, 'bench-results', 'qiniu-sync.json')
const ACCESS_KEY = 'qn-test-ak'
const GOAL_ADDED = 0.1

const USAGE = `usage: node scripts/bench.ts [options]
  --iterations N   measured calls of each kind (default 60)
  --warmup N       unmeasured calls of each kind first (default 5)
  --host ADDR      loopback address for the Qiniu emulator, on port 80 (default 127.0.0.1;
                   use 127.0.0.2 to keep clear of a test run's emulator)
  --breakdown      also find where the gateway's time goes (instant fake upstream; CPU profile in workerd)
  --json-only      print only the JSON result on stdout (progress still goes to stderr;
                   through npm: npm run -s bench -- --json-only)
  -h, --help`

function fail(message: string, code = 1): never {
  process.stderr.write(`bench: ${message}\n`)
  process.exit(code)
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        iterations: { type: 'string', default: '60' },
        warmup: { type: 'string', default: '5' },
        host: { type: 'string', default: '127.0.0.1' },
        breakdown: { type: 'boolean', default: false },
        'json-only': { type: 'boolean', default: false },
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
const positiveInt = (name: string, v: string, min: number) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got ${v}`, 2)
  return n
}
const ITERATIONS = positiveInt('iterations', args.iterations, 1)
const WARMUP = positiveInt('warmup', args.warmup, 0)
const HOST = args.host
const JSON_ONLY = args['json-only']
const out = (s = '') => {
  if (!JSON_ONLY) process.stdout.write(s + '\n')
}

// ------------------------------------------------------------------ setup
const cpus = os.cpus()
const machine = {
  cpuModel: cpus[0]?.model.trim() ?? 'unknown',
  cores: os.availableParallelism?.() ?? cpus.length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  node: process.version,
}
const versions = await packageVersions(['miniflare', 'wrangler', 'workerd', 'qiniu'])

const workload = buildWorkload(1000)
const mixText = MIX.map(([k, n]) => `${k} ${workload.counts[k]}`).join(', ')

out(`batchgate bench: Qiniu sync batch, gateway vs direct`)
out(`machine  ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`)
out(`runtime  Node ${machine.node}; miniflare ${versions.miniflare}, workerd ${versions.workerd}, wrangler ${versions.wrangler}, qiniu SDK ${versions.qiniu}`)
out(`batch    ${workload.operations.length} ops: ${mixText}`)
out(`method   ${WARMUP} warm-up + ${ITERATIONS} measured calls each, gateway and direct interleaved (order alternating)`)
out()

let emulator: QiniuEmulator | undefined
let gateway: Gateway | undefined
let bundleDir: string | undefined
let cleaning: Promise<void> | undefined
const cleanup = () =>
  (cleaning ??= (async () => {
    await gateway?.close().catch(() => {})
    await emulator?.close().catch(() => {})
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true }).catch(() => {})
  })())
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nbench: interrupted, cleaning up\n`)
    void cleanup().then(() => process.exit(130))
  })
}
async function abort(message: string): Promise<never> {
  progress?.done()
  await cleanup()
  fail(message)
}
let progress: Progress | undefined

try {
  emulator = await startQiniuEmulator({ host: HOST, port: 80, credentials: QINIU_CREDENTIALS })
} catch (e) {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE')
    fail(
      `${HOST}:80 is already in use, so the Qiniu emulator cannot start there.\n` +
        `  The test suite (npm test) and "node scripts/emulator.ts" listen on 127.0.0.1:80; the bench must not run ` +
        `while they do.\n  Stop them (see: ss -ltnp 'sport = :80'), or run on another loopback address: npm run bench -- --host ${HOST === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2'}`,
    )
  fail((e as Error).message)
}

await seedBucket(emulator.url, BUCKET, workload.seed)
await seedBucket(emulator.url, SCRATCH_BUCKET, [])

const direct = createDirectClient({
  url: emulator.url,
  accessKey: ACCESS_KEY,
  secretKey: QINIU_CREDENTIALS[ACCESS_KEY]!,
  operations: workload.operations,
  expectedCodes: workload.expectedDirectCodes,
})

process.stderr.write('bundling the Worker (wrangler deploy --dry-run) ... ')
const bundle = await bundleWorker(ROOT).catch((e: Error) => abort(e.message))
bundleDir = bundle.dir
process.stderr.write(`${(bundle.ms / 1000).toFixed(1)} s\nstarting workerd (Miniflare) ... `)
const t0 = performance.now()
gateway = await startGateway({
  root: ROOT,
  script: bundle.script,
  qiniuEndpoint: emulator.url,
  accessKey: ACCESS_KEY,
  secretKey: QINIU_CREDENTIALS[ACCESS_KEY]!,
  operations: workload.operations,
}).catch((e: Error) => abort(`cannot start the gateway in Miniflare: ${e.message}`))
process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s, ${gateway.url}\n`)

// ------------------------------------------------------------------ measure
async function check(kind: 'gateway' | 'direct', r: CallResult, when: string): Promise<void> {
  if (r.problems.length === 0) return
  const why =
    kind === 'gateway'
      ? `the gateway did not answer 200 with ${workload.operations.length} succeeded results (${when}): ${r.problems.join('; ')}`
      : `the emulator's direct answer was not the expected one (${when}): ${r.problems.join('; ')}`
  await abort(why)
}

const samples = { gateway: [] as number[], direct: [] as number[] }
const responseBytes = { gateway: 0, direct: 0 }
progress = new Progress(WARMUP + ITERATIONS, process.stderr)
for (let i = 0; i < WARMUP + ITERATIONS; i++) {
  const warm = i < WARMUP
  const when = warm ? `warm-up ${i + 1}` : `iteration ${i - WARMUP + 1}`
  // Alternate who goes first so neither always runs right after the other's garbage.
  const order = i % 2 === 0 ? (['gateway', 'direct'] as const) : (['direct', 'gateway'] as const)
  for (const kind of order) {
    const r = kind === 'gateway' ? await gateway.call() : await direct.call()
    await check(kind, r, when)
    if (!warm) samples[kind].push(r.ms)
    responseBytes[kind] = Buffer.byteLength(r.text ?? '')
  }
  progress.tick(warm ? 'warm-up' : 'measuring', samples)
}
progress.done()

const g = summarise(samples.gateway)
const d = summarise(samples.direct)
const ratio = { p50: g.p50 / d.p50, p95: g.p95 / d.p95, mean: g.mean / d.mean }
const added = { p50: g.p50 - d.p50, p95: g.p95 - d.p95, mean: g.mean - d.mean }
const met = ratio.p50 < 1 + GOAL_ADDED && ratio.p95 < 1 + GOAL_ADDED
// The Worker's own access-log time for the measured calls (workerd's clock only moves on I/O).
// Its log lines arrive through workerd's stdout, a moment after the answers: let the last ones land.
await new Promise((r) => setTimeout(r, 200))
const workerMs = summarise(gateway.workerMs.slice(-ITERATIONS))

let breakdown: Breakdown | undefined
if (args.breakdown) {
  process.stderr.write('breakdown: timing against an instant fake upstream, then profiling the Worker inside workerd ...\n')
  breakdown = await runBreakdown({
    root: ROOT,
    script: bundle.script,
    emulatorUrl: emulator.url,
    accessKey: ACCESS_KEY,
    secretKey: QINIU_CREDENTIALS[ACCESS_KEY]!,
    workload,
    iterations: Math.min(ITERATIONS, 40),
    log: (s) => process.stderr.write(s),
  }).catch((e: Error) => abort(`breakdown failed: ${e.stack ?? e.message}`))
}

await cleanup()

// ------------------------------------------------------------------ report
const f = (x: number) => x.toFixed(2).padStart(9)
const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(0)}%`
const row = (label: string, s: Summary) => `${label.padEnd(15)}${f(s.p50)}${f(s.p95)}${f(s.mean)}${f(s.min)}${f(s.max)}`
out(`results  ms per 1,000-op call, ${ITERATIONS} calls each (client-side wall time: build, sign/serialise, send, read, parse)`)
out(`${''.padEnd(15)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'mean'.padStart(9)}${'min'.padStart(9)}${'max'.padStart(9)}`)
out(row('gateway', g))
out(row('direct', d))
out(`${'ratio g/d'.padEnd(15)}${(ratio.p50.toFixed(2) + '×').padStart(9)}${(ratio.p95.toFixed(2) + '×').padStart(9)}${(ratio.mean.toFixed(2) + '×').padStart(9)}`)
out(`${'added ms'.padEnd(15)}${f(added.p50)}${f(added.p95)}${f(added.mean)}`)
out(`${'added %'.padEnd(15)}${pct(ratio.p50).padStart(9)}${pct(ratio.p95).padStart(9)}${pct(ratio.mean).padStart(9)}`)
out(`${'(worker log)'.padEnd(15)}${f(workerMs.p50)}${f(workerMs.p95)}${f(workerMs.mean)}${f(workerMs.min)}${f(workerMs.max)}   the Worker's own access-log ms`)
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`
out(`bodies   gateway ${kib(gateway.bodyBytes)} JSON in, ${kib(responseBytes.gateway)} out; direct ${kib(direct.bodyBytes)} form in, ${kib(responseBytes.direct)} out`)
out()
out(histogram({ label: 'gateway', glyph: '█', samples: samples.gateway }, { label: 'direct', glyph: '░', samples: samples.direct }))
out()
out(
  `verdict  The gateway adds ${added.p50.toFixed(1)} ms (${pct(ratio.p50)}) at p50 and ${added.p95.toFixed(1)} ms (${pct(ratio.p95)}) at p95 ` +
    `to the direct call: the goal (less than 10% added) is ${met ? 'met' : 'NOT met'}.`,
)
if (!met && !breakdown) out(`         Run with --breakdown to see where the gateway's time goes.`)

if (breakdown) {
  out()
  out(`breakdown  where the gateway's time goes (medians of ${breakdown.iterations} calls)`)
  out(bars(breakdown.endToEnd, { width: 36 }))
  out()
  out(`  CPU inside workerd per call, by phase (V8 profile over ${breakdown.profileCalls} calls; total ${breakdown.cpuTotalMs} ms):`)
  out(bars([...breakdown.cpu].sort((a, b) => b.value - a.value), { width: 36 }))
  for (const note of breakdown.notes) out(`  - ${note}`)
}

const result = {
  benchmark: 'qiniu-sync',
  date: new Date().toISOString(),
  machine,
  versions,
  config: {
    iterations: ITERATIONS,
    warmup: WARMUP,
    emulatorHost: HOST,
    operations: workload.operations.length,
    mix: workload.counts,
    requestBytes: { gateway: gateway.bodyBytes, direct: direct.bodyBytes },
    responseBytes,
    timing: 'client-side wall time per call, from building the request to the parsed answer; percentiles by linear interpolation',
  },
  gateway: roundSummary(g),
  direct: roundSummary(d),
  workerAccessLogMs: roundSummary(workerMs),
  ratio: { p50: round(ratio.p50, 4), p95: round(ratio.p95, 4), mean: round(ratio.mean, 4) },
  addedMs: { p50: round(added.p50, 3), p95: round(added.p95, 3), mean: round(added.mean, 3) },
  goal: { maxAdded: GOAL_ADDED, judgedOn: ['p50', 'p95'], met },
  ...(breakdown ? { breakdown } : {}),
  samples: { gateway: samples.gateway.map((x) => round(x, 3)), direct: samples.direct.map((x) => round(x, 3)) },
}
await mkdir(dirname(OUT), { recursive: true })
await writeFile(OUT, JSON.stringify(result, null, 2) + '\n')
if (JSON_ONLY) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
else out(`\nwrote ${relative(process.cwd(), OUT) || OUT}`)
process.exit(0)

// ------------------------------------------------------------------ helpers
function round(x: number, digits: number): number {
  const m = 10 ** digits
  return Math.round(x * m) / m
}

async function packageVersions(names: string[]): Promise<Record<string, string>> {
  const { readFile } = await import('node:fs/promises')
  const entries = await Promise.all(
    names.map(async (n) => {
      try {
        const pkg = JSON.parse(await readFile(join(ROOT, 'node_modules', n, 'package.json'), 'utf8')) as { version: string }
        return [n, pkg.version] as const
      } catch {
        return [n, 'unknown'] as const
      }
    }),
  )
  return Object.fromEntries(entries)
}
