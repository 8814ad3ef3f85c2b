/**
 * The jobs section's report: tables, charts, one plain verdict per goal (with what dominated the
 * time when the throughput goal is missed), and the bench-results/jobs.json document.
 */
import os from 'node:os'
import { bars } from './chart.ts'
import {
  CHUNK_KEYS,
  DELETE_JOB_KEYS,
  JOB_ACCOUNT,
  JOB_CHUNKS_IN_FLIGHT,
  PREP_BIG,
  PREP_SIZES,
  type DeleteJobResult,
  type DirectResult,
  type JobsSectionResult,
  type PrepResult,
} from './jobs.ts'
import { MiB, type RssSample } from './rss.ts'
import { quantile, roundSummary } from './stats.ts'

/** The job's keys/s at least this share of the direct loop's. */
export const GOAL_THROUGHPUT = 0.8
export const GOAL_ROWS_PER_SECOND = 200_000
/**
 * "Flat": the largest manifest's peak RSS growth exceeds the 100,000-row one's by at most this.
 * The 1,000,000-row manifest is 32 MB more CSV than the 100,000-row one (10,000,000 rows: 356 MB
 * more), so keeping even a quarter of what is read shows above it; a fixed 1 MiB read window,
 * its garbage and allocator noise stay under it.
 */
export const FLAT_TOLERANCE_BYTES = 8 * MiB

const n0 = (x: number) => Math.round(x).toLocaleString('en-US')
const s1 = (ms: number) => (ms / 1000).toFixed(1)
const mib = (b: number) => (b / MiB).toFixed(1)
const r1 = (x: number) => Math.round(x * 10) / 10
const medianOf = (xs: readonly number[]) => quantile([...xs].sort((a, b) => a - b), 0.5)

export function printJobsIntro(o: { out: (s?: string) => void; rounds: number; big: boolean; warmup: boolean }): void {
  const { out } = o
  out(`== jobs: batch jobs through the Worker (POST /v1/jobs → job object → queue ${'batchgate-chunks'} → chunk consumer), S3 emulator account`)
  out(
    `method   delete: ${n0(DELETE_JOB_KEYS)} keys seeded through the emulator's control API, the manifest (bucket,url-encoded-key rows) uploaded ` +
      `to the emulator; the job polled (GET /v1/jobs/{id}) every 100 ms from the creation request until Complete, then checked ` +
      `(${n0(DELETE_JOB_KEYS)} succeeded, 0 failed, bucket empty). Direct: the same keys re-seeded and deleted from Node by ` +
      `${DELETE_JOB_KEYS / CHUNK_KEYS} DeleteObjects of ${n0(CHUNK_KEYS)} keys (aws4fetch SigV4, Quiet), ${JOB_CHUNKS_IN_FLIGHT} in flight ` +
      `as the job keeps ${JOB_CHUNKS_IN_FLIGHT} chunks on the queue; also 1 in flight, as a diagnostic. ` +
      `${o.rounds} round${o.rounds > 1 ? 's (order alternating; medians)' : ''}${o.warmup ? ', after an unmeasured 5,000-key warm-up of both' : ''}.`,
  )
  out(
    `         preparation: manifests of ${[...PREP_SIZES, ...(o.big ? [PREP_BIG] : [])].map(n0).join(', ')} rows streamed to the emulator; ` +
      `each prepared by a job with confirmationRequired (it stops at Suspended once prepared, then is cancelled) in a fresh workerd ` +
      `after an unmeasured 1,000,000-row preparation (code compiled, heap at its working size); time from the creation request to the ` +
      `first poll (every 25 ms) past Preparing; workerd's VmRSS sampled every 10 ms and its VmHWM (reset just before), against VmRSS just before.`,
  )
  out(
    `         account ${JOB_ACCOUNT}: the S3 emulator with chunksInFlight ${JOB_CHUNKS_IN_FLIGHT} (the account scheduler's default is 8); ` +
      `the queue and the Durable Objects as wrangler.toml declares them, but max_batch_timeout 0.05 s (wrangler.toml: 1 s; max_batch_size stays 1).`,
  )
  out()
}

interface Verdict {
  goal: string
  met: boolean
  sentence: string
}

