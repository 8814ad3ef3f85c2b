/**
 * npm run bench — where batchgate stands against the direct call and its goals.
 *
 * The real Worker (bundled by wrangler, run in workerd by Miniflare, called over HTTP) versus the
 * same work sent straight to the provider emulators from Node, interleaved so both see the same
 * machine state. Sections (all by default):
 *
 *   qiniu-mixed  a 1,000-op mixed Qiniu batch: p50/p95/mean/min/max of both, ratios, added ms, a
 *                histogram; the same mix at 10 and 100 ops for the scaling
 *   delete       per provider (qiniu, s3, ctyun, oss, pds, r2), batches deleting 10, 100 and 1,000
 *                existing keys: p50/p95 of both, ratio and added ms, charts, scaling; then the
 *                Worker's CPU per batch measured inside workerd (V8 profile by phase, and the
 *                workerd thread's run time) for every provider and size and the mixed batch
 *   jobs         delete jobs of 10,000, 100,000 and 1,000,000 keys end to end on the S3 emulator
 *                (POST /v1/jobs, the chunk queue, the job objects in workerd) against the same
 *                keys deleted by 1,000-key DeleteObjects straight from Node at the job's concurrency
 *   prep         manifest preparation: time and workerd memory for 100,000, 1,000,000 and
 *                10,000,000-row manifests
 *
 * Every table shows how its figure grows over the sizes. Figures are judged against the goals (less
 * than 5% added latency; under 2 ms of Worker CPU per 1,000 operations; a job at least 80% of the
 * direct loop's keys/s; preparation memory flat in the manifest size and at least 200,000 rows/s);
 * nothing is asserted (exit 0 when it ran, 1 when a call answered wrongly or something could not
 * start). Results: bench-results/<date>.json and bench-results/latest.json.
 *
 *   npm run bench -- [--only SECTION[,SECTION]] [--providers qiniu,s3,ctyun,oss,pds,r2] [--quick]
 *                    [--iterations N] [--warmup 5] [--host 127.0.0.1] [--breakdown] [--json-only]
 *
 * The emulators listen on the test suite's ports (<host>:80, :9000, :9100, :9200; Qiniu needs 80:
 * the qiniu SDK's v2 verifier mishandles other ports): do not run the bench while the tests run, or
 * pass --host 127.0.0.2.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DELETE_PROVIDERS, DELETE_SIZES, EMULATOR_OF, gatewayAccounts, type DeleteProvider } from './bench/delete.ts'
import { runDeleteSections } from './bench/delete-section.ts'
import { PortBusyError, startEmulators, type EmulatorKind, type Emulators } from './bench/emulators.ts'
import { bundleWorker, startGateway, type Gateway } from './bench/gateway.ts'
import { jobsAccounts } from './bench/jobs-api.ts'
import { JOB_ROUNDS, JOB_SIZES, runJobsSection } from './bench/jobs.ts'
import { jobsResultJson, printJobsIntro, printJobsReport } from './bench/jobs-report.ts'
import { PREP_SIZES, runPrepSection } from './bench/prep.ts'
import { prepResultJson, printPrepIntro, printPrepReport } from './bench/prep-report.ts'
import { qiniuMixedWorkload, runQiniuMixed } from './bench/qiniu-mixed.ts'
import { printGoals, type GoalLine } from './bench/goals.ts'
import { QINIU_CREDENTIALS } from '../test/fixtures/qiniu-credentials.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'bench-results')
/** The issue's goal: the gateway adds under 5% to the direct call. */
const GOAL_ADDED = 0.05
const SECTIONS = ['qiniu-mixed', 'delete', 'jobs', 'prep'] as const
type Section = (typeof SECTIONS)[number]
const DEFAULT_ITERATIONS: Record<'qiniu-mixed' | 'delete', number> = { 'qiniu-mixed': 40, delete: 30 }
const SYNC_SIZES = [...DELETE_SIZES]
/** Rounds of the CPU measurement (one call at each size) and calls profiled at 1,000 ops. */
const CPU_CALLS = 100
/** The jobs and prep sections upload manifests of up to 1,000,000 and 10,000,000 rows (38 and ~360 MB) to the S3 emulator. */
const JOBS_EMULATOR_MAX_BODY = 1024 * 1024 * 1024

