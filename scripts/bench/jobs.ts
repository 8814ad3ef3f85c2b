/**
 * The jobs section of the bench: batch jobs (POST /v1/jobs) through the real Worker in workerd,
 * with the chunk queue and the job objects configured as wrangler.toml declares them.
 *
 *   delete       one 100,000-key delete job end to end on the S3 emulator account: the manifest
 *                object uploaded to the emulator, the keys seeded through its control API, the job
 *                polled (GET /v1/jobs/{id}) every 100 ms from creation until Complete; then checked:
 *                100,000 succeeded, none failed, the bucket empty. Beside it, the same 100,000 keys
 *                (re-seeded) deleted straight from Node by 1,000-key DeleteObjects calls signed with
 *                aws4fetch, 4 in flight (the job's account has chunksInFlight 4; one chunk = one
 *                such call), and, to tell the queue's concurrency from per-chunk cost, 1 in flight.
 *                With --breakdown, one more job in a fresh workerd under the V8 CPU profiler.
 *   preparation  the job object cutting a 100,000- and a 1,000,000-row manifest (10,000,000 with
 *                --big) into chunks: a job with confirmationRequired stops at Suspended once
 *                prepared; the time from creation until it leaves Preparing, and the workerd
 *                process's resident memory (VmRSS sampled, VmHWM) against its level just before,
 *                and the isolate's V8 heap after full collections (inspector) before and after.
 *                Each size runs in a fresh workerd after an unmeasured 1,000,000-row preparation
 *                (code compiled, heap at its working size), so that one size's garbage does not
 *                count against the next and a young heap's first collections do not decide it.
 *
 * Where the delete job's time goes is read from the emulator's request log (arrival of every
 * DeleteObjects and manifest read), Miniflare's queue broker log (each consumer invocation's wall
 * time), the status polls, and the CPU time workerd (and its busiest thread) and this Node
 * process (the emulators) used.
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import {
  clearRequestLog,
  listObjectStoreObjects,
  objectStoreRequestLog,
  patchObjectStoreBucket,
  seedObjectStoreBucket,
  type ObjectStoreLogEntry,
} from '../../test/emulators/control.ts'
import { S3_CREDENTIALS } from '../../test/fixtures/objectstore-credentials.ts'
import { S3_AK, S3_REGION } from './delete.ts'
import { s3V4DeleteClient } from './direct-delete.ts'
import { CHUNK_QUEUE, type Gateway, type QueueInvocation } from './gateway.ts'
import { manifestBlocks, pad, uploadManifest, type UploadedManifest } from './manifest.ts'
import { heapAfterGc, openInspector, sendPoked, type InspectorSession } from './inspector.ts'
import { attributeJob, type JobCpuAttribution } from './jobs-profile.ts'
import { freePort, profileWorker } from './profile.ts'
import { Progress } from './progress.ts'
import { busiestThread, cpuMs, resetPeak, sampleRss, statusBytes, threadCpuMs, workerdPids, type RssSample } from './rss.ts'
import { summarise, type Summary } from './stats.ts'

/** The gateway account of the jobs: the S3 emulator's `s3` account (delete.ts) with chunksInFlight set. */
export const JOB_ACCOUNT = 's3-jobs'
export const DELETE_JOB_KEYS = 100_000
/**
 * Chunks the job keeps on the queue at once: the account's `chunksInFlight` (the account scheduler's
 * capacity; 8 when unset), set to 4 here so that the job and the direct loop name the same figure.
 */
export const JOB_CHUNKS_IN_FLIGHT = 4

/** The account the section's jobs run on (added to the gateway's ACCOUNTS). */
export function jobsAccounts(urls: { s3?: string }): Record<string, unknown> {
  if (!urls.s3) return {}
  return {
    [JOB_ACCOUNT]: {
      provider: 's3',
      endpoint: urls.s3,
      region: S3_REGION,
      accessKeyId: S3_AK,
      secretAccessKey: S3_CREDENTIALS[S3_AK],
      chunksInFlight: JOB_CHUNKS_IN_FLIGHT,
    },
  }
}
/** Rows of a delete chunk on S3 (workers/durable-objects/batch-job/preparation.ts chunkRowsFor: CHUNK_ROWS) = keys of one DeleteObjects. */
export const CHUNK_KEYS = 1000
export const PREP_SIZES = [100_000, 1_000_000] as const
export const PREP_BIG = 10_000_000
/**
 * Each fresh workerd first prepares this many rows, unmeasured: the code is compiled and the
 * isolate's heap grown to its working size (V8 keeps the pages), so that the measured run shows
 * what preparing that manifest adds, not the garbage a young heap lets pile up before its first
 * collections. That first preparation's own growth is kept too (`coldGrowthBytes`).
 */
