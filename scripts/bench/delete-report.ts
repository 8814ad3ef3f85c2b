/**
 * The delete section's report: the per-provider table, the charts, one verdict sentence per
 * provider, and the bench-results/delete-1000.json document.
 */
import { pairedBars, ratioBars } from './chart.ts'
import { DELETE_KEYS, GATEWAY_CONCURRENCY, TARGET, type DeleteSamples, type ProviderRig } from './delete.ts'
import { scalingJson, scalingTable } from './scaling.ts'
import { roundSummary, summarise, type Summary } from './stats.ts'

const r3 = (x: number) => Math.round(x * 1000) / 1000
const r4 = (x: number) => Math.round(x * 10000) / 10000

export interface ProviderFigures {
  provider: string
  gateway: Summary
  direct: Summary | undefined
  worker: Summary | undefined
  ratio: { p50: number; p95: number } | undefined
  added: { p50: number; p95: number } | undefined
  met: boolean | undefined
}

export function figures(rigs: readonly ProviderRig[], samples: Record<string, DeleteSamples>, goalAdded: number): ProviderFigures[] {
  return rigs.map((rig) => {
    const s = samples[rig.provider]!
    const gateway = summarise(s.gateway)
    const direct = s.direct.length ? summarise(s.direct) : undefined
    const worker = s.worker.length ? summarise(s.worker) : undefined
    const ratio = direct ? { p50: gateway.p50 / direct.p50, p95: gateway.p95 / direct.p95 } : undefined
    const added = direct ? { p50: gateway.p50 - direct.p50, p95: gateway.p95 - direct.p95 } : undefined
    const met = ratio ? ratio.p50 < 1 + goalAdded && ratio.p95 < 1 + goalAdded : undefined
    return { provider: rig.provider, gateway, direct, worker, ratio, added, met }
  })
}

const gatewayRequestBytes = (rig: ProviderRig) => Buffer.byteLength(JSON.stringify({ account: TARGET[rig.provider].account, operations: rig.operations }))

