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
  /**
   * Only the frame's own time: it matches where it is the sample's leaf or only native frames
   * (builtins such as JSON.parse, runtime APIs) lie below it — for a frame that also calls on into
   * the rest of the request (validateJson's `await next()` runs the route inside it).
   */
  self?: boolean
}

/**
 * Which phase each profile node's samples belong to: walking from the sample's leaf towards the
 * root, the innermost frame that some phase matches decides (among phases matching that same
 * frame, the earliest listed) — so time goes to the most specific code, and a wrapper such as
 * the engine or a middleware gets only what no phase inside it claims. -1: no phase; -2: idle;
 * -3: (program), native work outside JS.
 */
export function classifier(profile: CpuProfile, bundleLines: readonly string[], phases: readonly Phase[]): (id: number) => number {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const frameMatches = (f: CallFrame, p: Phase) =>
    (p.names?.test(f.functionName) ?? false) || (p.line !== undefined && f.url !== '' && p.line.test(bundleLines[f.lineNumber] ?? ''))
  const phaseOf = new Map<number, number>()
  return (id: number): number => {
    const cached = phaseOf.get(id)
    if (cached !== undefined) return cached
    const leaf = byId.get(id)!.callFrame.functionName
    let found = leaf === '(idle)' ? -2 : leaf === '(program)' ? -3 : -1
    // Only native frames so far (the leaf included): a `self` phase may still claim the next frame.
    let nativeBelow = true
    for (let x: number | undefined = id; found === -1 && x !== undefined; x = parent.get(x)) {
      const f = byId.get(x)!.callFrame
      const onlyNativeBelow = nativeBelow
      found = phases.findIndex((p) => (!p.self || x === id || onlyNativeBelow) && frameMatches(f, p))
      if (f.url !== '' || f.functionName === '(garbage collector)') nativeBelow = false
    }
    phaseOf.set(id, found)
    return found
  }
}

/**
 * The phases of a POST /v1/batch on any provider (see {@link classifier}: the innermost matching
 * frame decides, so the HMAC under buildQiniuBatchRequest counts as signing, and the builder's own
 * frames as the form body). Names are the functions' own (esbuild may suffix a digit).
 */
export const PHASES: Phase[] = [
  { label: 'GC', names: /^\(garbage collector\)$/ },
  { label: 'auth (SHA-256 of the API key)', names: /^(auth|authenticate|sha256Hex|sha256)\d*$/ },
  { label: 'rate limit (per key)', names: /^(rateLimit|limit)\d*$/ },
  { label: 'access log', names: /^accessLog\d*$/ },
  // validateJson runs the route inside its `await next()`: only its own frames (reading the body,
  // JSON.parse, a builtin whose time shows as the caller's) are this phase.
  { label: 'request body read + JSON.parse', names: /^validateJson\d*$/, self: true },
  // esbuild's __name(arrow, 'utf8Length') leaves the arrow anonymous for V8, so match its line.
  { label: 'request validation (fast pass; zod for the rest)', names: /^(parseWith|illFormedStrings|utf8Length|fastBatchRequest|isOperations|isOperation|isDestination|isArgument|isObj|isBucket|isKey|isProviderId|isInt)\d*$/, line: /\butf8Length\d* = .*__name\(/ },
  { label: 'planBatch: account + per-op provider checks', names: /^(planBatch|checkQiniuOperation|checkRestOperation|checkPdsOperation|checkKeyDestination|resolveAccount|lookupAccount|accounts|hasDotSegment)\d*$/ },
  { label: 'signature (canonical request, HMAC)', names: /^(signV4|signingKey|canonicalRequest|canonicalHeaders|canonicalQuery|canonicalUriPath|uriEncode|signHmacSha1Header|headerStringToSign|canonicalPrefixedHeaders|canonicalSubresources|s3V2Resource|ossV1Resource|signQiniuV2|signQbox|qiniuSign|qiniuV2SigningString|qboxSigningString|hmac|hmacKey)\d*$/ },
  { label: 'Content-MD5 of the XML body', names: /^(md5Base64|md5)\d*$/ },
  { label: 'multi-delete XML', names: /^(multiDeleteXml|buildXml|escapeXml)\d*$/ },
  { label: 'Qiniu op paths (EncodedEntryURI) + form body', names: /^(qiniuOpPath|encodedEntryURI|encodeBase64UrlString|utf8ToBase64Url|buildQiniuBatchRequest)\d*$/ },
  { label: 'PDS child requests + JSON body', names: /^(buildPdsBatchRequest|writeRequests|subRequest)\d*$/ },
  { label: 'REST request built and sent (sendRest, fetch)', names: /^(buildRestRequest|sendRest)\d*$/ },
  { label: 'provider answer parsed', names: /^(parseAnswers|safeJson|parseErrorDocument|multiDelete|outcomeOf|pdsOutcome|qiniuOutcome|normaliseQiniuStat|settleRetries|settlePdsRetries|parseXml)\d*$/ },
  { label: 'R2 binding calls', names: /^(runDelete|r2Call)\d*$/ },
  { label: 'engine: plan, run, outcomes → results', names: /^(executeOperations|mapBounded|runCall|toResult|summarise|plan|runBatch)\d*$/ },
  { label: 'answer: JSON.stringify of the results', line: /json = .*__name\(\(object\d*, arg, headers\) =>/ },
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
  const classify = classifier(profile, lines, phases)

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
    else if (phase === -3) program += us
    else other += us
  }
  const perCall = (us: number) => Math.round((us / 1000 / calls) * 100) / 100
  const rows = phases.map((p, i) => ({ label: p.label, value: perCall(totals[i]!) }))
  rows.push({ label: 'other JS (Hono, middleware, engine, runtime APIs)', value: perCall(other) })
  rows.push({ label: 'native, outside JS ((program))', value: perCall(program) })
  const totalMs = rows.reduce((s, r) => s + r.value, 0)
  return { rows, totalMs: Math.round(totalMs * 100) / 100, calls, capUs }
}
