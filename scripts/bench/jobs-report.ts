/**
 * The jobs section's report: the delete jobs against the direct loop at each size (table, scaling,
 * chart), where the largest job's time went, the --breakdown profile, one plain verdict, and the
 * section's JSON document.
 */
import os from 'node:os'
import { bars, pairedBars, thin } from './chart.ts'
import { CHUNK_KEYS, JOB_ACCOUNT, JOB_CHUNKS_IN_FLIGHT } from './jobs-api.ts'
import type { DeleteJobResult, DirectResult, JobSizeResult, JobsSectionResult } from './jobs.ts'
import { scalingJson, scalingTable, sizeLabel } from './scaling.ts'
import { quantile, roundSummary } from './stats.ts'

/** The job's keys/s at least this share of the direct loop's. */
export const GOAL_THROUGHPUT = 0.8

const n0 = (x: number) => Math.round(x).toLocaleString('en-US')
const s1 = (ms: number) => (ms / 1000).toFixed(1)
const r1 = (x: number) => Math.round(x * 10) / 10
const medianOf = (xs: readonly number[]) => quantile([...xs].sort((a, b) => a - b), 0.5)

export function printJobsIntro(o: { out: (s?: string) => void; sizes: readonly number[]; rounds: (keys: number) => number; warmup: boolean }): void {
  const { out } = o
  out(`== jobs: delete jobs through the Worker (POST /v1/jobs → job object → queue batchgate-chunks → chunk consumer), S3 emulator account`)
  out(
    `method   ${o.sizes.map((k) => `${n0(k)} keys (${o.rounds(k)} round${o.rounds(k) > 1 ? 's' : ''})`).join(', ')}: the keys seeded through the ` +
      `emulator's control API, the manifest (bucket,url-encoded-key rows) uploaded to the emulator; the job polled (GET /v1/jobs/{id}) every ` +
      `50 ms from the creation request until Complete, then checked (every task succeeded, none failed, bucket empty). Direct: the same keys ` +
      `re-seeded and deleted from Node by DeleteObjects of ${n0(CHUNK_KEYS)} keys (aws4fetch SigV4, Quiet), ${JOB_CHUNKS_IN_FLIGHT} in flight as the ` +
      `job keeps ${JOB_CHUNKS_IN_FLIGHT} chunks on the queue; also 1 in flight, as a diagnostic. Rounds alternate who goes first; medians` +
      `${o.warmup ? '; after an unmeasured 5,000-key warm-up of both' : ''}.`,
  )
  out(
    `         account ${JOB_ACCOUNT}: chunksInFlight ${JOB_CHUNKS_IN_FLIGHT}; the queue and the Durable Objects as wrangler.toml declares them.`,
  )
  out()
}

export interface Verdict {
  goal: string
  met: boolean
  sentence: string
}

interface SizeFigures {
  keys: number
  jobKps: number
  directKps: number
  serialKps: number
  ratio: number
  /** The round whose job took the median time. */
  job: DeleteJobResult
  direct: DirectResult
  serial: DirectResult
}

function figuresOf(s: JobSizeResult): SizeFigures {
  const byWall = [...s.job].sort((a, b) => a.wallMs - b.wallMs)
  const job = byWall[Math.floor((byWall.length - 1) / 2)]!
  const i = s.job.indexOf(job)
  const jobKps = medianOf(s.job.map((j) => j.keysPerSecond))
  const directKps = medianOf(s.direct.map((d) => d.keysPerSecond))
  return {
    keys: s.keys,
    jobKps,
    directKps,
    serialKps: medianOf(s.directSerial.map((d) => d.keysPerSecond)),
    ratio: jobKps / directKps,
    job,
    direct: s.direct[i] ?? s.direct[0]!,
    serial: s.directSerial[i] ?? s.directSerial[0]!,
  }
}