const PREP_WARMUP_ROWS = 1_000_000
const WARMUP_KEYS = 5_000

const DATA_BUCKET = 'bench-jobs'
const MANIFEST_BUCKET = 'bench-jobs-manifests'
const REPORT_BUCKET = 'bench-jobs-reports'
/** Named by the preparation manifests' rows; never touched (those jobs are cancelled unrun). */
const PREP_ROW_BUCKET = 'bench-jobs-prep'
const SEED_BATCH = 10_000
const POLL_MS = 100
const PREP_POLL_MS = 25
const RSS_SAMPLE_MS = 10
const JOB_TIMEOUT_MS = 30 * 60_000

const deleteKey = (i: number) => `bench/jobs/${pad(i, 6)}.bin`
const prepKey = (i: number) => `prep/${pad(i, 8)}.bin`

// ------------------------------------------------------------------------------------ the API

export interface JobView {
  jobId: string
  status: string
  progressSummary: { totalNumberOfTasks: number; numberOfTasksSucceeded: number; numberOfTasksFailed: number; timers: { elapsedTimeInActiveSeconds: number } }
  failureReasons: Array<{ failureCode: string; failureReason: string }>
  failuresByCode: Record<string, number>
  statusUpdateReason: string | null
  reportLocation: { bucket: string; key: string } | null
}

const TERMINAL = new Set(['Complete', 'Cancelled', 'Failed'])

export interface Poll {
  /** Milliseconds since the creation request was sent. */
  t: number
  status: string
  total: number
  succeeded: number
  failed: number
}

export interface JobRun {
  jobId: string
  /** Creation request sent: performance.now() and epoch milliseconds. */
  t0: number
  t0Epoch: number
  /** POST /v1/jobs answered, ms after t0. */
  createdMs: number
  /** First poll that saw each status, ms after t0. */
  statusAt: Record<string, number>
  /** Poll that ended the wait, ms after t0. */
  endMs: number
  polls: Poll[]
  final: JobView
}

async function createJob(g: Gateway, body: Record<string, unknown>): Promise<{ jobId: string; ms: number }> {
  const r = await g.api('POST', '/v1/jobs', body)
  const answer = r.json as { jobId?: string; status?: string } | undefined
  if (r.status !== 201 || !answer?.jobId) throw new Error(`POST /v1/jobs answered HTTP ${r.status}: ${r.text.slice(0, 400)}`)
  return { jobId: answer.jobId, ms: r.ms }
}