interface Attribution {
  /** Creation request → first DeleteObjects arrival at the emulator. */
  startMs: number
  /** First → last DeleteObjects arrival. */
  chunksMs: number
  /** Last DeleteObjects arrival → the poll that saw Complete. */
  endMs: number
  chunkCycleMs: number
  invocationMs: number
  /** Chunk cycle minus the consumer invocation: delivery by the queue and the job object's pump. */
  betweenMs: number
  /** A 1,000-key DeleteObjects at the emulator (direct, 1 in flight, p50). */
  emulatorDeleteMs: number
  /** Consumer invocation minus the emulator's DeleteObjects. */
  consumerOwnMs: number
  serial: boolean
}

function attribute(job: DeleteJobResult, serial1: DirectResult): Attribution {
  const d = job.emulator.deleteObjects
  const chunksMs = d.lastMs - d.firstMs
  const chunkCycleMs = d.count > 1 ? chunksMs / (d.count - 1) : NaN
  const invocationMs = job.invocations.ms.mean
  const emulatorDeleteMs = serial1.callMs.p50
  return {
    startMs: d.firstMs,
    chunksMs,
    endMs: job.wallMs - d.lastMs,
    chunkCycleMs,
    invocationMs,
    betweenMs: chunkCycleMs - invocationMs,
    emulatorDeleteMs,
    consumerOwnMs: invocationMs - emulatorDeleteMs,
    serial: job.invocations.maxConcurrent <= 1,
  }
}

/** A row of block characters: the max of each of `width` time buckets, scaled between lo and hi. */
function sparkline(samples: readonly RssSample[], lo: number, hi: number, width = 48): string {
  if (samples.length === 0) return ''
  const blocks = '▁▂▃▄▅▆▇█'
  const end = samples[samples.length - 1]!.t || 1
  const cols = new Array<number>(width).fill(NaN)
  for (const s of samples) {
    const c = Math.min(width - 1, Math.floor((s.t / end) * width))
    cols[c] = Number.isNaN(cols[c]!) ? s.bytes : Math.max(cols[c]!, s.bytes)
  }
  let last = samples[0]!.bytes
  return cols
    .map((v) => {
      if (!Number.isNaN(v)) last = v
      const k = hi > lo ? Math.round(((last - lo) / (hi - lo)) * (blocks.length - 1)) : 0
      return blocks[Math.max(0, Math.min(blocks.length - 1, k))]
    })
    .join('')
}

