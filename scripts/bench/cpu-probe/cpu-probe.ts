/**
 * The Worker's own CPU per batch, by phase, timed inside workerd without HTTP (probe-worker.ts):
 * for each provider and batch size, what reading, validating, checking, planning/signing/serialising/
 * parsing (the engine with its adapter, on canned provider answers) and answering cost, and the
 * cost per 1,000 operations between the smallest and the largest batch — the figure the issue's
 * "under 2 ms of CPU per 1,000 operations" asks for. The probe is bundled with esbuild (the
 * bundler wrangler itself runs) and loaded by Miniflare at wrangler.toml's compatibility date.
 */
import { readFile, rm, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from 'miniflare'
import { deleteKeys, TARGET, type DeleteProvider } from '../delete.ts'
import { PHASES, type Phase, type ProbeAnswer, type ProbeRequest } from './probe-types.ts'

export type ProbeProvider = ProbeRequest['provider']
export const PROBE_PHASES = ['read', 'validate', 'check', 'run', 'answer'] as const

export const PHASE_LABELS: Record<(typeof PROBE_PHASES)[number], string> = {
  read: 'body decoded + JSON.parse',
  validate: 'validation (fast pass)',
  check: 'provider checks',
  run: 'engine: plan, build + sign, send, parse, results',
  answer: 'JSON answer',
}

export interface ProbeCase {
  provider: ProbeProvider
  size: number
  /** ms per batch by phase, and `total` (every phase in one loop). */
  ms: Record<Phase, number>
  /** Calls each phase's loop made. */
  calls: Record<Phase, number>
}

export interface ProbeResult {
  cases: ProbeCase[]
  /** Per provider: (total at the largest size − total at the smallest) ÷ the extra ops × 1,000. */
  perThousand: Partial<Record<ProbeProvider, number>>
  minLoopMs: number
  repeats: number
}

async function compatibilityDate(root: string): Promise<string> {
  const m = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(await readFile(join(root, 'wrangler.toml'), 'utf8'))
  if (!m) throw new Error('wrangler.toml has no compatibility_date')
  return m[1]!
}

export async function runCpuProbe(o: {
  root: string
  providers: readonly ProbeProvider[]
  sizes: readonly number[]
  /** Account settings by provider (the bench's own; endpoints are never called). */
  settings: Partial<Record<ProbeProvider, Record<string, unknown>>>
  minLoopMs: number
  /** Loops per figure; the median is kept. */
  repeats: number
  log: (s: string) => void
}): Promise<ProbeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'batchgate-probe-'))
  let mf: Miniflare | undefined
  try {
    const out = join(dir, 'probe.js')
    await build({
      entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'probe-worker.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2024',
      conditions: ['workerd', 'worker', 'browser'],
      // The runtime's own modules, which workerd provides.
      external: ['cloudflare:*'],
      outfile: out,
      logLevel: 'silent',
    })
    mf = new Miniflare(convertV4MiniflareOptions({
      modules: [{ type: 'ESModule', path: out }],
      // Module names are paths relative to this root; the bundle lives in a temp dir outside cwd.
      modulesRoot: dir,
      compatibilityDate: await compatibilityDate(o.root),
      log: new Log(LogLevel.WARN),
      // No Request.cf download (there is no internet, and the probe reads none of it).
      cf: false,
    }))
    const cases: ProbeCase[] = []
    const perThousand: ProbeResult['perThousand'] = {}
    for (const provider of o.providers) {
      const settings = o.settings[provider]
      if (!settings) continue
      o.log(`  cpu probe: ${provider}, ${o.sizes.join('/')} ops ...\n`)
      const bucket = TARGET[provider as DeleteProvider].bucket
      for (const size of o.sizes) {
        const operations = deleteKeys(provider as DeleteProvider, size).map((key) => ({ op: 'delete', bucket, key }))
        const body = JSON.stringify({ account: 'probe', operations })
        const ms = {} as Record<Phase, number>
        const calls = {} as Record<Phase, number>
        for (const phase of PHASES) {
          // Several loops, the median kept: one loop can meet a pause of the machine's.
          const runs: ProbeAnswer[] = []
          for (let i = 0; i < o.repeats; i++) {
            const req: ProbeRequest = { provider, settings, body, phase, minLoopMs: o.minLoopMs }
            const res = await mf.dispatchFetch('http://probe/', { method: 'POST', body: JSON.stringify(req) })
            const text = await res.text()
            if (!res.ok) throw new Error(`cpu probe ${provider} ${size} ${phase}: ${text}`)
            runs.push(JSON.parse(text) as ProbeAnswer)
          }
          runs.sort((a, b) => a.ms - b.ms)
          const median = runs[Math.floor(runs.length / 2)]!
          ms[phase] = median.ms
          calls[phase] = median.calls
        }
        cases.push({ provider, size, ms, calls })
      }
      const mine = cases.filter((c) => c.provider === provider)
      const small = mine[0]!
      const large = mine[mine.length - 1]!
      perThousand[provider] = ((large.ms.total - small.ms.total) / (large.size - small.size)) * 1000
    }
    return { cases, perThousand, minLoopMs: o.minLoopMs, repeats: o.repeats }
  } finally {
    await mf?.dispose()
    await rm(dir, { recursive: true, force: true })
  }
}
