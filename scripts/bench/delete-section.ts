/**
 * The delete section (bench.ts): per provider, batches of every size through the gateway and
 * straight to the emulator, the headline report at the largest size (and --breakdown), the scaling
 * over the sizes, then the Worker's CPU inside workerd (sync-cpu.ts).
 */
import { QINIU_CREDENTIALS } from '../../test/fixtures/qiniu-credentials.ts'
import { makeRig, runDeleteSection, type DeleteProvider } from './delete.ts'
import { formatDeleteBreakdown, runDeleteBreakdown, type DeleteBreakdown } from './delete-breakdown.ts'
import { deleteResultJson, deleteScalingJson, figures, printDeleteReport, printDeleteScaling, type ProviderFigures } from './delete-report.ts'
import type { EmulatorKind } from './emulators.ts'
import type { Gateway } from './gateway.ts'
import type { GoalLine } from './goals.ts'
import { median, Progress } from './progress.ts'
import { runSyncCpu } from './sync-cpu.ts'
import { GOAL_CPU_MS_PER_1000, printSyncCpu, syncCpuJson } from './sync-cpu-report.ts'

export async function runDeleteSections(o: {
  root: string
  script: string
  host: string
  urls: Partial<Record<EmulatorKind, string>>
  gateway: Gateway
  providers: readonly DeleteProvider[]
  sizes: readonly number[]
  iterations: number
  warmup: number
  goalAdded: number
  breakdown: boolean
  cpu: { calls: number; mixedSizes: readonly number[] }
  out: (s?: string) => void
  abort: (message: string) => Promise<never>
}): Promise<{ json: Record<string, unknown>; goals: GoalLine[] }> {
  const { out, abort, gateway: g, sizes, warmup, iterations: n } = o
  const goals: GoalLine[] = []
  out(`== delete: batches deleting ${sizes.join(', ')} existing keys, per provider, gateway vs direct`)
  out(`providers ${o.providers.join(', ')}`)
  out(
    `method   per size, ${warmup} warm-up + ${n} measured calls each; every round visits every provider, gateway and direct interleaved ` +
      `(order alternating); the bucket re-seeded before every call and checked empty after it, outside the timed region`,
  )
  out()
  const bySize: Array<{ size: number; figs: ProviderFigures[] }> = []
  let last: Record<string, unknown> | undefined
  let breakdown: DeleteBreakdown | undefined
  for (const size of sizes) {
    const rigs = await Promise.all(o.providers.map((p) => makeRig(p, o.urls, g, size))).catch((e: Error) => abort(e.message))
    process.stderr.write(`delete: ${size} keys per batch\n`)
    const progress = new Progress(warmup + n, process.stderr)
    const samples = await runDeleteSection({
      rigs,
      gateway: g,
      iterations: n,
      warmup,
      abort: (m) => {
        progress.done()
        return abort(m)
      },
      onRound: (_i, warm, s) =>
        progress.tick(
          warm ? 'warm-up' : 'measuring',
          'p50 g/d ms: ' + rigs.map((r) => `${r.provider} ${median(s[r.provider]!.gateway)}/${r.direct ? median(s[r.provider]!.direct) : '–'}`).join(', '),
        ),
    })
    progress.done()
    const figs = figures(rigs, samples, o.goalAdded)
    bySize.push({ size, figs })
    if (size !== sizes[sizes.length - 1]) continue
    // The largest size is the headline: its full report.
    if (o.breakdown) {
      process.stderr.write('breakdown: timing against an instant fake upstream ...\n')
      breakdown = await runDeleteBreakdown({
        root: o.root,
        script: o.script,
        host: o.host,
        qiniuAccessKey: 'qn-test-ak',
        qiniuSecretKey: QINIU_CREDENTIALS['qn-test-ak']!,
        rigs,
        urls: o.urls,
        gateway: g,
        rounds: Math.min(n, 20),
        log: (s) => process.stderr.write(s),
      }).catch((e: Error) => abort(`breakdown failed: ${e.stack ?? e.message}`))
    }
    printDeleteReport({ out, rigs, figs, samples, iterations: n, goalAdded: o.goalAdded })
    if (breakdown) {
      out()
      for (const line of formatDeleteBreakdown(breakdown)) out(line)
    }
    const { benchmark: _b, ...rest } = deleteResultJson({ rigs, figs, samples, iterations: n, warmup, emulatorHost: o.host, goalAdded: o.goalAdded })
    last = rest
    for (const f of figs)
      if (f.ratio && f.added)
        goals.push({
          section: 'sync',
          goal: `added latency < ${o.goalAdded * 100}% (1,000-op batch, p50 and p95)`,
          subject: `${f.provider} delete`,
          figure: `+${f.added.p50.toFixed(1)} ms (${f.ratio.p50.toFixed(2)}×)`,
          met: f.met === true,
        })
  }
  out()
  printDeleteScaling(out, bySize)
  out()

  // The Worker's CPU inside workerd, every provider and size (and the mixed batch).
  process.stderr.write('cpu: the Worker in a workerd of its own, inspector open ...\n')
  const cpu = await runSyncCpu({
    root: o.root,
    script: o.script,
    host: o.host,
    urls: o.urls,
    qiniuAccessKey: 'qn-test-ak',
    qiniuSecretKey: QINIU_CREDENTIALS['qn-test-ak']!,
    providers: o.providers,
    sizes,
    mixedSizes: o.cpu.mixedSizes,
    calls: o.cpu.calls,
    warmup,
    log: (s) => process.stderr.write(s),
  }).catch((e: Error) => abort(`cpu: ${e.stack ?? e.message}`))
  const cpuVerdict = printSyncCpu(out, cpu)
  out(`verdict  ${cpuVerdict.sentence}`)
  for (const [label, ms] of Object.entries(cpuVerdict.per1000)) {
    const thread = cpuVerdict.threadPer1000[label]
    const beside = thread !== undefined && thread !== ms ? ` (thread ${thread.toFixed(2)} ms)` : ''
    goals.push({ section: 'sync', goal: cpuVerdict.goal, subject: label, figure: `${ms.toFixed(2)} ms${beside}`, met: ms < GOAL_CPU_MS_PER_1000 })
  }
  return { json: { ...last, scaling: deleteScalingJson(bySize), ...(breakdown ? { breakdown } : {}), cpu: syncCpuJson(cpu) }, goals }
}