async function getJob(g: Gateway, jobId: string): Promise<JobView> {
  const r = await g.api('GET', `/v1/jobs/${jobId}`)
  if (r.status !== 200) throw new Error(`GET /v1/jobs/${jobId} answered HTTP ${r.status}: ${r.text.slice(0, 400)}`)
  return r.json as JobView
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Creates a job from `manifest` and polls it every `pollMs` until `until(status)` holds. */
async function runJob(o: {
  gateway: Gateway
  manifest: UploadedManifest
  label: string
  confirmationRequired?: boolean
  report: boolean
  pollMs: number
  until: (status: string) => boolean
  onPoll?: (p: Poll) => void
  timeoutMs?: number
}): Promise<JobRun> {
  const body = {
    clientRequestToken: `bench-${o.label}-${randomUUID()}`.slice(0, 64),
    account: JOB_ACCOUNT,
    operation: { op: 'delete' },
    manifest: { location: { bucket: o.manifest.bucket, key: o.manifest.key, etag: o.manifest.etag } },
    report: o.report ? { enabled: true, bucket: REPORT_BUCKET, prefix: 'bench/' } : { enabled: false },
    ...(o.confirmationRequired ? { confirmationRequired: true } : {}),
    description: `bench ${o.label}`,
  }
  const t0 = performance.now()
  const t0Epoch = Date.now()
  const { jobId } = await createJob(o.gateway, body)
  const createdMs = performance.now() - t0
  const statusAt: Record<string, number> = {}
  const polls: Poll[] = []
  const deadline = t0 + (o.timeoutMs ?? JOB_TIMEOUT_MS)
  for (;;) {
    const view = await getJob(o.gateway, jobId)
    const t = performance.now() - t0
    const s = view.progressSummary
    const p: Poll = { t, status: view.status, total: s.totalNumberOfTasks, succeeded: s.numberOfTasksSucceeded, failed: s.numberOfTasksFailed }
    polls.push(p)
    statusAt[view.status] ??= t
    o.onPoll?.(p)
    if (o.until(view.status) || TERMINAL.has(view.status)) return { jobId, t0, t0Epoch, createdMs, statusAt, endMs: t, polls, final: view }
    if (performance.now() > deadline) throw new Error(`job ${jobId} (${o.label}) still ${view.status} after ${((o.timeoutMs ?? JOB_TIMEOUT_MS) / 60_000).toFixed(0)} min`)
    await sleep(o.pollMs)
  }
}

/** Cancels a job and waits until it is Cancelled. */
async function cancelJob(g: Gateway, jobId: string): Promise<void> {
  const r = await g.api('POST', `/v1/jobs/${jobId}/status`, { requestedStatus: 'Cancelled', reason: 'bench: preparation measured' })
  if (r.status !== 200) throw new Error(`cancelling job ${jobId} answered HTTP ${r.status}: ${r.text.slice(0, 300)}`)
  for (let i = 0; i < 600; i++) {
    const v = await getJob(g, jobId)
    if (v.status === 'Cancelled') return
    if (TERMINAL.has(v.status)) throw new Error(`job ${jobId} ended ${v.status} instead of Cancelled`)
    await sleep(50)
  }
  throw new Error(`job ${jobId} did not reach Cancelled within 30 s`)
}

// ------------------------------------------------------------------------------------ seeding

/** Makes `bucket` hold exactly keyOf(0 .. count-1) (empty bodies), in batches of 10,000. */
async function seedKeys(s3: string, bucket: string, count: number, keyOf: (i: number) => string): Promise<void> {
  const batch = (from: number) => Array.from({ length: Math.min(SEED_BATCH, count - from) }, (_, j) => ({ key: keyOf(from + j) }))
  await seedObjectStoreBucket(s3, bucket, batch(0))
  for (let i = SEED_BATCH; i < count; i += SEED_BATCH) await patchObjectStoreBucket(s3, bucket, { upsert: batch(i) })
}

async function leftoverCount(s3: string, bucket: string): Promise<number> {
  return (await listObjectStoreObjects(s3, bucket)).length
}

// ------------------------------------------------------------------------------------ delete: job

export interface DeleteJobResult {
  keys: number
  jobId: string
  wallMs: number
  keysPerSecond: number
  createdMs: number
  statusAt: Record<string, number>
  polls: Poll[]
  /** Chunk consumer invocations (Miniflare's broker log). */
  invocations: { count: number; ms: Summary; sumMs: number; maxConcurrent: number }
  /** Emulator request arrivals, ms after creation. */
  emulator: {
    deleteObjects: { count: number; firstMs: number; lastMs: number; gapMs: Summary }
    manifestReads: { count: number; heads: number }
    reportWrites: { count: number; firstMs: number; lastMs: number }
  }
  /** CPU milliseconds used during the run (workerd's busiest thread: the Worker's isolate). */
  cpu: { workerdMs: number; workerdBusiestThreadMs: number; workerdThreads: number; nodeMs: number }
  reportLocation: { bucket: string; key: string } | null
}

/** Wall-clock intervals [end - ms, end] of the invocations: the largest number that overlapped. */
function maxOverlap(invocations: readonly QueueInvocation[]): number {
  const edges = invocations.flatMap((i) => [
    [i.at - i.ms, 1],
    [i.at, -1],
  ]) as Array<[number, number]>
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let max = 0
  for (const [, d] of edges) max = Math.max(max, (now += d))
  return max
}

const gaps = (xs: readonly number[]) => xs.slice(1).map((x, i) => x - xs[i]!)

async function runDeleteJob(o: {
  gateway: Gateway
  s3: string
  manifest: UploadedManifest
  keys: number
  label: string
  workerd: number | undefined
  progress?: Progress
}): Promise<DeleteJobResult> {
  await seedKeys(o.s3, DATA_BUCKET, o.keys, deleteKey)
  await seedObjectStoreBucket(o.s3, REPORT_BUCKET, [])
  for (const b of [DATA_BUCKET, MANIFEST_BUCKET, REPORT_BUCKET]) await clearRequestLog(o.s3, b)
  o.gateway.takeWorkerErrors()
  const invocationsBefore = o.gateway.queueInvocations.length
  const cpu0 = { workerd: o.workerd ? cpuMs(o.workerd) : NaN, threads: o.workerd ? threadCpuMs(o.workerd) : new Map<number, number>(), node: process.cpuUsage() }
  const run = await runJob({
    gateway: o.gateway,
    manifest: o.manifest,
    label: o.label,
    report: true,
    pollMs: POLL_MS,
    until: (s) => TERMINAL.has(s),
    onPoll: (p) => {
      const done = p.succeeded + p.failed
      const rate = p.t > 0 ? Math.round((done / p.t) * 1000) : 0
      o.progress?.update(done, p.status, `${done.toLocaleString('en-US')} of ${o.keys.toLocaleString('en-US')} tasks, ${rate.toLocaleString('en-US')} keys/s${p.failed ? `, ${p.failed} failed` : ''}`)
    },
  })
  const nodeCpu = process.cpuUsage(cpu0.node)
  const busiest = o.workerd ? busiestThread(cpu0.threads, threadCpuMs(o.workerd)) : { ms: NaN, threads: 0 }
  const cpu = {
    workerdMs: o.workerd ? cpuMs(o.workerd) - cpu0.workerd : NaN,
    workerdBusiestThreadMs: busiest.ms,
    workerdThreads: busiest.threads,
    nodeMs: (nodeCpu.user + nodeCpu.system) / 1000,
  }
  o.progress?.done()
  const s = run.final.progressSummary
  const problems: string[] = []
  if (run.final.status !== 'Complete') problems.push(`ended ${run.final.status} (${run.final.statusUpdateReason ?? ''}; ${JSON.stringify(run.final.failureReasons)})`)
  if (s.totalNumberOfTasks !== o.keys || s.numberOfTasksSucceeded !== o.keys || s.numberOfTasksFailed !== 0)
    problems.push(`expected ${o.keys} tasks all succeeded, got total ${s.totalNumberOfTasks}, succeeded ${s.numberOfTasksSucceeded}, failed ${s.numberOfTasksFailed} ${JSON.stringify(run.final.failuresByCode)}`)
  if (run.final.failureReasons.length) problems.push(`failure reasons: ${JSON.stringify(run.final.failureReasons)}`)
  const left = await leftoverCount(o.s3, DATA_BUCKET)
  if (left !== 0) problems.push(`${left} of the ${o.keys} objects are still in ${DATA_BUCKET}`)
  const errors = o.gateway.takeWorkerErrors()
  if (errors.length) problems.push(`the Worker logged ${errors.length} errors/warnings: ${errors.join(' | ').slice(0, 400)}`)
  if (problems.length) throw new Error(`delete job ${run.jobId} (${o.label}): ${problems.join('; ')}`)

  // Where the time went: the emulator's request log (epoch ms) against the creation time.
  const rel = (e: ObjectStoreLogEntry) => e.at - run.t0Epoch
  const deletes = (await objectStoreRequestLog(o.s3, DATA_BUCKET)).filter((e) => e.operation === 'DeleteObjects').map(rel)
  const manifestLog = await objectStoreRequestLog(o.s3, MANIFEST_BUCKET)
  const reports = (await objectStoreRequestLog(o.s3, REPORT_BUCKET)).filter((e) => e.operation === 'PutObject').map(rel)
  // The broker's lines arrive a moment after the answers.
  await sleep(200)
  const invocations = o.gateway.queueInvocations.slice(invocationsBefore).filter((i) => i.queue === CHUNK_QUEUE)
  return {
    keys: o.keys,
    jobId: run.jobId,
    wallMs: run.endMs,
    keysPerSecond: (o.keys / run.endMs) * 1000,
    createdMs: run.createdMs,
    statusAt: run.statusAt,
    polls: run.polls,
    invocations: {
      count: invocations.length,
      ms: summarise(invocations.map((i) => i.ms)),
      sumMs: invocations.reduce((a, i) => a + i.ms, 0),
      maxConcurrent: maxOverlap(invocations),
    },
    emulator: {
      deleteObjects: { count: deletes.length, firstMs: deletes[0] ?? NaN, lastMs: deletes[deletes.length - 1] ?? NaN, gapMs: summarise(gaps(deletes)) },
      manifestReads: { count: manifestLog.filter((e) => e.operation === 'GetObject').length, heads: manifestLog.filter((e) => e.operation === 'HeadObject').length },
      reportWrites: { count: reports.length, firstMs: reports[0] ?? NaN, lastMs: reports[reports.length - 1] ?? NaN },
    },
    cpu,
    reportLocation: run.final.reportLocation,
  }
}

// ------------------------------------------------------------------------------------ delete: direct

export interface DirectResult {
  keys: number
  concurrency: number
  calls: number
  wallMs: number
  keysPerSecond: number
  /** Per DeleteObjects call, ms (request built and signed → answer parsed and checked). */
  callMs: Summary
  cpu: { nodeMs: number }
}

/** The keys deleted by 1,000-key DeleteObjects calls straight to the emulator, `concurrency` in flight. */
async function runDirect(s3: string, keys: number, concurrency: number): Promise<DirectResult> {
  await seedKeys(s3, DATA_BUCKET, keys, deleteKey)
  const clients = Array.from({ length: Math.ceil(keys / CHUNK_KEYS) }, (_, c) =>
    s3V4DeleteClient({
      url: s3,
      accessKeyId: S3_AK,
      secretAccessKey: S3_CREDENTIALS[S3_AK]!,
      region: S3_REGION,
      bucket: DATA_BUCKET,
      keys: Array.from({ length: Math.min(CHUNK_KEYS, keys - c * CHUNK_KEYS) }, (_, j) => deleteKey(c * CHUNK_KEYS + j)),
    }),
  )
  const callMs: number[] = []
  const problems: string[] = []
  let next = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < clients.length) {
        const r = await clients[next++]!.call()
        callMs.push(r.ms)
        problems.push(...r.problems)
      }
    }),
  )
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const left = await leftoverCount(s3, DATA_BUCKET)
  if (left !== 0) problems.push(`${left} of the ${keys} objects are still in ${DATA_BUCKET}`)
  if (problems.length) throw new Error(`direct DeleteObjects, ${concurrency} in flight: ${problems.slice(0, 3).join('; ')}`)
  return { keys, concurrency, calls: clients.length, wallMs, keysPerSecond: (keys / wallMs) * 1000, callMs: summarise(callMs), cpu: { nodeMs: (cpu.user + cpu.system) / 1000 } }
}