export function printJobsReport(o: { out: (s?: string) => void; result: JobsSectionResult }): Verdict[] {
  const { out, result } = o
  const jobKps = medianOf(result.deleteJob.map((j) => j.keysPerSecond))
  const directKps = medianOf(result.direct.map((d) => d.keysPerSecond))
  const serialKps = medianOf(result.directSerial.map((d) => d.keysPerSecond))
  const ratio = jobKps / directKps
  // The round whose job took the median time speaks for the breakdown.
  const byWall = [...result.deleteJob].sort((a, b) => a.wallMs - b.wallMs)
  const job = byWall[Math.floor((byWall.length - 1) / 2)]!
  const serial1 = result.directSerial[result.deleteJob.indexOf(job)] ?? result.directSerial[0]!
  const direct4 = result.direct[result.deleteJob.indexOf(job)] ?? result.direct[0]!
  const a = attribute(job, serial1)

  out(`delete ${n0(DELETE_JOB_KEYS)} keys (S3 emulator)            wall s    keys/s   per DeleteObjects p50/p95 ms`)
  const row = (label: string, wallMs: number, kps: number, calls: string) => out(`  ${label.padEnd(42)}${s1(wallMs).padStart(7)}${n0(kps).padStart(10)}   ${calls}`)
  row(`job: POST → Complete (${job.invocations.count} chunks)`, job.wallMs, jobKps, `(${a.emulatorDeleteMs.toFixed(1)} at the emulator, see below)`)
  row(`direct: DeleteObjects × ${direct4.calls}, ${JOB_CHUNKS_IN_FLIGHT} in flight`, direct4.wallMs, directKps, `${direct4.callMs.p50.toFixed(1)} / ${direct4.callMs.p95.toFixed(1)}`)
  row(`direct: DeleteObjects × ${serial1.calls}, 1 in flight (diag.)`, serial1.wallMs, serialKps, `${serial1.callMs.p50.toFixed(1)} / ${serial1.callMs.p95.toFixed(1)}`)
  out(`  job ÷ direct (${JOB_CHUNKS_IN_FLIGHT} in flight): ${ratio.toFixed(2)}× (${(ratio * 100).toFixed(0)}%), goal ≥ ${GOAL_THROUGHPUT.toFixed(2)}× → ${ratio >= GOAL_THROUGHPUT ? 'met' : 'missed'}`)
  if (result.deleteJob.length > 1)
    out(`  rounds: job ${result.deleteJob.map((j) => n0(j.keysPerSecond)).join(', ')} keys/s; direct ${result.direct.map((d) => n0(d.keysPerSecond)).join(', ')} keys/s`)
  out()
  out(
    bars(
      [
        { label: 'job', value: jobKps / 1000 },
        { label: `direct, ${JOB_CHUNKS_IN_FLIGHT} in flight`, value: directKps / 1000 },
        { label: 'direct, 1 in flight', value: serialKps / 1000 },
        { label: `goal: ${GOAL_THROUGHPUT * 100}% of direct`, value: (directKps * GOAL_THROUGHPUT) / 1000 },
      ],
      { unit: 'k keys/s', width: 36 },
    ),
  )
  out()
  out(`where the job's ${s1(job.wallMs)} s went (emulator request log, queue broker log, status polls)`)
  const t = (label: string, ms: number, note = '') => out(`  ${label.padEnd(52)}${ms.toFixed(0).padStart(7)} ms${note ? '  ' + note : ''}`)
  t('POST /v1/jobs answered', job.createdMs)
  if (job.statusAt.Active !== undefined) t('first poll seeing Active (manifest prepared)', job.statusAt.Active)
  t('creation → first DeleteObjects at the emulator', a.startMs)
  t(`first → last DeleteObjects (${job.emulator.deleteObjects.count - 1} chunk cycles)`, a.chunksMs, `${a.chunkCycleMs.toFixed(1)} ms per chunk`)
  t(`last DeleteObjects → poll seeing Complete`, a.endMs, `report: ${job.emulator.reportWrites.count} objects written`)
  out(`  per chunk:`)
  t(`    consumer invocation (broker dispatch → answer), mean`, a.invocationMs, `p50 ${job.invocations.ms.p50.toFixed(1)}, p95 ${job.invocations.ms.p95.toFixed(1)}`)
  t(`      of which a 1,000-key DeleteObjects at the emulator ≈`, a.emulatorDeleteMs, '(direct, 1 in flight, p50)')
  t(`      the consumer's own work (job object RPCs, manifest read, parse, report lines) ≈`, a.consumerOwnMs)
  t(`    between invocations (queue delivery + the job object's pump) ≈`, a.betweenMs)
  out(`  consumer invocations overlapping at most: ${job.invocations.maxConcurrent} (the job keeps ${JOB_CHUNKS_IN_FLIGHT} chunks on the queue)`)
  out(
    `  CPU during the job: workerd ${s1(job.cpu.workerdMs)} s (its busiest of ${job.cpu.workerdThreads} threads ${s1(job.cpu.workerdBusiestThreadMs)} s), ` +
      `Node (emulator + this bench) ${s1(job.cpu.nodeMs)} s, over ${s1(job.wallMs)} s wall; ` +
      `direct loop (${JOB_CHUNKS_IN_FLIGHT} in flight): Node ${s1(direct4.cpu.nodeMs)} s over ${s1(direct4.wallMs)} s`,
  )
  const cpuCapKps = (DELETE_JOB_KEYS / job.cpu.workerdBusiestThreadMs) * 1000
  out(
    `  workerd's busiest thread per chunk ${(job.cpu.workerdBusiestThreadMs / job.invocations.count).toFixed(1)} ms: were the chunks to overlap perfectly, ` +
      `that thread alone would cap the job near ${n0(cpuCapKps)} keys/s on this machine (${((cpuCapKps / directKps) * 100).toFixed(0)}% of direct)`,
  )
  out()
  const n = job.emulator.deleteObjects.count
  const parts = [
    { label: 'start: creation → first DeleteObjects', value: a.startMs / 1000 },
    { label: 'chunks: emulator DeleteObjects (≈)', value: ((n - 1) * a.emulatorDeleteMs) / 1000 },
    { label: 'chunks: consumer own work (≈)', value: ((n - 1) * Math.max(0, a.consumerOwnMs)) / 1000 },
    { label: 'chunks: between invocations (≈)', value: ((n - 1) * Math.max(0, a.betweenMs)) / 1000 },
    { label: 'end: last DeleteObjects → Complete', value: a.endMs / 1000 },
  ]
  out(bars(parts, { unit: 's', width: 36 }))
  out()
  const prof = result.profile
  if (prof) {
    out(
      `workerd CPU by phase during one more ${n0(prof.keys)}-key job (--breakdown: a fresh workerd under its V8 profiler, so slower: ` +
        `${s1(prof.wallMs)} s wall, ${s1(prof.workerdCpuMs)} s workerd CPU by /proc; ${s1(prof.totalMs)} s attributed, per chunk ${(prof.totalMs / (prof.keys / CHUNK_KEYS)).toFixed(1)} ms)`,
    )
    out(bars(prof.rows.filter((r) => r.ms > 0).map((r) => ({ label: r.label, value: r.ms })), { unit: 'ms', width: 30 }))
    const owner = (prefix: string) => prof.rows.filter((r) => r.label.startsWith(prefix)).reduce((t, r) => t + r.ms, 0)
    const owners = [
      ['chunk consumer', owner('consumer:')],
      ['job object', owner('job object:')],
      ['API polls', owner('API:')],
      ['GC, glue, native', prof.totalMs - owner('consumer:') - owner('job object:') - owner('API:')],
    ] as const
    out(`  by owner: ${owners.map(([l, v]) => `${l} ${v.toFixed(0)} ms (${((v / prof.totalMs) * 100).toFixed(0)}%)`).join(', ')}`)
    out(`  busiest functions (self ms): ${prof.top.slice(0, 8).map((f) => `${f.fn} ${f.ms.toFixed(0)}`).join(', ')}`)
    out()
  } else if (ratio < GOAL_THROUGHPUT) out(`  (run with --breakdown for workerd's CPU by phase during a profiled job)\n`)

  // Preparation.
  const prep = result.preparation
  out(`preparation (the job object cutting the manifest into ${n0(CHUNK_KEYS)}-row chunks; fresh workerd per size)`)
  out(`  ${'rows'.padStart(10)}${'CSV MB'.padStart(8)}${'prepare s'.padStart(11)}${'rows/s'.padStart(10)}${'RSS before'.padStart(12)}${'peak'.padStart(8)}${'growth'.padStart(8)}${'after'.padStart(8)}  MiB   workerd CPU s`)
  const coldNote = prep.every((p) => p.coldGrowthBytes !== undefined)
    ? `  (the unmeasured 1,000,000-row warm-up, the first preparation in each fresh workerd, grew RSS by ${prep.map((p) => mib(p.coldGrowthBytes!)).join(', ')} MiB: a young heap's garbage before its first collections)`
    : undefined
  for (const p of prep) {
    const peak = Math.max(p.rss.peakSampledBytes, p.rss.peakHwmBytes ?? 0)
    out(
      `  ${n0(p.rows).padStart(10)}${(p.manifestBytes / 1e6).toFixed(1).padStart(8)}${s1(p.prepMs).padStart(11)}${n0(p.rowsPerSecond).padStart(10)}` +
        `${mib(p.rss.baselineBytes).padStart(12)}${mib(peak).padStart(8)}${mib(p.rss.growthBytes).padStart(8)}${mib(p.rss.afterBytes).padStart(8)}        ${s1(p.cpu.workerdMs)}`,
    )
  }
  if (coldNote) out(coldNote)
  if (prep.every((p) => p.heap)) {
    out(`  the isolate's V8 heap (inspector; "after GC" = after a forced full collection)    MiB`)
    out(`  ${'rows'.padStart(10)}${'used before'.padStart(13)}${'at end'.padStart(9)}${'after GC'.padStart(10)}${'retained'.padStart(10)}${'heap size at end'.padStart(18)}${'RSS after GC'.padStart(14)}`)
    for (const p of prep) {
      const h = p.heap!
      out(
        `  ${n0(p.rows).padStart(10)}${mib(h.usedBeforeBytes).padStart(13)}${mib(h.usedAtEndBytes).padStart(9)}${mib(h.usedAfterGcBytes).padStart(10)}` +
          `${mib(h.usedAfterGcBytes - h.usedBeforeBytes).padStart(10)}${mib(h.totalAtEndBytes).padStart(18)}${mib(h.rssAfterGcBytes).padStart(14)}`,
      )
    }
  }
  out()
  out(bars(prep.map((p) => ({ label: `${n0(p.rows)} rows: RSS growth`, value: p.rss.growthBytes / MiB })), { unit: 'MiB', width: 36 }))
  out(bars(prep.map((p) => ({ label: `${n0(p.rows)} rows: rows/s`, value: p.rowsPerSecond / 1000, note: p.rowsPerSecond >= GOAL_ROWS_PER_SECOND ? '' : `< ${GOAL_ROWS_PER_SECOND / 1000}k` })), { unit: 'k', width: 36 }))
  const all = prep.flatMap((p) => p.rss.samples.map((s) => s.bytes))
  if (all.length) {
    const lo = Math.min(...all)
    const hi = Math.max(...all)
    out(`  workerd VmRSS over each preparation (same scale, ${mib(lo)}–${mib(hi)} MiB; time runs left to right, each run its own length):`)
    for (const p of prep) out(`  ${n0(p.rows).padStart(10)} │${sparkline(p.rss.samples, lo, hi)}│ ${s1(p.prepMs)} s`)
  }
  out()

  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  out(`machine load average (1/5/15 min) ${load(result.loadAverage.start)} at the start, ${load(result.loadAverage.end)} at the end, on ${os.availableParallelism()} cores`)
  out()

  // Verdicts.
  const verdicts: Verdict[] = []
  {
    const met = ratio >= GOAL_THROUGHPUT
    let sentence =
      `Throughput: the ${n0(DELETE_JOB_KEYS)}-key delete job ran at ${n0(jobKps)} keys/s from creation to Complete, ` +
      `${(ratio * 100).toFixed(0)}% of the ${n0(directKps)} keys/s of 1,000-key DeleteObjects sent straight to the emulator ${JOB_CHUNKS_IN_FLIGHT} at a time; ` +
      `the goal (at least 80%) is ${met ? 'met' : 'missed'}.`
    if (!met) {
      const shares = parts.map((p) => ({ ...p, share: p.value / (job.wallMs / 1000) })).sort((x, y) => y.value - x.value)
      const top = shares[0]!
      sentence +=
        ` The job's chunks ran ${a.serial ? 'one at a time' : `at most ${job.invocations.maxConcurrent} at a time`} although it keeps ${JOB_CHUNKS_IN_FLIGHT} on the queue` +
        (a.serial ? ` (Miniflare's local queue broker dispatches the next batch only when the previous invocation has returned)` : '') +
        `, so each of the ${n} chunks cost its full cycle of ${a.chunkCycleMs.toFixed(0)} ms: ${a.invocationMs.toFixed(0)} ms in the consumer invocation ` +
        `(≈ ${a.emulatorDeleteMs.toFixed(0)} ms of it the emulator's DeleteObjects, ≈ ${Math.max(0, a.consumerOwnMs).toFixed(0)} ms the consumer and its job-object calls) ` +
        `and ≈ ${Math.max(0, a.betweenMs).toFixed(0)} ms between invocations (queue delivery and the job object's pump). ` +
        `The largest part of the wall time is "${top.label}" (${(top.share * 100).toFixed(0)}%).` +
        ` For scale: the same calls 1 at a time reach ${n0(serialKps)} keys/s (job ÷ that: ${((jobKps / serialKps) * 100).toFixed(0)}%).` +
        (cpuCapKps < GOAL_THROUGHPUT * directKps
          ? ` Overlap alone would not close the gap: workerd's busiest thread used ${s1(job.cpu.workerdBusiestThreadMs)} s of CPU for the job ` +
            `(${(job.cpu.workerdBusiestThreadMs / job.invocations.count).toFixed(0)} ms per chunk), which caps it near ${n0(cpuCapKps)} keys/s (${((cpuCapKps / directKps) * 100).toFixed(0)}% of direct).`
          : ` With the chunks overlapping, workerd's busiest thread (${(job.cpu.workerdBusiestThreadMs / job.invocations.count).toFixed(0)} ms CPU per chunk) would allow up to ` +
            `${n0(cpuCapKps)} keys/s (${((cpuCapKps / directKps) * 100).toFixed(0)}% of direct), so the serial delivery is what holds it back here.`) +
        (prof
          ? (() => {
              const [first, second] = [...prof.rows].sort((x, y) => y.ms - x.ms)
              const share = (prefix: string) => (prof.rows.filter((r) => r.label.startsWith(prefix)).reduce((t, r) => t + r.ms, 0) / prof.totalMs) * 100
              return (
                ` Inside workerd (profiled run) the chunk consumer took ${share('consumer:').toFixed(0)}% of the Worker's CPU and the job object ${share('job object:').toFixed(0)}%; ` +
                `the largest phases were ${first!.label} (${((first!.ms / prof.totalMs) * 100).toFixed(0)}%) and ${second!.label} (${((second!.ms / prof.totalMs) * 100).toFixed(0)}%).`
              )
            })()
          : '')
    }
    verdicts.push({ goal: `delete job keys/s ≥ ${GOAL_THROUGHPUT * 100}% of direct DeleteObjects at ${JOB_CHUNKS_IN_FLIGHT} in flight`, met, sentence })
  }
  {
    const slow = prep.filter((p) => p.rowsPerSecond < GOAL_ROWS_PER_SECOND)
    const met = slow.length === 0
    verdicts.push({
      goal: `preparation ≥ ${n0(GOAL_ROWS_PER_SECOND)} rows/s`,
      met,
      sentence:
        `Preparation speed: ${prep.map((p) => `${n0(p.rows)} rows in ${s1(p.prepMs)} s (${n0(p.rowsPerSecond)} rows/s)`).join(', ')}; ` +
        (met ? `the goal (at least 200,000 rows/s) is met at every size.` : `the goal (at least 200,000 rows/s) is missed at ${slow.map((p) => n0(p.rows)).join(' and ')} rows.`),
    })
  }
  {
    const small = prep[0]!
    const large = prep[prep.length - 1]!
    const extra = large.rss.growthBytes - small.rss.growthBytes
    const met = extra <= FLAT_TOLERANCE_BYTES
    const perRow = extra / (large.rows - small.rows)
    verdicts.push({
      goal: `preparation memory flat in the manifest size (largest's RSS growth ≤ the ${n0(small.rows)}-row one's + ${mib(FLAT_TOLERANCE_BYTES)} MiB)`,
      met,
      sentence:
        `Preparation memory: workerd's resident memory rose by at most ${prep.map((p) => `${mib(p.rss.growthBytes)} MiB for ${n0(p.rows)} rows`).join(', ')} ` +
        `(manifests of ${prep.map((p) => `${(p.manifestBytes / 1e6).toFixed(0)} MB`).join(', ')}; each in a warmed fresh workerd)` +
        (prep[0]?.coldGrowthBytes !== undefined ? ` — ${mib(Math.max(...prep.map((p) => p.coldGrowthBytes!)))} MiB at most for a first, cold 1,000,000-row preparation — ` : '; ') +
        (met
          ? `it is flat in the manifest size (the ${n0(large.rows)}-row peak is within ${mib(FLAT_TOLERANCE_BYTES)} MiB of the ${n0(small.rows)}-row one), so the goal is met.`
          : `it grows with the manifest (≈ ${perRow.toFixed(1)} bytes per extra row, beyond the ${mib(FLAT_TOLERANCE_BYTES)} MiB tolerance), so the goal is missed.`) +
        (prep.every((p) => p.heap)
          ? ` The isolate's V8 heap retained ${mib(Math.max(...prep.map((p) => p.heap!.usedAfterGcBytes - p.heap!.usedBeforeBytes)))} MiB at most after a full collection ` +
            `and never held more than ${mib(Math.max(...prep.map((p) => p.heap!.totalAtEndBytes)))} MiB, so ${met ? 'what RSS shows' : 'the growth'} is native memory outside the JS heap ` +
            `(${mib(large.heap!.rssAfterGcBytes - large.rss.baselineBytes)} MiB of the ${n0(large.rows)}-row run's still resident after that collection).`
          : ''),
    })
  }
  for (const v of verdicts) out(`verdict  ${v.sentence}`)
  return verdicts
}

