/**
 * The jobs section of the bench: delete jobs (POST /v1/jobs) end to end through the real Worker in
 * workerd, with the chunk queue and the job objects configured as wrangler.toml declares them, at
 * three sizes (10,000, 100,000 and 1,000,000 keys by default), each next to the same keys deleted
 * straight from Node.
 *
 *   job     the manifest object uploaded to the S3 emulator, the keys seeded through its control
 *           API, the job polled (GET /v1/jobs/{id}) every 50 ms from creation until Complete;
 *           then checked: every task succeeded, none failed, the bucket empty.
 *   direct  the same keys (re-seeded) deleted by 1,000-key DeleteObjects calls signed with
 *           aws4fetch, JOB_CHUNKS_IN_FLIGHT in flight (the job's account has that chunksInFlight;
 *           one chunk = one such call), and, to tell concurrency from per-chunk cost, 1 in flight.
 *
 * Where a job's time goes is read from the emulator's request log (arrival of every DeleteObjects
 * and manifest read), Miniflare's queue broker log (each consumer invocation's wall time and
 * message count), the status polls, and the CPU time workerd (and its busiest thread) and this
 * Node process (the emulators) used. With --breakdown, one more 100,000-key job in a fresh
 * workerd under the V8 CPU profiler.
 */
import os from 'node:os'
import { clearRequestLog, objectStoreRequestLog, seedObjectStoreBucket, type ObjectStoreLogEntry } from '../../test/emulators/control.ts'
import { S3_CREDENTIALS } from '../../test/fixtures/objectstore-credentials.ts'
import { S3_AK, S3_REGION } from './delete.ts'
import { s3V4DeleteClient } from './direct-delete.ts'
import { CHUNK_QUEUE, type Gateway, type QueueInvocation } from './gateway.ts'
import {
  CHUNK_KEYS,
  DATA_BUCKET,
  JOB_CHUNKS_IN_FLIGHT,
  leftoverCount,
  MANIFEST_BUCKET,
  REPORT_BUCKET,
  runJob,
  seedKeys,
  sleep,
  TERMINAL,
  uploadRows,
  type Poll,
} from './jobs-api.ts'
import { attributeJob, type JobCpuAttribution } from './jobs-profile.ts'
import { pad, type UploadedManifest } from './manifest.ts'
import { freePort, profileWorker } from './profile.ts'
import { Progress } from './progress.ts'
import { busiestThread, cpuMs, threadCpuMs, workerdPids } from './rss.ts'
import { summarise, type Summary } from './stats.ts'

/** Keys of the delete jobs, and how many rounds (job + direct loops) each size gets by default. */
export const JOB_SIZES = [10_000, 100_000, 1_000_000] as const
export const JOB_ROUNDS: Record<number, number> = { 10_000: 3, 100_000: 2, 1_000_000: 1 }
/** The --breakdown profile's job. */
const PROFILE_KEYS = 100_000
const WARMUP_KEYS = 5_000
const POLL_MS = 50

const deleteKey = (i: number) => `bench/jobs/${pad(i, 7)}.bin`


