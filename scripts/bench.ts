/**
 * npm run bench — what the gateway adds to a provider's batch call.
 *
 * The real Worker (bundled by wrangler, run in workerd by Miniflare, called over HTTP) versus the
 * same work sent straight to the provider emulators from Node, interleaved so both see the same
 * machine state. Three sections:
 *
 *   qiniu-mixed  a 1,000-op mixed Qiniu batch: p50/p95/mean/min/max of both, their ratios and the
 *                added milliseconds, a latency histogram → bench-results/qiniu-sync.json
 *   delete       per provider (qiniu, s3, ctyun, oss, pds, r2), a batch deleting 1,000 existing
 *                keys: p50/p95 of both, ratio and added ms per provider, charts comparing the
 *                providers → bench-results/delete-1000.json
 *   jobs         batch jobs (POST /v1/jobs, the chunk queue and the job objects in workerd): a
 *                100,000-key delete job on the S3 emulator account, creation to Complete, against
 *                the same keys deleted by 1,000-key DeleteObjects calls sent straight from Node at
 *                the job's concurrency (4 in flight); and the time and workerd memory of preparing
 *                a 100,000- and a 1,000,000-row manifest (and 10,000,000 with --big)
 *                → bench-results/jobs.json
 *
 * It reports the figures against the goals (less than 10% added; a job at least 80% of the direct
 * loop's keys/s; preparation memory flat in the manifest size and at least 200,000 rows/s); it
 * asserts nothing (exit 0 when it ran, 1 when a call answered wrongly or something could not start).
 *
 *   npm run bench -- [--only qiniu-mixed|delete|jobs] [--providers qiniu,s3,ctyun,oss,pds,r2]
 *                    [--iterations N] [--warmup 5] [--host 127.0.0.1] [--breakdown] [--big] [--json-only]
 *
 * The emulators listen on the test suite's ports (<host>:80, :9000, :9100, :9200; Qiniu needs 80:
 * the qiniu SDK's v2 verifier mishandles other ports): do not run the bench while the tests run, or
 * pass --host 127.0.0.2.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DELETE_PROVIDERS, EMULATOR_OF, gatewayAccounts, makeRig, runDeleteSection, type DeleteProvider } from './bench/delete.ts'
import { deleteResultJson, figures, printDeleteReport } from './bench/delete-report.ts'
import { formatDeleteBreakdown, runDeleteBreakdown, type DeleteBreakdown } from './bench/delete-breakdown.ts'
import { PortBusyError, startEmulators, type EmulatorKind, type Emulators } from './bench/emulators.ts'
import { bundleWorker, startGateway, type Gateway } from './bench/gateway.ts'
import { jobsAccounts, runJobsSection } from './bench/jobs.ts'
import { jobsResultJson, printJobsIntro, printJobsReport } from './bench/jobs-report.ts'
import { median, Progress } from './bench/progress.ts'
import { qiniuMixedWorkload, runQiniuMixed } from './bench/qiniu-mixed.ts'
import { QINIU_CREDENTIALS } from '../test/fixtures/qiniu-credentials.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'bench-results')
const GOAL_ADDED = 0.1
const SECTIONS = ['qiniu-mixed', 'delete', 'jobs'] as const
type Section = (typeof SECTIONS)[number]
/** For jobs: rounds of (the 100,000-key job, the direct loops). */
const DEFAULT_ITERATIONS: Record<Section, number> = { 'qiniu-mixed': 60, delete: 30, jobs: 3 }
/** The jobs section uploads manifests of up to 10,000,000 rows (~360 MB) to the S3 emulator. */
const JOBS_EMULATOR_MAX_BODY = 1024 * 1024 * 1024

const USAGE = `usage: node scripts/bench.ts [options]
  --only SECTION   run one section: qiniu-mixed (1,000-op mixed Qiniu batch), delete
                   (1,000 deletes per provider) or jobs (a 100,000-key delete job vs direct
                   DeleteObjects, and manifest preparation time and memory); default all
  --providers LIST the delete section's providers, comma-separated, from ${DELETE_PROVIDERS.join(',')}
                   (default all)
  --iterations N   measured calls of each kind (default 60 for qiniu-mixed, 30 for delete; for
                   jobs, rounds of job + direct loops, default 3)
  --big            jobs: also prepare a 10,000,000-row manifest (~360 MB in the emulator's memory)
  --warmup N       unmeasured calls of each kind first (default 5)
  --host ADDR      loopback address for the emulators, on the test suite's ports 80, 9000, 9100
                   and 9200 (default 127.0.0.1; use 127.0.0.2 to keep clear of a test run's)
  --breakdown      also find where the gateway's time goes, in each section (instant fake upstream;
                   CPU profile of the Worker in workerd; jobs: one more job, profiled, by phase)
  --json-only      print only the JSON result on stdout (progress still goes to stderr; with several
                   sections, one object keyed by result name; through npm: npm run -s bench -- --json-only)
  -h, --help`