/** Where one job's wall time went (see printJobsReport). */
function attribute(job: DeleteJobResult, serial1: DirectResult) {
  const d = job.emulator.deleteObjects
  const chunksMs = d.lastMs - d.firstMs
  const chunkCycleMs = d.count > 1 ? chunksMs / (d.count - 1) : NaN
  const invocationMs = job.invocations.ms.mean
  const emulatorDeleteMs = serial1.callMs.p50
  const chunksPerInvocation = job.invocations.messages.mean
  return {
    startMs: d.firstMs,
    chunksMs,
    endMs: job.wallMs - d.lastMs,
    chunkCycleMs,
    invocationMs,
    chunksPerInvocation,
    emulatorDeleteMs,
    /** Workerd's busiest thread (the isolate) per chunk. */
    workerdPerChunkMs: job.cpu.workerdBusiestThreadMs / Math.max(1, d.count),
  }
}

export function printJobsReport(o: { out: (s?: string) => void; result: JobsSectionResult }): Verdict[] {
  const { out, result } = o
  const figs = result.sizes.map(figuresOf)
  out(`delete job vs direct DeleteObjects (S3 emulator)                                         per chunk (1,000 keys)`)
  out(
    `${'keys'.padStart(10)}${'job s'.padStart(8)}${'job keys/s'.padStart(12)}${`direct (${JOB_CHUNKS_IN_FLIGHT})`.padStart(13)}${'direct (1)'.padStart(12)}` +
      `${'job÷direct'.padStart(12)}  ${'goal'.padEnd(7)}${'cycle ms'.padStart(9)}${'chunks/inv.'.padStart(12)}${'workerd CPU ms'.padStart(16)}`,
  )
  for (const f of figs) {
    const a = attribute(f.job, f.serial)
    out(
      `${n0(f.keys).padStart(10)}${s1(f.job.wallMs).padStart(8)}${n0(f.jobKps).padStart(12)}${n0(f.directKps).padStart(13)}${n0(f.serialKps).padStart(12)}` +
        `${`${(f.ratio * 100).toFixed(0)}%`.padStart(12)}  ${(f.ratio >= GOAL_THROUGHPUT ? 'met' : 'missed').padEnd(7)}${a.chunkCycleMs.toFixed(1).padStart(9)}` +
        `${a.chunksPerInvocation.toFixed(1).padStart(12)}${a.workerdPerChunkMs.toFixed(1).padStart(16)}`,
    )
  }
  out(`  cycle: first → last DeleteObjects at the emulator ÷ chunks; chunks/inv.: chunk messages per consumer invocation; workerd CPU: its busiest thread over the job ÷ chunks`)
  for (const f of figs)
    if (f.job !== undefined && result.sizes.find((s) => s.keys === f.keys)!.job.length > 1)
      out(`  rounds at ${sizeLabel(f.keys)}: job ${result.sizes.find((s) => s.keys === f.keys)!.job.map((j) => n0(j.keysPerSecond)).join(', ')} keys/s; direct ${result.sizes.find((s) => s.keys === f.keys)!.direct.map((d) => n0(d.keysPerSecond)).join(', ')} keys/s`)
  out()
  out(`  scaling: wall seconds (creation → Complete for the job)`)
  for (const l of scalingTable({
    rows: [
      { label: 'job', points: figs.map((f) => ({ size: f.keys, value: f.job.wallMs / 1000 })) },
      { label: `direct (${JOB_CHUNKS_IN_FLIGHT})`, points: figs.map((f) => ({ size: f.keys, value: f.direct.wallMs / 1000 })) },
    ],
    value: 's',
    unit: 1_000_000,
    unitName: 'keys',
    labelWidth: 12,
  }))
    out('  ' + l)
  out()
  out(`  keys/s by size (k keys/s)`)
  out(
    pairedBars(
      figs.map((f) => ({ label: `  ${sizeLabel(f.keys)}`, a: f.jobKps / 1000, b: f.directKps / 1000 })),
      { a: { label: 'job', glyph: '█' }, b: { label: `direct, ${JOB_CHUNKS_IN_FLIGHT} in flight`, glyph: '░' }, width: 40, unit: 'k/s' },
    ),
  )
  out()

  // The largest size's median job, in detail.
  const big = figs[figs.length - 1]!
  const job = big.job
  const a = attribute(job, big.serial)
  out(`where the ${n0(big.keys)}-key job's ${s1(job.wallMs)} s went (emulator request log, queue broker log, status polls)`)
  const t = (label: string, ms: number, note = '') => out(`  ${label.padEnd(56)}${ms.toFixed(0).padStart(7)} ms${note ? '  ' + note : ''}`)
  t('POST /v1/jobs answered', job.createdMs)
  if (job.statusAt.Active !== undefined) t('first poll seeing Active (manifest prepared)', job.statusAt.Active)
  t('creation → first DeleteObjects at the emulator', a.startMs)
  t(`first → last DeleteObjects (${job.emulator.deleteObjects.count - 1} chunk cycles)`, a.chunksMs, `${a.chunkCycleMs.toFixed(1)} ms per chunk`)
  t(`last DeleteObjects → poll seeing Complete`, a.endMs, `report: ${job.emulator.reportWrites.count} objects written`)
  t(
    `consumer invocations: ${job.invocations.count}, ${a.chunksPerInvocation.toFixed(1)} chunks each, mean`,
    a.invocationMs,
    `p50 ${job.invocations.ms.p50.toFixed(1)}, p95 ${job.invocations.ms.p95.toFixed(1)}; overlapping at most ${job.invocations.maxConcurrent}`,
  )
  t(`a 1,000-key DeleteObjects at the emulator (direct, 1 in flight, p50)`, a.emulatorDeleteMs)
  out(
    `  CPU during the job: workerd ${s1(job.cpu.workerdMs)} s (its busiest of ${job.cpu.workerdThreads} threads ${s1(job.cpu.workerdBusiestThreadMs)} s, ` +
      `${a.workerdPerChunkMs.toFixed(1)} ms per chunk), Node (emulator + this bench) ${s1(job.cpu.nodeMs)} s, over ${s1(job.wallMs)} s wall; ` +
      `direct loop (${JOB_CHUNKS_IN_FLIGHT} in flight): Node ${s1(big.direct.cpu.nodeMs)} s over ${s1(big.direct.wallMs)} s`,
  )
  const cpuCapKps = (big.keys / job.cpu.workerdBusiestThreadMs) * 1000
  out(`  workerd's busiest thread alone caps a job near ${n0(cpuCapKps)} keys/s on this machine (${((cpuCapKps / big.directKps) * 100).toFixed(0)}% of direct)`)
  out()

  const prof = result.profile
  if (prof) {
    out(
      `workerd CPU by phase during one more ${n0(prof.keys)}-key job (--breakdown: a fresh workerd under its V8 profiler, so slower: ` +
        `${s1(prof.wallMs)} s wall, ${s1(prof.workerdCpuMs)} s workerd CPU by /proc; ${s1(prof.totalMs)} s attributed, per chunk ${(prof.totalMs / (prof.keys / CHUNK_KEYS)).toFixed(1)} ms)`,
    )
    out(bars(prof.rows.filter((r) => r.ms > 0).map((r) => ({ label: r.label, value: r.ms })), { unit: 'ms', width: 30 }))
    const owner = (prefix: string) => prof.rows.filter((r) => r.label.startsWith(prefix)).reduce((s, r) => s + r.ms, 0)
    const owners = [
      ['chunk consumer', owner('consumer:')],
      ['job object', owner('job object:')],
      ['API polls', owner('API:')],
      ['GC, glue, native', prof.totalMs - owner('consumer:') - owner('job object:') - owner('API:')],
    ] as const
    out(`  by owner: ${owners.map(([l, v]) => `${l} ${v.toFixed(0)} ms (${((v / prof.totalMs) * 100).toFixed(0)}%)`).join(', ')}`)
    out(`  busiest functions (self ms): ${prof.top.slice(0, 8).map((f) => `${f.fn} ${f.ms.toFixed(0)}`).join(', ')}`)
    out()
  }
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  out(`machine load average (1/5/15 min) ${load(result.loadAverage.start)} at the start, ${load(result.loadAverage.end)} at the end, on ${os.availableParallelism()} cores`)
  out()

  const met = big.ratio >= GOAL_THROUGHPUT
  const sentence =
    `Throughput: delete jobs ran at ${figs.map((f) => `${n0(f.jobKps)} keys/s for ${sizeLabel(f.keys)} keys (${(f.ratio * 100).toFixed(0)}% of direct)`).join(', ')}, ` +
    `against 1,000-key DeleteObjects sent straight to the emulator ${JOB_CHUNKS_IN_FLIGHT} at a time (${figs.map((f) => n0(f.directKps)).join(', ')} keys/s); ` +
    `the goal (at least 80%, judged on the ${n0(big.keys)}-key job) is ${met ? 'met' : 'missed'}.` +
    (met
      ? ''
      : ` The ${n0(big.keys)}-key job's chunks took ${a.chunkCycleMs.toFixed(1)} ms each (${a.chunksPerInvocation.toFixed(1)} per consumer invocation, ` +
        `at most ${job.invocations.maxConcurrent} invocations overlapping) where a DeleteObjects takes ${a.emulatorDeleteMs.toFixed(1)} ms at the emulator; ` +
        `workerd's busiest thread spent ${a.workerdPerChunkMs.toFixed(1)} ms of CPU per chunk, which alone caps a job near ${n0(cpuCapKps)} keys/s here.`)
  out(`verdict  ${sentence}`)
  return [{ goal: `delete job keys/s ≥ ${GOAL_THROUGHPUT * 100}% of direct DeleteObjects at ${JOB_CHUNKS_IN_FLIGHT} in flight (largest job)`, met, sentence }]
}