export interface DeleteJobResult {
  keys: number
  jobId: string
  wallMs: number
  keysPerSecond: number
  createdMs: number
  statusAt: Record<string, number>
  polls: Poll[]
  /** Chunk consumer invocations (Miniflare's broker log). */
  invocations: { count: number; ms: Summary; sumMs: number; maxConcurrent: number; /** Chunk messages per invocation (the consumer takes up to max_batch_size). */ messages: Summary }
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
      messages: summarise(invocations.map((i) => i.total)),
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


// ------------------------------------------------------------------------------------ the section

export interface JobSizeResult {
  keys: number
  rounds: number
  job: DeleteJobResult[]
  direct: DirectResult[]
  /** 1 in flight: not the goal's baseline, a diagnostic (per-chunk cost without concurrency). */
  directSerial: DirectResult[]
  manifest: Omit<UploadedManifest, 'ms'> & { uploadMs: number }
}

export interface JobsSectionResult {
  sizes: JobSizeResult[]
  /** --breakdown: workerd's CPU during one more delete job, by phase (a fresh workerd, profiled). */
  profile?: JobCpuAttribution & { keys: number; wallMs: number; workerdCpuMs: number }
  workerdPid: number | undefined
  /** os.loadavg() when the section started and ended: other work on the machine skews the figures. */
  loadAverage: { start: number[]; end: number[] }
}

export async function runJobsSection(o: {
  /** The shared gateway (the delete jobs). */
  gateway: Gateway
  /** A fresh gateway (its own workerd), for the profile. */
  freshGateway: (o?: { inspectorPort?: number }) => Promise<Gateway>
  /** Profile workerd during one more delete job (the bundle, to read its source lines). */
  breakdown?: { bundlePath: string }
  s3: string
  sizes: readonly number[]
  /** Rounds per size (default JOB_ROUNDS). */
  rounds?: number
  warmup: boolean
  log: (s: string) => void
}): Promise<JobsSectionResult> {
  const { s3, log } = o
  const loadStart = os.loadavg()
  await seedObjectStoreBucket(s3, MANIFEST_BUCKET, [])
  await seedObjectStoreBucket(s3, REPORT_BUCKET, [])
  const pids = workerdPids()
  const workerd = pids[0]
  if (pids.length !== 1) log(`jobs: ${pids.length} workerd processes under this one (${pids.join(', ')}); CPU figures use the newest\n`)
  const upload = async (keys: number) => {
    log(`jobs: uploading the ${keys.toLocaleString('en-US')}-row delete manifest ... `)
    const m = await uploadRows(s3, `delete-${keys}.csv`, DATA_BUCKET, keys, deleteKey)
    log(`${(m.bytes / 1e6).toFixed(1)} MB in ${(m.ms / 1000).toFixed(1)} s\n`)
    return m
  }

  const small = await uploadRows(s3, 'delete-warmup.csv', DATA_BUCKET, WARMUP_KEYS, deleteKey)
  if (o.warmup) {
    log(`jobs: warm-up (a ${WARMUP_KEYS.toLocaleString('en-US')}-key job and the direct loop) ...\n`)
    await runDeleteJob({ gateway: o.gateway, s3, manifest: small, keys: WARMUP_KEYS, label: 'warmup', workerd })
    await runDirect(s3, WARMUP_KEYS, JOB_CHUNKS_IN_FLIGHT)
  }

  const sizes: JobSizeResult[] = []
  for (const keys of o.sizes) {
    const manifest = await upload(keys)
    const rounds = o.rounds ?? JOB_ROUNDS[keys] ?? 1
    const result: JobSizeResult = { keys, rounds, job: [], direct: [], directSerial: [], manifest: { bucket: manifest.bucket, key: manifest.key, rows: manifest.rows, bytes: manifest.bytes, etag: manifest.etag, uploadMs: Math.round(manifest.ms) } }
    for (let r = 0; r < rounds; r++) {
      const round = rounds > 1 ? ` (round ${r + 1}/${rounds})` : ''
      const doJob = async () => {
        log(`jobs: ${keys.toLocaleString('en-US')}-key delete job${round}\n`)
        const progress = new Progress(keys, process.stderr)
        result.job.push(await runDeleteJob({ gateway: o.gateway, s3, manifest, keys, label: `delete-${keys}-${r}`, workerd, progress }))
      }
      const doDirect = async () => {
        log(`jobs: direct DeleteObjects loop over ${keys.toLocaleString('en-US')} keys, ${JOB_CHUNKS_IN_FLIGHT} in flight${round} ... `)
        const d = await runDirect(s3, keys, JOB_CHUNKS_IN_FLIGHT)
        result.direct.push(d)
        log(`${Math.round(d.keysPerSecond).toLocaleString('en-US')} keys/s; 1 in flight ... `)
        const d1 = await runDirect(s3, keys, 1)
        result.directSerial.push(d1)
        log(`${Math.round(d1.keysPerSecond).toLocaleString('en-US')} keys/s\n`)
      }
      // Alternating who goes first, so neither always runs on the other's leftovers.
      if (r % 2 === 0) {
        await doJob()
        await doDirect()
      } else {
        await doDirect()
        await doJob()
      }
    }
    sizes.push(result)
  }

  let profile: JobsSectionResult['profile']
  if (o.breakdown) {
    log(`jobs: breakdown: one more ${PROFILE_KEYS.toLocaleString('en-US')}-key job in a fresh workerd under its CPU profiler ... `)
    const manifest = await upload(PROFILE_KEYS)
    const inspectorPort = await freePort()
    const g = await o.freshGateway({ inspectorPort })
    try {
      const pid = workerdPids()[0]
      await runDeleteJob({ gateway: g, s3, manifest: small, keys: WARMUP_KEYS, label: 'profile-warmup', workerd: pid })
      let job: DeleteJobResult | undefined
      const cpu = await profileWorker(inspectorPort, async () => {
        job = await runDeleteJob({ gateway: g, s3, manifest, keys: PROFILE_KEYS, label: 'profile', workerd: pid })
      })
      profile = { ...(await attributeJob(cpu, o.breakdown.bundlePath)), keys: PROFILE_KEYS, wallMs: job!.wallMs, workerdCpuMs: job!.cpu.workerdMs }
      log(`${(job!.wallMs / 1000).toFixed(1)} s profiled\n`)
    } finally {
      await g.close()
    }
  }

  return { sizes, ...(profile ? { profile } : {}), workerdPid: workerd, loadAverage: { start: loadStart, end: os.loadavg() } }
}