// ------------------------------------------------------------------------------------ preparation

export interface PrepResult {
  rows: number
  manifestBytes: number
  uploadMs: number
  jobId: string
  /** Creation → first poll not New/Preparing (it was Suspended), ms. */
  prepMs: number
  rowsPerSecond: number
  chunks: number
  pollMs: number
  rss: {
    /** Just before creation. */
    baselineBytes: number
    /** Largest VmRSS sample during preparation. */
    peakSampledBytes: number
    /** VmHWM after preparation (reset just before creation), when the reset was allowed. */
    peakHwmBytes: number | null
    /** max(peak) − baseline. */
    growthBytes: number
    afterBytes: number
    samples: RssSample[]
  }
  cpu: { workerdMs: number }
  /** Peak VmRSS growth of the unmeasured warm-up preparation (1,000,000 rows), the first in that fresh workerd. */
  coldGrowthBytes?: number
  /**
   * The isolate's V8 heap (inspector): after a full collection just before creation, at the end of
   * preparation (garbage included), and after a full collection then — what preparation retained.
   */
  heap?: {
    usedBeforeBytes: number
    totalBeforeBytes: number
    usedAtEndBytes: number
    totalAtEndBytes: number
    usedAfterGcBytes: number
    totalAfterGcBytes: number
    /** VmRSS after that last collection. */
    rssAfterGcBytes: number
  }
}