/** Keeps at most `max` evenly spaced items (and the last). */
function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs]
  const step = xs.length / max
  const out: T[] = []
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]!)
  out.push(xs[xs.length - 1]!)
  return out
}

export function jobsResultJson(result: JobsSectionResult, verdicts: Verdict[]): Record<string, unknown> {
  const kps = (xs: readonly { keysPerSecond: number }[]) => medianOf(xs.map((x) => x.keysPerSecond))
  const jobKps = kps(result.deleteJob)
  const directKps = kps(result.direct)
  const prepJson = (p: PrepResult) => ({
    rows: p.rows,
    manifestBytes: p.manifestBytes,
    uploadMs: r1(p.uploadMs),
    jobId: p.jobId,
    prepareMs: r1(p.prepMs),
    rowsPerSecond: Math.round(p.rowsPerSecond),
    chunks: p.chunks,
    coldWarmupGrowthBytes: p.coldGrowthBytes ?? null,
    v8Heap: p.heap ?? null,
    pollMs: p.pollMs,
    rssBytes: {
      baseline: p.rss.baselineBytes,
      peakSampled: p.rss.peakSampledBytes,
      peakHwm: p.rss.peakHwmBytes,
      growth: p.rss.growthBytes,
      after: p.rss.afterBytes,
      samples: thin(p.rss.samples, 200).map((s) => [r1(s.t), s.bytes]),
    },
    workerdCpuMs: r1(p.cpu.workerdMs),
  })
  const jobJson = (j: DeleteJobResult) => ({
    ...j,
    wallMs: r1(j.wallMs),
    keysPerSecond: Math.round(j.keysPerSecond),
    createdMs: r1(j.createdMs),
    statusAt: Object.fromEntries(Object.entries(j.statusAt).map(([k, v]) => [k, r1(v)])),
    polls: thin(j.polls, 200).map((p) => ({ ...p, t: r1(p.t) })),
    invocations: { ...j.invocations, ms: roundSummary(j.invocations.ms), sumMs: r1(j.invocations.sumMs) },
    emulator: { ...j.emulator, deleteObjects: { ...j.emulator.deleteObjects, gapMs: roundSummary(j.emulator.deleteObjects.gapMs) } },
    cpu: { workerdMs: r1(j.cpu.workerdMs), workerdBusiestThreadMs: r1(j.cpu.workerdBusiestThreadMs), workerdThreads: j.cpu.workerdThreads, nodeMs: r1(j.cpu.nodeMs) },
  })
  const directJson = (d: DirectResult) => ({ ...d, wallMs: r1(d.wallMs), keysPerSecond: Math.round(d.keysPerSecond), callMs: roundSummary(d.callMs), cpu: { nodeMs: r1(d.cpu.nodeMs) } })
  return {
    account: `${JOB_ACCOUNT} (S3 emulator, SigV4, chunksInFlight ${JOB_CHUNKS_IN_FLIGHT})`,
    goals: verdicts.map((v) => ({ goal: v.goal, met: v.met, verdict: v.sentence })),
    delete: {
      keys: DELETE_JOB_KEYS,
      chunkKeys: CHUNK_KEYS,
      chunksInFlight: JOB_CHUNKS_IN_FLIGHT,
      rounds: result.rounds,
      manifest: result.deleteManifest,
      keysPerSecond: { job: Math.round(jobKps), direct: Math.round(directKps), directOneInFlight: Math.round(kps(result.directSerial)) },
      ratio: Math.round((jobKps / directKps) * 1000) / 1000,
      goalRatio: GOAL_THROUGHPUT,
      job: result.deleteJob.map(jobJson),
      direct: result.direct.map(directJson),
      directOneInFlight: result.directSerial.map(directJson),
    },
    ...(result.profile ? { breakdown: result.profile } : {}),
    loadAverage: result.loadAverage,
    preparation: {
      goalRowsPerSecond: GOAL_ROWS_PER_SECOND,
      flatToleranceBytes: FLAT_TOLERANCE_BYTES,
      workerdPidOfDeleteRun: result.workerdPid ?? null,
      sizes: result.preparation.map(prepJson),
    },
  }
}