const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(0)}%`

export function printDeleteReport(o: {
  out: (s?: string) => void
  rigs: readonly ProviderRig[]
  figs: readonly ProviderFigures[]
  samples: Record<string, DeleteSamples>
  iterations: number
  goalAdded: number
}): void {
  const { out, figs } = o
  const f = (x: number | undefined, w = 8) => (x === undefined ? '–' : x.toFixed(2)).padStart(w)
  const x = (r: number | undefined, w = 7) => (r === undefined ? '–' : r.toFixed(2) + '×').padStart(w)
  out(`results  ms per batch of ${(o.rigs[0]?.size ?? DELETE_KEYS).toLocaleString('en-US')} deletes, ${o.iterations} calls each (client-side wall time: build, sign/serialise, send, read, parse)`)
  const head =
    `${'provider'.padEnd(9)}${'gateway'.padStart(17)}${'direct'.padStart(17)}${'ratio g/d'.padStart(15)}${'added ms'.padStart(17)}${'worker log'.padStart(12)}`
  const sub = `${''.padEnd(9)}${'p50'.padStart(9)}${'p95'.padStart(8)}${'p50'.padStart(9)}${'p95'.padStart(8)}${'p50'.padStart(8)}${'p95'.padStart(7)}${'p50'.padStart(9)}${'p95'.padStart(8)}${'p50'.padStart(12)}  goal`
  out(head)
  out(sub)
  for (const g of figs) {
    const verdict = g.met === undefined ? 'n/a' : g.met ? 'met' : 'missed'
    out(
      `${g.provider.padEnd(9)}${f(g.gateway.p50, 9)}${f(g.gateway.p95)}${f(g.direct?.p50, 9)}${f(g.direct?.p95)}` +
        `${x(g.ratio?.p50, 8)}${x(g.ratio?.p95)}${f(g.added?.p50, 9)}${f(g.added?.p95)}${f(g.worker?.p50, 12)}  ${verdict}`,
    )
  }
  out(`         worker log: the Worker's own access-log ms for the call (workerd's clock only moves on I/O, so CPU after the last I/O is not in it)`)
  out()
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`
  out(`calls    per provider, what each side sends for the ${(o.rigs[0]?.size ?? DELETE_KEYS).toLocaleString('en-US')} deletes (bodies: request in, answer out):`)
  for (const rig of o.rigs) {
    const t = TARGET[rig.provider]
    const bytes = o.samples[rig.provider]!.responseBytes
    const calls = rig.direct?.requests ?? 1
    out(
      `  ${rig.provider.padEnd(6)} gateway  POST /v1/batch, account "${t.account}", ${kib(gatewayRequestBytes(rig))} JSON in, ${kib(bytes.gateway)} out; ` +
        `it makes ${calls} provider call${calls === 1 ? '' : 's'} (${t.how})`,
    )
    out(`  ${''.padEnd(6)} direct   ${t.direct}${rig.direct ? `, ${kib(rig.direct.bodyBytes)} in, ${kib(bytes.direct)} out` : ''}`)
  }
  out()
  out(`p50 gateway ÷ direct by provider (█ within the goal of ${(1 + o.goalAdded).toFixed(2)}×, ▒ beyond it, ┆ the goal)`)
  out(
    ratioBars(
      figs.map((g) => ({
        label: g.provider,
        ratio: g.ratio?.p50,
        note: g.ratio ? `${g.added!.p50 >= 0 ? '+' : ''}${g.added!.p50.toFixed(1)} ms` : `no direct counterpart (gateway p50 ${g.gateway.p50.toFixed(1)} ms)`,
      })),
      { goal: 1 + o.goalAdded, width: 44 },
    ),
  )
  out()
  out(`p50 ms by provider`)
  out(pairedBars(figs.map((g) => ({ label: g.provider, a: g.gateway.p50, b: g.direct?.p50 })), { a: { label: 'gateway', glyph: '█' }, b: { label: 'direct', glyph: '░' }, width: 44 }))
  out()
  out(`verdict  (goal: the gateway adds less than ${Math.round(o.goalAdded * 100)}% to the direct call, judged at p50 and p95)`)
  for (const g of figs) {
    if (!g.ratio || !g.added) {
      out(
        `  ${g.provider}: gateway only, ${g.gateway.p50.toFixed(1)} ms at p50 and ${g.gateway.p95.toFixed(1)} ms at p95; ` +
          `there is nothing direct to compare it with, so no ratio and no verdict.`,
      )
      continue
    }
    out(
      `  ${g.provider}: the gateway adds ${g.added.p50.toFixed(1)} ms (${pct(g.ratio.p50)}) at p50 and ${g.added.p95.toFixed(1)} ms (${pct(g.ratio.p95)}) at p95; ` +
        `the goal is ${g.met ? 'met' : 'NOT met'}.`,
    )
  }
}

export function deleteResultJson(o: {
  rigs: readonly ProviderRig[]
  figs: readonly ProviderFigures[]
  samples: Record<string, DeleteSamples>
  iterations: number
  warmup: number
  emulatorHost: string
  goalAdded: number
}): Record<string, unknown> {
  const providers: Record<string, unknown> = {}
  for (const [i, rig] of o.rigs.entries()) {
    const g = o.figs[i]!
    const t = TARGET[rig.provider]
    providers[rig.provider] = {
      gatewayAccount: t.account,
      bucket: t.bucket,
      gatewaySends: t.how,
      directSends: t.direct,
      providerCalls: rig.direct?.requests ?? 1,
      requestBytes: { gateway: gatewayRequestBytes(rig), direct: rig.direct?.bodyBytes ?? null },
      responseBytes: { gateway: o.samples[rig.provider]!.responseBytes.gateway, direct: rig.direct ? o.samples[rig.provider]!.responseBytes.direct : null },
      gateway: roundSummary(g.gateway),
      direct: g.direct ? roundSummary(g.direct) : null,
      workerAccessLogMs: g.worker ? roundSummary(g.worker) : null,
      ratio: g.ratio ? { p50: r4(g.ratio.p50), p95: r4(g.ratio.p95) } : null,
      addedMs: g.added ? { p50: r3(g.added.p50), p95: r3(g.added.p95) } : null,
      goalMet: g.met ?? null,
      samples: { gateway: o.samples[rig.provider]!.gateway.map(r3), direct: o.samples[rig.provider]!.direct.map(r3) },
    }
  }
  return {
    benchmark: 'delete-1000',
    config: {
      iterations: o.iterations,
      warmup: o.warmup,
      emulatorHost: o.emulatorHost,
      keys: DELETE_KEYS,
      providers: o.rigs.map((r) => r.provider),
      gatewayConcurrency: GATEWAY_CONCURRENCY,
      pdsDirect: `10 calls of 100, at most ${GATEWAY_CONCURRENCY} in flight (the gateway engine's default concurrency)`,
      seeding: 'the bucket is re-seeded with the 1,000 objects before every call and checked empty after it, outside the timed region',
      order: 'each round visits every provider (order rotating); per provider one gateway and one direct call, who goes first alternating',
      timing: 'client-side wall time per call, from building the request to the parsed answer; percentiles by linear interpolation',
    },
    providers,
    goal: {
      maxAdded: o.goalAdded,
      judgedOn: ['p50', 'p95'],
      met: o.figs.filter((g) => g.met === true).map((g) => g.provider),
      missed: o.figs.filter((g) => g.met === false).map((g) => g.provider),
      noComparison: o.figs.filter((g) => g.met === undefined).map((g) => g.provider),
    },
  }
}