export function jobsResultJson(result: JobsSectionResult, verdicts: Verdict[]): Record<string, unknown> {
  const jobJson = (j: DeleteJobResult) => ({
    ...j,
    wallMs: r1(j.wallMs),
    keysPerSecond: Math.round(j.keysPerSecond),
    createdMs: r1(j.createdMs),
    statusAt: Object.fromEntries(Object.entries(j.statusAt).map(([k, v]) => [k, r1(v)])),
    polls: thin(j.polls, 100).map((p) => ({ ...p, t: r1(p.t) })),
    invocations: { ...j.invocations, ms: roundSummary(j.invocations.ms), sumMs: r1(j.invocations.sumMs), messages: roundSummary(j.invocations.messages) },
    emulator: { ...j.emulator, deleteObjects: { ...j.emulator.deleteObjects, gapMs: roundSummary(j.emulator.deleteObjects.gapMs) } },
    cpu: { workerdMs: r1(j.cpu.workerdMs), workerdBusiestThreadMs: r1(j.cpu.workerdBusiestThreadMs), workerdThreads: j.cpu.workerdThreads, nodeMs: r1(j.cpu.nodeMs) },
  })
  const directJson = (d: DirectResult) => ({ ...d, wallMs: r1(d.wallMs), keysPerSecond: Math.round(d.keysPerSecond), callMs: roundSummary(d.callMs), cpu: { nodeMs: r1(d.cpu.nodeMs) } })
  const figs = result.sizes.map(figuresOf)
  return {
    account: `${JOB_ACCOUNT} (S3 emulator, SigV4, chunksInFlight ${JOB_CHUNKS_IN_FLIGHT})`,
    goals: verdicts.map((v) => ({ goal: v.goal, met: v.met, verdict: v.sentence })),
    goalRatio: GOAL_THROUGHPUT,
    chunkKeys: CHUNK_KEYS,
    chunksInFlight: JOB_CHUNKS_IN_FLIGHT,
    scaling: {
      jobWallSeconds: scalingJson(figs.map((f) => ({ size: f.keys, value: f.job.wallMs / 1000 })), 1_000_000),
      directWallSeconds: scalingJson(figs.map((f) => ({ size: f.keys, value: f.direct.wallMs / 1000 })), 1_000_000),
    },
    sizes: result.sizes.map((s, i) => ({
      keys: s.keys,
      rounds: s.rounds,
      manifest: s.manifest,
      keysPerSecond: { job: Math.round(figs[i]!.jobKps), direct: Math.round(figs[i]!.directKps), directOneInFlight: Math.round(figs[i]!.serialKps) },
      ratio: Math.round(figs[i]!.ratio * 1000) / 1000,
      job: s.job.map(jobJson),
      direct: s.direct.map(directJson),
      directOneInFlight: s.directSerial.map(directJson),
    })),
    ...(result.profile ? { breakdown: result.profile } : {}),
    loadAverage: result.loadAverage,
  }
}
