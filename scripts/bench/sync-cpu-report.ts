/** The sync section's CPU report (sync-cpu.ts): tables with scaling, phases, a chart, the verdict, JSON. */
import { bars } from './chart.ts'
import { scalingJson, scalingTable } from './scaling.ts'
import { roundSummary } from './stats.ts'
import type { SyncCpuResult } from './sync-cpu.ts'

/** The issue's goal: a 1,000-op batch within 2 ms of CPU (the Workers free plan allows 10 ms per request). */
export const GOAL_CPU_MS_PER_1000 = 2

export interface CpuVerdict {
  goal: string
  met: boolean
  sentence: string
  /** JS + GC ms per 1,000 operations at the largest size, by label. */
  per1000: Record<string, number>
}

function byLabel(r: SyncCpuResult) {
  const labels = [...new Set(r.cases.map((c) => c.label))]
  return labels.map((label) => ({ label, cases: r.cases.filter((c) => c.label === label).sort((a, b) => a.size - b.size) }))
}

export function printSyncCpu(out: (s?: string) => void, r: SyncCpuResult): CpuVerdict {
  const groups = byLabel(r)
  out(`CPU inside workerd per batch (${[...new Set(r.cases.map((c) => `${c.calls} calls at ${c.size} ops`))].join(', ')}; JS = V8 profile of the Worker's isolate, sampled every ${r.intervalUs} µs;`)
  out(`thread = run time of workerd's thread that ran the call, unprofiled, incl. Miniflare's entry Worker and workerd's HTTP)`)
  out(`JS + GC, ms per call (mean)`)
  for (const l of scalingTable({ rows: groups.map((g) => ({ label: g.label, points: g.cases.map((c) => ({ size: c.size, value: c.js.totalMs })) })), value: 'ms', unit: 1000, unitName: 'ops' })) out('  ' + l)
  out(`workerd thread, ms per call (p50)`)
  for (const l of scalingTable({ rows: groups.map((g) => ({ label: g.label, points: g.cases.map((c) => ({ size: c.size, value: c.thread.p50 })) })), value: 'ms', unit: 1000, unitName: 'ops' })) out('  ' + l)
  out()
  // Phases of the largest batch, one column per provider.
  const largest = groups.map((g) => g.cases[g.cases.length - 1]!)
  const labels = largest[0]!.js.rows.map((x) => x.label)
  const w = Math.max(...labels.map((l) => l.length)) + 2
  out(`  JS + GC by phase, ms per call of the largest batch (${[...new Set(largest.map((c) => c.size))].join('/')} ops)`)
  out(`  ${''.padEnd(w)}${largest.map((c) => c.label.padStart(12)).join('')}`)
  const rows = labels
    .map((label, i) => ({ label, values: largest.map((c) => c.js.rows[i]!.value) }))
    .filter((x) => x.values.some((v) => v >= 0.05))
    .sort((a, b) => Math.max(...b.values) - Math.max(...a.values))
  for (const x of rows) out(`  ${x.label.padEnd(w)}${x.values.map((v) => v.toFixed(2).padStart(12)).join('')}`)
  out(`  ${'total JS + GC'.padEnd(w)}${largest.map((c) => c.js.totalMs.toFixed(2).padStart(12)).join('')}`)
  out()
  const per1000 = Object.fromEntries(largest.map((c) => [c.label, (c.js.totalMs / c.size) * 1000]))
  out(`  JS + GC per 1,000 operations (goal < ${GOAL_CPU_MS_PER_1000} ms)`)
  out(
    bars(
      largest.map((c) => ({ label: `  ${c.label}`, value: per1000[c.label]!, note: per1000[c.label]! < GOAL_CPU_MS_PER_1000 ? 'met' : 'over' })),
      { unit: 'ms', width: 36 },
    ),
  )
  const over = largest.filter((c) => per1000[c.label]! >= GOAL_CPU_MS_PER_1000)
  const met = over.length === 0
  const list = largest.map((c) => `${c.label} ${per1000[c.label]!.toFixed(2)}`).join(', ')
  const sentence =
    `CPU: the Worker's JS + GC per 1,000 operations (V8 profile inside workerd) is ${list} ms; ` +
    (met ? `every batch is under the ${GOAL_CPU_MS_PER_1000} ms goal.` : `the ${GOAL_CPU_MS_PER_1000} ms goal is missed by ${over.map((c) => c.label).join(', ')}.`)
  return { goal: `Worker CPU < ${GOAL_CPU_MS_PER_1000} ms per 1,000 operations`, met, sentence, per1000 }
}

export function syncCpuJson(r: SyncCpuResult) {
  return {
    calls: r.calls,
    intervalUs: r.intervalUs,
    method:
      'js: V8 CPU profile of the Worker isolate (samples capped at 3× the median interval so waits are not counted), mean per call; ' +
      "thread: /proc schedstat run time of workerd's busiest thread across each unprofiled call",
    byLabel: Object.fromEntries(
      byLabel(r).map((g) => [
        g.label,
        {
          jsMs: scalingJson(g.cases.map((c) => ({ size: c.size, value: c.js.totalMs })), 1000),
          threadMsP50: scalingJson(g.cases.map((c) => ({ size: c.size, value: c.thread.p50 })), 1000),
          cases: g.cases.map((c) => ({ size: c.size, jsMs: c.js.totalMs, phases: c.js.rows.filter((x) => x.value > 0), thread: roundSummary(c.thread) })),
        },
      ]),
    ),
  }
}
