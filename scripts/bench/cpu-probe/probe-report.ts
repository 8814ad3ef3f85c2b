/** The CPU probe's table (cpu-probe.ts): the Worker's JS per batch by phase, its scaling, JSON. */
import { bars } from '../chart.ts'
import { scalingJson, scalingTable } from '../scaling.ts'
import { PHASE_LABELS, PROBE_PHASES, type ProbeCase, type ProbeResult } from './cpu-probe.ts'

const byProvider = (r: ProbeResult) =>
  [...new Set(r.cases.map((c) => c.provider))].map((provider) => ({ provider, cases: r.cases.filter((c) => c.provider === provider).sort((a, b) => a.size - b.size) }))

export function printProbe(out: (s?: string) => void, r: ProbeResult, goalMs: number): void {
  const groups = byProvider(r)
  if (groups.length === 0) return
  out(`the Worker's own JS per batch, timed inside workerd on canned provider answers (no HTTP: the provider call builds its Request`)
  out(`and gets the emulator's answer for a delete); each figure the median of ${r.repeats} loops of ~${r.minLoopMs} ms; ms per batch`)
  for (const l of scalingTable({ rows: groups.map((g) => ({ label: g.provider, points: g.cases.map((c) => ({ size: c.size, value: c.ms.total })) })), value: 'ms', unit: 1000, unitName: 'ops' })) out('  ' + l)
  out()
  const sizes = groups[0]!.cases.map((c) => c.size)
  out(`  CPU per 1,000 operations, the Worker's JS: (batch of ${sizes[sizes.length - 1]} − batch of ${sizes[0]}) ÷ the extra ops × 1,000 (goal < ${goalMs} ms)`)
  out(
    bars(
      groups.map((g) => ({ label: `  ${g.provider}`, value: r.perThousand[g.provider]!, note: r.perThousand[g.provider]! < goalMs ? 'met' : 'over' })),
      { unit: 'ms', width: 36 },
    ),
  )
  const largest = groups.map((g) => g.cases[g.cases.length - 1]!)
  const w = Math.max(...Object.values(PHASE_LABELS).map((l) => l.length)) + 2
  out(`  by phase, batch of ${largest[0]!.size} (ms; the phases timed one by one, "all" in one loop)`)
  out(`  ${''.padEnd(w)}${largest.map((c) => c.provider.padStart(9)).join('')}`)
  for (const p of PROBE_PHASES) out(`  ${PHASE_LABELS[p].padEnd(w)}${largest.map((c) => c.ms[p].toFixed(3).padStart(9)).join('')}`)
  out(`  ${'all'.padEnd(w)}${largest.map((c) => c.ms.total.toFixed(3).padStart(9)).join('')}`)
  out()
}

export function probeJson(r: ProbeResult) {
  return {
    method:
      "the Worker's steps for POST /v1/batch (body decoded + JSON.parse, validation, provider checks, the engine with the adapter — plan, " +
      "build and sign the provider request, parse its answer, results — and the JSON answer) bundled with esbuild and run in workerd by Miniflare " +
      "on canned provider answers; each phase a timed loop (workerd's clock read after a 1 ms timer), the median of `repeats` loops; cpuMsPer1000Ops: (all at the largest size − " +
      'all at the smallest) ÷ the extra operations × 1,000',
    minLoopMs: r.minLoopMs,
    repeats: r.repeats,
    byProvider: Object.fromEntries(
      byProvider(r).map((g) => [
        g.provider,
        {
          cpuMsPer1000Ops: round(r.perThousand[g.provider]!),
          totalMs: scalingJson(g.cases.map((c) => ({ size: c.size, value: round(c.ms.total) })), 1000),
          cases: g.cases.map((c: ProbeCase) => ({ size: c.size, ms: Object.fromEntries(Object.entries(c.ms).map(([k, v]) => [k, round(v)])), calls: c.calls })),
        },
      ]),
    ),
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000