async function runPrep(o: {
  gateway: Gateway
  workerd: number
  manifest: UploadedManifest
  label: string
  progress?: Progress
  /** The isolate's inspector: V8 heap after a full collection, before and after. */
  inspector?: InspectorSession
}): Promise<PrepResult> {
  o.gateway.takeWorkerErrors()
  // Let the process settle (and collect its garbage, when the inspector is there), then take its level.
  await sleep(300)
  const poke = () => o.gateway.api('GET', '/healthz')
  const heapBefore = o.inspector ? await heapAfterGc(o.inspector, poke) : undefined
  await sleep(200)
  const baselineBytes = statusBytes(o.workerd, 'VmRSS')
  const canReset = resetPeak(o.workerd)
  const cpu0 = cpuMs(o.workerd)
  const sampler = sampleRss(o.workerd, RSS_SAMPLE_MS)
  let run: JobRun
  try {
    run = await runJob({
      gateway: o.gateway,
      manifest: o.manifest,
      label: o.label,
      confirmationRequired: true,
      report: false,
      pollMs: PREP_POLL_MS,
      until: (s) => s !== 'New' && s !== 'Preparing',
      onPoll: (p) => o.progress?.update(p.total, p.status, `${p.total.toLocaleString('en-US')} rows prepared`, 5000),
    })
  } finally {
    o.progress?.done()
  }
  const samples = sampler.stop()
  const workerdMs = cpuMs(o.workerd) - cpu0
  const peakHwmBytes = canReset ? statusBytes(o.workerd, 'VmHWM') : null
  let heap: PrepResult['heap']
  if (o.inspector && heapBefore) {
    const atEnd = await sendPoked<{ usedSize: number; totalSize: number }>(o.inspector, 'Runtime.getHeapUsage', poke)
    const after = await heapAfterGc(o.inspector, poke)
    await sleep(200)
    heap = {
      usedBeforeBytes: heapBefore.usedBytes,
      totalBeforeBytes: heapBefore.totalBytes,
      usedAtEndBytes: atEnd.usedSize,
      totalAtEndBytes: atEnd.totalSize,
      usedAfterGcBytes: after.usedBytes,
      totalAfterGcBytes: after.totalBytes,
      rssAfterGcBytes: statusBytes(o.workerd, 'VmRSS'),
    }
  }
  const problems: string[] = []
  if (run.final.status !== 'Suspended') problems.push(`ended preparation ${run.final.status} (${run.final.statusUpdateReason ?? ''}; ${JSON.stringify(run.final.failureReasons)})`)
  if (run.final.progressSummary.totalNumberOfTasks !== o.manifest.rows)
    problems.push(`prepared ${run.final.progressSummary.totalNumberOfTasks} tasks, expected ${o.manifest.rows}`)
  const errors = o.gateway.takeWorkerErrors()
  if (errors.length) problems.push(`the Worker logged: ${errors.join(' | ').slice(0, 400)}`)
  if (problems.length) throw new Error(`preparation job ${run.jobId} (${o.label}): ${problems.join('; ')}`)
  await cancelJob(o.gateway, run.jobId)
  const peakSampledBytes = Math.max(...samples.map((s) => s.bytes))
  return {
    rows: o.manifest.rows,
    manifestBytes: o.manifest.bytes,
    uploadMs: o.manifest.ms,
    jobId: run.jobId,
    prepMs: run.endMs,
    rowsPerSecond: (o.manifest.rows / run.endMs) * 1000,
    chunks: Math.ceil(o.manifest.rows / CHUNK_KEYS),
    pollMs: PREP_POLL_MS,
    rss: {
      baselineBytes,
      peakSampledBytes,
      peakHwmBytes,
      growthBytes: Math.max(peakSampledBytes, peakHwmBytes ?? 0) - baselineBytes,
      afterBytes: statusBytes(o.workerd, 'VmRSS'),
      samples,
    },
    cpu: { workerdMs },
    ...(heap ? { heap } : {}),
  }
}