function fail(message: string, code = 1): never {
  process.stderr.write(`bench: ${message}\n`)
  process.exit(code)
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        only: { type: 'string' },
        providers: { type: 'string' },
        iterations: { type: 'string' },
        warmup: { type: 'string', default: '5' },
        host: { type: 'string', default: '127.0.0.1' },
        breakdown: { type: 'boolean', default: false },
        big: { type: 'boolean', default: false },
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
if (args.only !== undefined && !(SECTIONS as readonly string[]).includes(args.only))
  fail(`--only must be one of ${SECTIONS.join(', ')}, got ${args.only}`, 2)
const sections: Section[] = args.only === undefined ? [...SECTIONS] : [args.only as Section]
const providers: DeleteProvider[] = (() => {
  if (args.providers === undefined) return [...DELETE_PROVIDERS]
  const list = args.providers.split(',').map((p) => p.trim()).filter((p) => p !== '')
  const unknown = list.filter((p) => !(DELETE_PROVIDERS as readonly string[]).includes(p))
  if (unknown.length || list.length === 0) fail(`--providers takes a comma-separated list from ${DELETE_PROVIDERS.join(',')}, got ${args.providers}`, 2)
  return DELETE_PROVIDERS.filter((p) => list.includes(p))
})()
if (args.big && !sections.includes('jobs')) fail(`--big applies to the jobs section, which --only ${args.only} leaves out`, 2)
if (args.providers !== undefined && !sections.includes('delete')) fail(`--providers applies to the delete section, which --only ${args.only} leaves out`, 2)
const iterationsOf = (s: Section) => (args.iterations === undefined ? DEFAULT_ITERATIONS[s] : positiveInt('iterations', args.iterations, 1))
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
const versions = await packageVersions(['miniflare', 'wrangler', 'workerd', 'qiniu', 'aws4fetch', 'ali-oss'])

out(`batchgate bench: gateway vs direct (${sections.join(', ')})`)
out(`machine  ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`)
out(
  `runtime  Node ${machine.node}; miniflare ${versions.miniflare}, workerd ${versions.workerd}, wrangler ${versions.wrangler}, ` +
    `qiniu SDK ${versions.qiniu}, aws4fetch ${versions.aws4fetch}, ali-oss ${versions['ali-oss']}`,
)
out()

let emulators: Emulators | undefined
let gateway: Gateway | undefined
/** Gateways the jobs section starts besides the main one (each its own workerd). */
const extraGateways: Gateway[] = []
let bundleDir: string | undefined
let progress: Progress | undefined
let cleaning: Promise<void> | undefined
const cleanup = () =>
  (cleaning ??= (async () => {
    await gateway?.close().catch(() => {})
    await Promise.allSettled(extraGateways.map((g) => g.close()))
    await emulators?.close().catch(() => {})
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

const needed = new Set<EmulatorKind>()
if (sections.includes('qiniu-mixed')) needed.add('qiniu')
if (sections.includes('delete')) for (const p of providers) if (EMULATOR_OF[p]) needed.add(EMULATOR_OF[p])
if (sections.includes('jobs')) needed.add('s3')
try {
  emulators = await startEmulators(HOST, needed, sections.includes('jobs') ? { objectStoreMaxBodyBytes: JOBS_EMULATOR_MAX_BODY } : {})
} catch (e) {
  fail(e instanceof PortBusyError ? e.message : (e as Error).message)
}
const urls = emulators.urls

process.stderr.write('bundling the Worker (wrangler deploy --dry-run) ... ')
const bundle = await bundleWorker(ROOT).catch((e: Error) => abort(e.message))
bundleDir = bundle.dir
process.stderr.write(`${(bundle.ms / 1000).toFixed(1)} s\nstarting workerd (Miniflare) ... `)
const t0 = performance.now()
const mixedWorkload = qiniuMixedWorkload()
const gatewayOptions = {
  root: ROOT,
  script: bundle.script,
  // The mixed section's account; without a Qiniu emulator it points nowhere and is not used.
  qiniuEndpoint: urls.qiniu ?? `http://${HOST}`,
  accessKey: 'qn-test-ak',
  secretKey: QINIU_CREDENTIALS['qn-test-ak']!,
  operations: mixedWorkload.operations,
  accounts: { ...gatewayAccounts(urls), ...jobsAccounts(urls) },
}
gateway = await startGateway(gatewayOptions).catch((e: Error) => abort(`cannot start the gateway in Miniflare: ${e.message}`))
process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s, ${gateway.url}\n`)

const results: Record<string, Record<string, unknown>> = {}
const stamp = { date: new Date().toISOString(), machine, versions }

// ------------------------------------------------------------------ section: qiniu-mixed
if (sections.includes('qiniu-mixed')) {
  const { benchmark, ...rest } = await runQiniuMixed(
    {
      root: ROOT,
      script: bundle.script,
      gateway,
      emulatorUrl: urls.qiniu!,
      emulatorHost: HOST,
      iterations: iterationsOf('qiniu-mixed'),
      warmup: WARMUP,
      breakdown: args.breakdown,
      goalAdded: GOAL_ADDED,
      out,
      abort,
    },
    mixedWorkload,
  )
  results['qiniu-sync'] = { benchmark, ...stamp, ...rest }
  out()
}

// ------------------------------------------------------------------ section: delete
if (sections.includes('delete')) {
  const iterations = iterationsOf('delete')
  out(`== delete: a batch deleting 1,000 existing keys, per provider, gateway vs direct`)
  out(`providers ${providers.join(', ')}`)
  out(
    `method   ${WARMUP} warm-up + ${iterations} measured calls each; every round visits every provider, gateway and direct interleaved ` +
      `(order alternating); the bucket re-seeded before every call and checked empty after it, outside the timed region`,
  )
  out()
  const g = gateway
  const rigs = await Promise.all(providers.map((p) => makeRig(p, urls, g))).catch((e: Error) => abort(e.message))
  progress = new Progress(WARMUP + iterations, process.stderr)
  const samples = await runDeleteSection({
    rigs,
    gateway,
    iterations,
    warmup: WARMUP,
    abort,
    onRound: (_i, warm, s) =>
      progress!.tick(
        warm ? 'warm-up' : 'measuring',
        'p50 g/d ms: ' + rigs.map((r) => `${r.provider} ${median(s[r.provider]!.gateway)}/${r.direct ? median(s[r.provider]!.direct) : '–'}`).join(', '),
      ),
  })
  progress.done()
  progress = undefined
  const figs = figures(rigs, samples, GOAL_ADDED)
  let breakdown: DeleteBreakdown | undefined
  if (args.breakdown) {
    process.stderr.write('breakdown: timing against an instant fake upstream, then profiling the Worker inside workerd ...\n')
    breakdown = await runDeleteBreakdown({
      root: ROOT,
      script: bundle.script,
      host: HOST,
      qiniuAccessKey: 'qn-test-ak',
      qiniuSecretKey: QINIU_CREDENTIALS['qn-test-ak']!,
      rigs,
      urls,
      gateway,
      rounds: Math.min(iterations, 20),
      log: (s) => process.stderr.write(s),
    }).catch((e: Error) => abort(`breakdown failed: ${e.stack ?? e.message}`))
  }
  printDeleteReport({ out, rigs, figs, samples, iterations, goalAdded: GOAL_ADDED })
  if (!breakdown && figs.some((f) => f.met === false)) out(`         Run with --breakdown to see where the gateway's time goes.`)
  if (breakdown) {
    out()
    for (const line of formatDeleteBreakdown(breakdown)) out(line)
  }
  const { benchmark, ...rest } = deleteResultJson({ rigs, figs, samples, iterations, warmup: WARMUP, emulatorHost: HOST, goalAdded: GOAL_ADDED })
  results['delete-1000'] = { benchmark, ...stamp, ...rest, ...(breakdown ? { breakdown } : {}) }
  out()
}

// ------------------------------------------------------------------ section: jobs
if (sections.includes('jobs')) {
  const rounds = iterationsOf('jobs')
  printJobsIntro({ out, rounds, big: args.big, warmup: WARMUP > 0 })
  const jobs = await runJobsSection({
    gateway,
    freshGateway: async (o = {}) => {
      const g = await startGateway({ ...gatewayOptions, ...o })
      extraGateways.push(g)
      return g
    },
    s3: urls.s3!,
    rounds,
    warmup: WARMUP > 0,
    big: args.big,
    ...(args.breakdown ? { breakdown: { bundlePath: bundle.script } } : {}),
    log: (s) => process.stderr.write(s),
  }).catch((e: Error) => abort(`jobs: ${e.message}`))
  const verdicts = printJobsReport({ out, result: jobs })
  results['jobs'] = { benchmark: 'jobs', ...stamp, ...jobsResultJson(jobs, verdicts) }
  out()
}

await cleanup()

// ------------------------------------------------------------------ results
await mkdir(RESULTS, { recursive: true })
for (const [name, result] of Object.entries(results)) {
  const file = join(RESULTS, `${name}.json`)
  await writeFile(file, JSON.stringify(result, null, 2) + '\n')
  out(`wrote ${relative(process.cwd(), file) || file}`)
}
if (JSON_ONLY) {
  const entries = Object.values(results)
  process.stdout.write(JSON.stringify(entries.length === 1 ? entries[0] : results, null, 2) + '\n')
}
process.exit(0)

// ------------------------------------------------------------------ helpers
async function packageVersions(names: string[]): Promise<Record<string, string>> {
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