/** The section at every batch size: how latency and the gateway's addition grow with the batch. */
export function printDeleteScaling(out: (s?: string) => void, bySize: ReadonlyArray<{ size: number; figs: readonly ProviderFigures[] }>): void {
  const providers = bySize[0]!.figs.map((f) => f.provider)
  const rows = (pick: (f: ProviderFigures) => number | undefined) =>
    providers.flatMap((p) => {
      const points = bySize.flatMap(({ size, figs }) => {
        const v = pick(figs.find((f) => f.provider === p)!)
        return v === undefined ? [] : [{ size, value: v }]
      })
      return points.length ? [{ label: p, points }] : []
    })
  out(`scaling  the same batches at ${bySize.map((b) => b.size.toLocaleString('en-US')).join(', ')} deletes`)
  out(`gateway p50, ms per call`)
  for (const l of scalingTable({ rows: rows((f) => f.gateway.p50), value: 'ms', unit: 1000, unitName: 'ops' })) out('  ' + l)
  out(`direct p50, ms per call`)
  for (const l of scalingTable({ rows: rows((f) => f.direct?.p50), value: 'ms', unit: 1000, unitName: 'ops' })) out('  ' + l)
  out(`added by the gateway, p50 ms (gateway − direct) and ratio`)
  const w = 8
  out(`  ${''.padEnd(9)}${bySize.map((b) => `${b.size} ops`.padStart(w * 2 + 2)).join('')}`)
  for (const p of providers) {
    const cells = bySize.map(({ figs }) => {
      const f = figs.find((x) => x.provider === p)!
      return f.added ? `${f.added.p50.toFixed(2).padStart(w)} ${(f.ratio!.p50.toFixed(2) + '×').padStart(w)} ` : '–'.padStart(w * 2 + 2)
    })
    out(`  ${p.padEnd(9)}${cells.join('')}`)
  }
}

export function deleteScalingJson(bySize: ReadonlyArray<{ size: number; figs: readonly ProviderFigures[] }>) {
  const providers = bySize[0]!.figs.map((f) => f.provider)
  return Object.fromEntries(
    providers.map((p) => {
      const at = (size: number) => bySize.find((b) => b.size === size)!.figs.find((f) => f.provider === p)!
      const series = (pick: (f: ProviderFigures) => number | undefined) =>
        bySize.flatMap(({ size }) => {
          const v = pick(at(size))
          return v === undefined ? [] : [{ size, value: v }]
        })
      return [
        p,
        {
          gatewayP50Ms: scalingJson(series((f) => f.gateway.p50), 1000),
          directP50Ms: series((f) => f.direct?.p50).length ? scalingJson(series((f) => f.direct?.p50), 1000) : null,
          addedP50Ms: bySize.map(({ size }) => ({ size, ms: at(size).added ? r3(at(size).added!.p50) : null, ratio: at(size).ratio ? r4(at(size).ratio!.p50) : null })),
        },
      ]
    }),
  )
}
