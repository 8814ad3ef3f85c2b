/**
 * A V8 CPU profile of the Worker, taken inside workerd through its DevTools inspector (Chrome
 * DevTools Protocol over WebSocket), and its samples attributed to the phases of a batch call.
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { openInspector } from './inspector.ts'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/** A free TCP port on loopback (closed again before use; fine for a local tool). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** Profiles the user Worker (workerd target `core:user:…`) while `run` runs. */
export async function profileWorker(inspectorPort: number, run: () => Promise<void>, intervalUs = 100): Promise<CpuProfile> {
  const session = await openInspector(inspectorPort)
  try {
    await session.send('Profiler.enable')
    await session.send('Profiler.setSamplingInterval', { interval: intervalUs })
    await session.send('Profiler.start')
    await run()
    const { profile } = await session.send<{ profile: CpuProfile }>('Profiler.stop')
    return profile
  } finally {
    session.close()
  }
}

export interface Phase {
  label: string
  /** Matches a frame by its function name (esbuild may suffix a digit) or by its source line. */
  names?: RegExp
  line?: RegExp
}

/**
 * The phases of a POST /v1/batch, highest priority first: a sample goes to the first phase that any
 * frame of its stack matches (so the HMAC under buildQiniuBatchRequest counts as signing, and
 * the builder's own frames as the form body).
 */
export const PHASES: Phase[] = [
  { label: 'GC', names: /^\(garbage collector\)$/ },
  { label: 'planBatch: account lookup + per-op checks', names: /^(planBatch|checkQiniuOperation|resolveAccount|lookupAccount)\d*$/ },
  { label: 'op paths: qiniuOpPath (EncodedEntryURI, base64)', names: /^qiniuOpPath\d*$/ },
  { label: 'HMAC signature', names: /^(signQiniuV2|signQbox|qiniuSign|hmac|hmacKey)\d*$/ },
  // The builder's own time is the one-pass `op=` + encodeURIComponent string build.
  { label: 'form body: op=… string build', names: /^buildQiniuBatchRequest\d*$/ },
  // esbuild's __name(arrow, 'utf8Length') leaves the arrow anonymous for V8, so match its line.
  { label: 'zod: utf8Length (counted from UTF-16 code units)', names: /^utf8Length\d*$/, line: /\butf8Length\d* = .*__name\(/ },
  { label: 'zod validation of the request (rest)', names: /^parseWith\d*$/ },
  { label: 'request body read + JSON.parse (validateJson, once)', names: /^validateJson\d*$/ },
  { label: 'answer: JSON.parse of the Qiniu reply', names: /^(parseAnswers|safeJson)\d*$/ },
  { label: 'answer: codes → results (stat normalised)', names: /^(qiniuOutcome|normaliseQiniuStat|toResult|summarise)\d*$/ },
  { label: 'answer: c.json (JSON.stringify)', line: /json = .*__name\(\(object\d*, arg, headers\) =>/ },
  { label: 'auth (SHA-256 of the API key)', names: /^(authenticate|sha256Hex|sha256)\d*$/ },
]

export interface Attribution {
  /** Per call, ms. */
  rows: Array<{ label: string; value: number }>
  /** JS + GC time of the Worker per call (excluding idle), ms. */
  totalMs: number
  calls: number
  /** The gap cap used, µs (see below). */
  capUs: number
}

/**
 * Per-call ms of each phase. V8 takes no samples while the isolate waits for I/O, and charges the
 * whole gap to the next sample; so each sample's weight is capped at 3× the median interval, which
 * keeps waits (e.g. for the upstream's answer) out of the CPU figures.
 */
export async function attribute(profile: CpuProfile, bundlePath: string, calls: number, phases: readonly Phase[] = PHASES): Promise<Attribution> {
  const lines = (await readFile(bundlePath, 'utf8')).split('\n')
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

  const phaseOf = new Map<number, number>() // node id → phase index (-1: other, -2: idle)
  const frameMatches = (f: CallFrame, p: Phase) =>
    (p.names?.test(f.functionName) ?? false) || (p.line !== undefined && f.url !== '' && p.line.test(lines[f.lineNumber] ?? ''))
  const classify = (id: number): number => {
    const cached = phaseOf.get(id)
    if (cached !== undefined) return cached
    const leaf = byId.get(id)!.callFrame.functionName
    let best = leaf === '(idle)' ? -2 : -1
    if (best === -1) {
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
        const f = byId.get(x)!.callFrame
        phases.forEach((p, i) => {
          if ((best === -1 || i < best) && frameMatches(f, p)) best = i
        })
      }
    }
    phaseOf.set(id, best)
    return best
  }

  const deltas = profile.timeDeltas
  const sortedDeltas = deltas.slice(1).sort((a, b) => a - b)
  const capUs = 3 * (sortedDeltas[Math.floor(sortedDeltas.length / 2)] ?? 100)
  const totals = new Array<number>(phases.length).fill(0)
  let other = 0
  let program = 0
  for (let i = 0; i < profile.samples.length; i++) {
    // deltas[i + 1] is the time from this sample to the next: how long this state lasted.
    const us = Math.min(deltas[i + 1] ?? 0, capUs)
    const id = profile.samples[i]!
    const phase = classify(id)
    if (phase === -2) continue
    if (phase >= 0) totals[phase]! += us
    else if (byId.get(id)!.callFrame.functionName === '(program)') program += us
    else other += us
  }
  const perCall = (us: number) => Math.round((us / 1000 / calls) * 100) / 100
  const rows = phases.map((p, i) => ({ label: p.label, value: perCall(totals[i]!) }))
  rows.push({ label: 'other JS (Hono, middleware, engine, runtime APIs)', value: perCall(other) })
  rows.push({ label: 'native, outside JS ((program))', value: perCall(program) })
  const totalMs = rows.reduce((s, r) => s + r.value, 0)
  return { rows, totalMs: Math.round(totalMs * 100) / 100, calls, capUs }
}
