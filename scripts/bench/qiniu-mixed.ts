/**
 * Section "qiniu-mixed": the 1,000-op mixed Qiniu batch (workload.ts) through the gateway versus
 * straight to the Qiniu emulator, interleaved; p50/p95/mean/min/max, ratios, a histogram,
 * bench-results/qiniu-sync.json, and optionally the --breakdown of the gateway's time.
 */
import { seedBucket } from '../../test/emulators/control.ts'
import { QINIU_CREDENTIALS } from '../../test/fixtures/qiniu-credentials.ts'
import { runBreakdown, type Breakdown } from './breakdown.ts'
import { bars, histogram } from './chart.ts'
import { createDirectClient, type CallResult } from './direct.ts'
import type { Gateway } from './gateway.ts'
import { Progress } from './progress.ts'
import { scalingJson, scalingTable } from './scaling.ts'
import { roundSummary, summarise, type Summary } from './stats.ts'
import { BUCKET, buildWorkload, MIX, SCRATCH_BUCKET, type Workload } from './workload.ts'

const ACCESS_KEY = 'qn-test-ak'

export interface SectionContext {
  root: string
  /** The bundled Worker (for the breakdown's own gateways). */
  script: string
  gateway: Gateway
  emulatorUrl: string
  emulatorHost: string
  iterations: number
  warmup: number
  breakdown: boolean
  goalAdded: number
  /** Batch sizes for the scaling table (the workload's own size is the main measurement). */
  sizes: readonly number[]
  out: (s?: string) => void
  abort: (message: string) => Promise<never>
}

/** The workload, for the header lines printed before anything runs. */
export const qiniuMixedWorkload = (): Workload => buildWorkload(1000)