const USAGE = `usage: node scripts/bench.ts [options]
  --only LIST      sections to run, comma-separated: qiniu-mixed, delete, jobs, prep (or sync =
                   qiniu-mixed,delete); default all
  --providers LIST the delete section's providers, comma-separated, from ${DELETE_PROVIDERS.join(',')}
                   (default all)
  --quick          a shorter run: 10 calls per case, jobs of 10,000 and 100,000 keys (1 round),
                   preparation of 100,000 and 1,000,000 rows
  --iterations N   measured calls of each kind per size (default 40 for qiniu-mixed, 30 for delete);
                   for jobs, rounds per size (default ${Object.entries(JOB_ROUNDS).map(([k, v]) => `${Number(k) / 1000}k: ${v}`).join(', ')})
  --warmup N       unmeasured calls of each kind first (default 5)
  --host ADDR      loopback address for the emulators, on the test suite's ports 80, 9000, 9100
                   and 9200 (default 127.0.0.1; use 127.0.0.2 to keep clear of a test run's)
  --breakdown      also find where the gateway's time goes (an instant fake upstream per provider;
                   jobs: one more 100,000-key job under workerd's CPU profiler, by phase)
  --json-only      print only the JSON result on stdout (progress still goes to stderr; through npm:
                   npm run -s bench -- --json-only)
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
        quick: { type: 'boolean', default: false },
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
const sections: Section[] = (() => {
  if (args.only === undefined) return [...SECTIONS]
  const asked = args.only.split(',').map((s) => s.trim()).flatMap((s) => (s === 'sync' ? ['qiniu-mixed', 'delete'] : [s]))
  const unknown = asked.filter((s) => !(SECTIONS as readonly string[]).includes(s))
  if (unknown.length || asked.length === 0) fail(`--only takes sections from ${SECTIONS.join(', ')} (or sync), got ${args.only}`, 2)
  return SECTIONS.filter((s) => asked.includes(s))
})()
const providers: DeleteProvider[] = (() => {
  if (args.providers === undefined) return [...DELETE_PROVIDERS]
  const list = args.providers.split(',').map((p) => p.trim()).filter((p) => p !== '')
  const unknown = list.filter((p) => !(DELETE_PROVIDERS as readonly string[]).includes(p))
  if (unknown.length || list.length === 0) fail(`--providers takes a comma-separated list from ${DELETE_PROVIDERS.join(',')}, got ${args.providers}`, 2)
  return DELETE_PROVIDERS.filter((p) => list.includes(p))
})()
if (args.providers !== undefined && !sections.includes('delete')) fail(`--providers applies to the delete section, which --only ${args.only} leaves out`, 2)
const QUICK = args.quick
const iterations = (s: 'qiniu-mixed' | 'delete') => (args.iterations !== undefined ? positiveInt('iterations', args.iterations, 1) : QUICK ? 10 : DEFAULT_ITERATIONS[s])
const jobRounds = args.iterations !== undefined ? positiveInt('iterations', args.iterations, 1) : QUICK ? 1 : undefined
const jobSizes: number[] = QUICK ? [10_000, 100_000] : [...JOB_SIZES]
const prepSizes: number[] = QUICK ? [100_000, 1_000_000] : [...PREP_SIZES]
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
const versions = await packageVersions(['miniflare', 'wrangler', 'workerd', 'zod', 'hono', 'fast-xml-parser', 'qiniu', 'aws4fetch', 'ali-oss'])
const loadAtStart = os.loadavg()
const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')

out(`batchgate bench: gateway vs direct (${sections.join(', ')}${QUICK ? ', quick' : ''})`)
out(`machine  ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}; load average ${load(loadAtStart)} (1/5/15 min)`)
out(
  `runtime  Node ${machine.node}; miniflare ${versions.miniflare}, workerd ${versions.workerd}, wrangler ${versions.wrangler}, zod ${versions.zod}, ` +
    `hono ${versions.hono}; direct clients: qiniu SDK ${versions.qiniu}, aws4fetch ${versions.aws4fetch}, ali-oss ${versions['ali-oss']}`,
)
out()

let emulators: Emulators | undefined
let gateway: Gateway | undefined
/** Gateways the sections start besides the main one (each its own workerd). */
const extraGateways: Gateway[] = []
let bundleDir: string | undefined
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
  await cleanup()
  fail(message)
}

const needed = new Set<EmulatorKind>()
if (sections.includes('qiniu-mixed')) needed.add('qiniu')
if (sections.includes('delete')) for (const p of providers) if (EMULATOR_OF[p]) needed.add(EMULATOR_OF[p])
if (sections.includes('jobs') || sections.includes('prep')) needed.add('s3')
try {
  emulators = await startEmulators(HOST, needed, sections.includes('jobs') || sections.includes('prep') ? { objectStoreMaxBodyBytes: JOBS_EMULATOR_MAX_BODY } : {})
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
const freshGateway = async (o: { inspectorPort?: number } = {}) => {
  const g = await startGateway({ ...gatewayOptions, ...o })
  extraGateways.push(g)
  return g
}

const results: Record<string, unknown> = {}
const goals: GoalLine[] = []

// ------------------------------------------------------------------ section: qiniu-mixed
if (sections.includes('qiniu-mixed')) {
  const { benchmark: _b, ...rest } = await runQiniuMixed(
    {
      root: ROOT,
      script: bundle.script,
      gateway,
      emulatorUrl: urls.qiniu!,
      emulatorHost: HOST,
      iterations: iterations('qiniu-mixed'),
      warmup: WARMUP,
      breakdown: args.breakdown,
      goalAdded: GOAL_ADDED,
      sizes: SYNC_SIZES,
      out,
      abort,
    },
    mixedWorkload,
  )
  results['qiniu-mixed'] = rest
  const r = rest as { ratio: { p50: number }; addedMs: { p50: number }; goal: { met: boolean } }
  goals.push({
    section: 'sync',
    goal: `added latency < ${GOAL_ADDED * 100}% (1,000-op batch, p50 and p95)`,
    subject: 'qiniu mixed',
    figure: `+${r.addedMs.p50.toFixed(1)} ms (${r.ratio.p50.toFixed(2)}×)`,
    met: r.goal.met,
  })
  out()
}

// ------------------------------------------------------------------ section: delete (+ sync CPU)
if (sections.includes('delete')) {
  const d = await runDeleteSections({
    root: ROOT,
    script: bundle.script,
    host: HOST,
    urls,
    gateway,
    providers,
    sizes: SYNC_SIZES,
    iterations: iterations('delete'),
    warmup: WARMUP,
    goalAdded: GOAL_ADDED,
    breakdown: args.breakdown,
    cpu: { calls: QUICK ? 20 : CPU_CALLS, mixedSizes: sections.includes('qiniu-mixed') ? SYNC_SIZES : [] },
    out,
    abort,
  })
  results['delete'] = d.json
  goals.push(...d.goals)
  out()
}

// ------------------------------------------------------------------ section: jobs
if (sections.includes('jobs')) {
  printJobsIntro({ out, sizes: jobSizes, rounds: (k) => jobRounds ?? JOB_ROUNDS[k] ?? 1, warmup: WARMUP > 0 })
  const jobs = await runJobsSection({
    gateway,
    freshGateway,
    s3: urls.s3!,
    sizes: jobSizes,
    ...(jobRounds !== undefined ? { rounds: jobRounds } : {}),
    warmup: WARMUP > 0,
    ...(args.breakdown ? { breakdown: { bundlePath: bundle.script } } : {}),
    log: (s) => process.stderr.write(s),
  }).catch((e: Error) => abort(`jobs: ${e.stack ?? e.message}`))
  const verdicts = printJobsReport({ out, result: jobs })
  const json = jobsResultJson(jobs, verdicts)
  results['jobs'] = json
  const sizes = json.sizes as Array<{ keys: number; ratio: number; keysPerSecond: { job: number; direct: number } }>
  // The issue sets the goal on the 1,000,000-key job (the largest run); smaller jobs show how the
  // fixed per-job cost (preparation, report, completion) weighs, and are not judged.
  const largest = Math.max(...sizes.map((s) => s.keys))
  for (const s of sizes)
    goals.push({
      section: 'jobs',
      goal: 'delete job ≥ 80% of direct DeleteObjects keys/s (judged on the largest job)',
      subject: `${s.keys.toLocaleString('en-US')} keys`,
      figure: `${s.keysPerSecond.job.toLocaleString('en-US')} vs ${s.keysPerSecond.direct.toLocaleString('en-US')} keys/s (${(s.ratio * 100).toFixed(0)}%)`,
      met: s.keys === largest ? s.ratio >= 0.8 : null,
    })
  out()
}

// ------------------------------------------------------------------ section: prep
if (sections.includes('prep')) {
  printPrepIntro(out, prepSizes)
  const prep = await runPrepSection({ freshGateway, s3: urls.s3!, sizes: prepSizes, log: (s) => process.stderr.write(s) }).catch((e: Error) =>
    abort(`prep: ${e.stack ?? e.message}`),
  )
  const verdicts = printPrepReport(out, prep)
  results['prep'] = prepResultJson(prep, verdicts)
  for (const v of verdicts)
    goals.push({ section: 'prep', goal: v.goal, subject: prep.preparation.map((p) => p.rows.toLocaleString('en-US')).join(' / ') + ' rows', figure: '', met: v.met })
  out()
}

await cleanup()

// ------------------------------------------------------------------ goals and results
const loadAtEnd = os.loadavg()
printGoals(out, goals, { start: loadAtStart, end: loadAtEnd, cores: machine.cores })
const date = new Date()
const document = {
  date: date.toISOString(),
  machine,
  versions,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  options: { sections, providers, quick: QUICK, iterations: args.iterations ?? null, warmup: WARMUP, emulatorHost: HOST, breakdown: args.breakdown },
  goals,
  ...results,
}
await mkdir(RESULTS, { recursive: true })
const file = join(RESULTS, `${date.toISOString().replace(/[:.]/g, '-')}.json`)
await writeFile(file, JSON.stringify(document, null, 2) + '\n')
await copyFile(file, join(RESULTS, 'latest.json'))
out(`wrote ${relative(process.cwd(), file) || file} (and bench-results/latest.json)`)
if (JSON_ONLY) process.stdout.write(JSON.stringify(document, null, 2) + '\n')
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