// ------------------------------------------------------------------------------------ the section

export interface JobsSectionResult {
  rounds: number
  deleteJob: DeleteJobResult[]
  direct: DirectResult[]
  /** 1 in flight: not the goal's baseline, a diagnostic (per-chunk cost without concurrency). */
  directSerial: DirectResult[]
  preparation: PrepResult[]
  /** --breakdown: workerd's CPU during one more delete job, by phase (a fresh workerd, profiled). */
  profile?: JobCpuAttribution & { keys: number; wallMs: number; workerdCpuMs: number }
  workerdPid: number | undefined
  /** os.loadavg() when the section started and ended: other work on the machine skews the figures. */
  loadAverage: { start: number[]; end: number[] }
  deleteManifest: Omit<UploadedManifest, 'ms'> & { uploadMs: number }
}

function uploadRows(s3: string, key: string, bucket: string, rows: number, keyOf: (i: number) => string) {
  return uploadManifest({
    url: s3,
    accessKeyId: S3_AK,
    secretAccessKey: S3_CREDENTIALS[S3_AK]!,
    region: S3_REGION,
    bucket: MANIFEST_BUCKET,
    key,
    rows,
    blocks: () => manifestBlocks(bucket, rows, keyOf),
  })
}

export async function runJobsSection(o: {
  /** The shared gateway (the delete job). */
  gateway: Gateway
  /** A fresh gateway (its own workerd), for each preparation size and the profile. */
  freshGateway: (o?: { inspectorPort?: number }) => Promise<Gateway>
  /** Profile workerd during one more delete job (the bundle, to read its source lines). */
  breakdown?: { bundlePath: string }
  s3: string
  rounds: number
  warmup: boolean
  big: boolean
  log: (s: string) => void
}): Promise<JobsSectionResult> {
  const { s3, log } = o
  const loadStart = os.loadavg()
  await seedObjectStoreBucket(s3, MANIFEST_BUCKET, [])
  await seedObjectStoreBucket(s3, REPORT_BUCKET, [])
  const pids = workerdPids()
  const workerd = pids[0]
  if (pids.length !== 1) log(`jobs: ${pids.length} workerd processes under this one (${pids.join(', ')}); CPU figures use the newest\n`)

  log(`jobs: uploading the ${DELETE_JOB_KEYS.toLocaleString('en-US')}-row delete manifest ... `)
  const manifest = await uploadRows(s3, 'delete-100k.csv', DATA_BUCKET, DELETE_JOB_KEYS, deleteKey)
  log(`${(manifest.bytes / 1e6).toFixed(1)} MB in ${(manifest.ms / 1000).toFixed(1)} s\n`)

  const small = await uploadRows(s3, 'delete-warmup.csv', DATA_BUCKET, WARMUP_KEYS, deleteKey)
  if (o.warmup) {
    log(`jobs: warm-up (a ${WARMUP_KEYS.toLocaleString('en-US')}-key job and the direct loop) ...\n`)
    await runDeleteJob({ gateway: o.gateway, s3, manifest: small, keys: WARMUP_KEYS, label: 'warmup', workerd })
    await runDirect(s3, WARMUP_KEYS, JOB_CHUNKS_IN_FLIGHT)
  }

  const deleteJob: DeleteJobResult[] = []
  const direct: DirectResult[] = []
  const directSerial: DirectResult[] = []
  for (let r = 0; r < o.rounds; r++) {
    const round = o.rounds > 1 ? ` (round ${r + 1}/${o.rounds})` : ''
    const jobFirst = r % 2 === 0
    const doJob = async () => {
      log(`jobs: ${DELETE_JOB_KEYS.toLocaleString('en-US')}-key delete job${round}\n`)
      const progress = new Progress(DELETE_JOB_KEYS, process.stderr)
      deleteJob.push(await runDeleteJob({ gateway: o.gateway, s3, manifest, keys: DELETE_JOB_KEYS, label: `delete-${r}`, workerd, progress }))
    }
    const doDirect = async () => {
      log(`jobs: direct DeleteObjects loop, ${JOB_CHUNKS_IN_FLIGHT} in flight${round} ... `)
      const d = await runDirect(s3, DELETE_JOB_KEYS, JOB_CHUNKS_IN_FLIGHT)
      direct.push(d)
      log(`${Math.round(d.keysPerSecond).toLocaleString('en-US')} keys/s\njobs: direct DeleteObjects loop, 1 in flight${round} ... `)
      const d1 = await runDirect(s3, DELETE_JOB_KEYS, 1)
      directSerial.push(d1)
      log(`${Math.round(d1.keysPerSecond).toLocaleString('en-US')} keys/s\n`)
    }
    if (jobFirst) {
      await doJob()
      await doDirect()
    } else {
      await doDirect()
      await doJob()
    }
  }

  let profile: JobsSectionResult['profile']
  if (o.breakdown) {
    log(`jobs: breakdown: one more ${DELETE_JOB_KEYS.toLocaleString('en-US')}-key job in a fresh workerd under its CPU profiler ... `)
    const inspectorPort = await freePort()
    const g = await o.freshGateway({ inspectorPort })
    try {
      const pid = workerdPids()[0]
      await runDeleteJob({ gateway: g, s3, manifest: small, keys: WARMUP_KEYS, label: 'profile-warmup', workerd: pid })
      let job: DeleteJobResult | undefined
      const cpu = await profileWorker(inspectorPort, async () => {
        job = await runDeleteJob({ gateway: g, s3, manifest, keys: DELETE_JOB_KEYS, label: 'profile', workerd: pid })
      })
      profile = { ...(await attributeJob(cpu, o.breakdown.bundlePath)), keys: DELETE_JOB_KEYS, wallMs: job!.wallMs, workerdCpuMs: job!.cpu.workerdMs }
      log(`${(job!.wallMs / 1000).toFixed(1)} s profiled
`)
    } finally {
      await g.close()
    }
  }

  const preparation: PrepResult[] = []
  const sizes: number[] = [...PREP_SIZES, ...(o.big ? [PREP_BIG] : [])]
  const upload = async (rows: number) => {
    log(`jobs: uploading the ${rows.toLocaleString('en-US')}-row manifest (streamed) ... `)
    const m = await uploadRows(s3, `prep-${rows}.csv`, PREP_ROW_BUCKET, rows, prepKey)
    log(`${(m.bytes / 1e6).toFixed(1)} MB in ${(m.ms / 1000).toFixed(1)} s\n`)
    return m
  }
  const warmManifest = await upload(PREP_WARMUP_ROWS)
  for (const rows of sizes) {
    const m = rows === PREP_WARMUP_ROWS ? warmManifest : await upload(rows)
    log(`jobs: fresh workerd ... `)
    const inspectorPort = await freePort()
    const g = await o.freshGateway({ inspectorPort })
    let inspector: InspectorSession | undefined
    try {
      inspector = await openInspector(inspectorPort)
      await sendPoked(inspector, 'Runtime.enable', () => g.api('GET', '/healthz'))
      const pid = workerdPids()[0]
      if (pid === undefined) throw new Error('cannot find the workerd process (no /proc?)')
      log(`pid ${pid}; warm-up: preparing ${PREP_WARMUP_ROWS.toLocaleString('en-US')} rows ... `)
      const warm = await runPrep({ gateway: g, workerd: pid, manifest: warmManifest, label: 'prep-warmup' })
      log(`measured: ${rows.toLocaleString('en-US')} rows\n`)
      const measured = await runPrep({ gateway: g, workerd: pid, manifest: m, label: `prep-${rows}`, progress: new Progress(rows, process.stderr), inspector })
      preparation.push({ ...measured, coldGrowthBytes: warm.rss.growthBytes })
    } finally {
      inspector?.close()
      await g.close()
      if (m !== warmManifest) await patchObjectStoreBucket(s3, MANIFEST_BUCKET, { delete: [m.key] })
    }
  }
  await patchObjectStoreBucket(s3, MANIFEST_BUCKET, { delete: [warmManifest.key] })

  const { ms: uploadMs, ...rest } = manifest
  return {
    rounds: o.rounds,
    deleteJob,
    direct,
    directSerial,
    preparation,
    ...(profile ? { profile } : {}),
    workerdPid: workerd,
    loadAverage: { start: loadStart, end: os.loadavg() },
    deleteManifest: { ...rest, uploadMs: Math.round(uploadMs) },
  }
}