export async function runQiniuMixed(ctx: SectionContext, workload: Workload): Promise<Record<string, unknown>> {
  const { out, gateway, abort } = ctx
  const ITERATIONS = ctx.iterations
  const WARMUP = ctx.warmup
  const GOAL_ADDED = ctx.goalAdded
  const mixText = MIX.map(([k]) => `${k} ${workload.counts[k]}`).join(', ')

  out(`== qiniu-mixed: a 1,000-op mixed Qiniu batch, gateway vs direct`)
  out(`batch    ${workload.operations.length} ops: ${mixText}`)
  out(`method   ${WARMUP} warm-up + ${ITERATIONS} measured calls each, gateway and direct interleaved (order alternating)`)
  out()

  await seedBucket(ctx.emulatorUrl, BUCKET, workload.seed)
  await seedBucket(ctx.emulatorUrl, SCRATCH_BUCKET, [])

  const direct = createDirectClient({
    url: ctx.emulatorUrl,
    accessKey: ACCESS_KEY,
    secretKey: QINIU_CREDENTIALS[ACCESS_KEY]!,
    operations: workload.operations,
    expectedCodes: workload.expectedDirectCodes,
  })

  let progress: Progress | undefined
  async function check(kind: 'gateway' | 'direct', r: CallResult, when: string): Promise<void> {
    if (r.problems.length === 0) return
    progress?.done()
    const why =
      kind === 'gateway'
        ? `the gateway did not answer 200 with ${workload.operations.length} succeeded results (${when}): ${r.problems.join('; ')}`
        : `the emulator's direct answer was not the expected one (${when}): ${r.problems.join('; ')}`
    await abort(why)
  }

  const samples = { gateway: [] as number[], direct: [] as number[] }
  const responseBytes = { gateway: 0, direct: 0 }
  const logged = gateway.workerMs.length
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
  const workerMs = summarise(gateway.workerMs.slice(logged).slice(-ITERATIONS))

  // Scaling: the same mix at smaller sizes (their own seed), interleaved the same way.
  const scaling: Array<{ size: number; gateway: Summary; direct: Summary }> = []
  for (const size of ctx.sizes.filter((n) => n !== workload.operations.length)) {
    const w = buildWorkload(size)
    await seedBucket(ctx.emulatorUrl, BUCKET, w.seed)
    const d = createDirectClient({ url: ctx.emulatorUrl, accessKey: ACCESS_KEY, secretKey: QINIU_CREDENTIALS[ACCESS_KEY]!, operations: w.operations, expectedCodes: w.expectedDirectCodes })
    const s = { gateway: [] as number[], direct: [] as number[] }
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      const order = i % 2 === 0 ? (['gateway', 'direct'] as const) : (['direct', 'gateway'] as const)
      for (const kind of order) {
        const r = kind === 'gateway' ? await gateway.batch('qiniu', w.operations) : await d.call()
        await check(kind, r, `${size}-op batch, call ${i + 1}`)
        if (i >= WARMUP) s[kind].push(r.ms)
      }
    }
    scaling.push({ size, gateway: summarise(s.gateway), direct: summarise(s.direct) })
  }
  if (scaling.length) await seedBucket(ctx.emulatorUrl, BUCKET, workload.seed)
  scaling.push({ size: workload.operations.length, gateway: g, direct: d })
  scaling.sort((a, b) => a.size - b.size)

  let breakdown: Breakdown | undefined
  if (ctx.breakdown) {
    process.stderr.write('breakdown: timing against an instant fake upstream, then profiling the Worker inside workerd ...\n')
    breakdown = await runBreakdown({
      root: ctx.root,
      script: ctx.script,
      emulatorUrl: ctx.emulatorUrl,
      accessKey: ACCESS_KEY,
      secretKey: QINIU_CREDENTIALS[ACCESS_KEY]!,
      workload,
      iterations: Math.min(ITERATIONS, 40),
      log: (s) => process.stderr.write(s),
    }).catch((e: Error) => abort(`breakdown failed: ${e.stack ?? e.message}`))
  }

  // ---------------------------------------------------------------- report
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
      `to the direct call: the goal (less than ${Math.round(GOAL_ADDED * 100)}% added) is ${met ? 'met' : 'NOT met'}.`,
  )
  if (!met && !breakdown) out(`         Run with --breakdown to see where the gateway's time goes.`)
  if (scaling.length > 1) {
    out()
    out(`scaling  the same mix at ${scaling.map((x) => x.size.toLocaleString('en-US')).join(', ')} operations (p50 ms per call)`)
    for (const l of scalingTable({
      rows: [
        { label: 'gateway', points: scaling.map((x) => ({ size: x.size, value: x.gateway.p50 })) },
        { label: 'direct', points: scaling.map((x) => ({ size: x.size, value: x.direct.p50 })) },
        { label: 'added', points: scaling.map((x) => ({ size: x.size, value: x.gateway.p50 - x.direct.p50 })) },
      ],
      value: 'ms',
      unit: 1000,
      unitName: 'ops',
    }))
      out('  ' + l)
  }

  if (breakdown) {
    out()
    out(`breakdown  where the gateway's time goes (medians of ${breakdown.iterations} calls)`)
    out(bars(breakdown.endToEnd, { width: 36 }))
    out()
    out(`  CPU inside workerd per call, by phase (V8 profile over ${breakdown.profileCalls} calls; total ${breakdown.cpuTotalMs} ms):`)
    out(bars([...breakdown.cpu].sort((a, b) => b.value - a.value), { width: 36 }))
    for (const note of breakdown.notes) out(`  - ${note}`)
  }

  return {
    benchmark: 'qiniu-sync',
    config: {
      iterations: ITERATIONS,
      warmup: WARMUP,
      emulatorHost: ctx.emulatorHost,
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
    scaling: {
      gatewayP50Ms: scalingJson(scaling.map((x) => ({ size: x.size, value: x.gateway.p50 })), 1000),
      directP50Ms: scalingJson(scaling.map((x) => ({ size: x.size, value: x.direct.p50 })), 1000),
      bySize: scaling.map((x) => ({ size: x.size, gateway: roundSummary(x.gateway), direct: roundSummary(x.direct) })),
    },
    ...(breakdown ? { breakdown } : {}),
    samples: { gateway: samples.gateway.map((x) => round(x, 3)), direct: samples.direct.map((x) => round(x, 3)) },
  }
}

export function round(x: number, digits: number): number {
  const m = 10 ** digits
  return Math.round(x * m) / m
}
