/**
 * Where workerd's CPU goes while a delete job runs (--breakdown): a V8 CPU profile of the Worker's
 * isolate (the Worker, its queue consumer and its Durable Objects share it), each sample given to
 * the first phase any frame of its stack matches, and the functions with the most self time.
 */
import { readFile } from 'node:fs/promises'
import { classifier, type CpuProfile, type Phase } from './profile.ts'

/**
 * Phases of a chunk's life in the Worker (profile.ts classifier: the innermost matching frame
 * decides, so a sample under the consumer's DeleteObjects signing counts as signing, not as the
 * consumer in general). Names are the functions' own (esbuild may suffix a digit).
 */
export const JOB_PHASES: Phase[] = [
  { label: 'GC', names: /^\(garbage collector\)$/ },
  { label: 'consumer: manifest rows parsed (parseManifestRecords)', names: /^(parseManifestRecords|readRecord|fieldEnd|toTask|percentDecode)\d*$/ },
  { label: 'consumer: rows → operations (taskOperation)', names: /^taskOperation\d*$/ },
  { label: 'consumer: DeleteObjects XML body (buildXml)', names: /^(multiDeleteXml|buildXml|escapeXml)\d*$/ },
  { label: 'consumer: Content-MD5 + SigV4 (digest, HMAC)', names: /^(md5|md5Base64|md5Hex|sha256|sha256Hex|hmac|hmacKey|digest|signV4|signingKey|deriveSigningKey|canonical\w*|uriEncode|buildRestRequest)\d*$/ },
  { label: 'consumer: DeleteObjects answer parsed (XML)', names: /^(parseErrorDocument|unescapeXml|parseXml|readTagExp|prettify|compress)\d*$/ },
  { label: 'consumer: report lines (reportCsvRow)', names: /^(reportCsvRow|encodeReportKey|csvField)\d*$/ },
  { label: 'consumer: engine (plan, outcomes per key, fetch)', names: /^(executeOperations|plan|multiDelete|sendRest|slot|restErrorOutcome)\d*$/ },
  { label: 'consumer: runTasks/runChunk own (results by row, line strings)', names: /^(runTasks|runChunk|handleChunkBatch)\d*$/ },
  { label: 'job object: completeChunk (counters, chunk row with report lines)', names: /^completeChunk\d*$/ },
  { label: 'job object: beginChunk', names: /^beginChunk\d*$/ },
  { label: 'job object: preparation (prepareStep, RecordScanner)', names: /^(prepareStep|prepare|RecordScanner)\d*$/ },
  { label: 'job object: report built and written (buildReport)', names: /^(buildReport|splitLines)\d*$/ },
  { label: 'job object: alarm, settle, pump, account scheduler', names: /^(alarm|settle|pump|arm|transition|sync|scheduler|redriveExpired|poke|index|put|leave)\d*$/ },
  { label: 'API: GET /v1/jobs/{id} polls (describe)', names: /^(describe|describeJob|progressOf)\d*$/ },
]

export interface JobCpuAttribution {
  /** Milliseconds of CPU per phase over the profiled run. */
  rows: Array<{ label: string; ms: number }>
  /** JS + GC + native ms (idle excluded). */
  totalMs: number
  /** Self time of the busiest functions. */
  top: Array<{ fn: string; ms: number }>
  profiledMs: number
  capUs: number
}

/**
 * Like profile.ts's attribute() (innermost matching frame; each sample's weight capped at 3× the
 * median interval, so waits for I/O do not count as CPU), in milliseconds for the whole run, plus
 * the top self-time functions.
 */
export async function attributeJob(profile: CpuProfile, bundlePath: string, phases: readonly Phase[] = JOB_PHASES, topN = 12): Promise<JobCpuAttribution> {
  const lines = (await readFile(bundlePath, 'utf8')).split('\n')
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const classify = classifier(profile, lines, phases)
  const deltas = profile.timeDeltas
  const sorted = deltas.slice(1).sort((a, b) => a - b)
  const capUs = 3 * (sorted[Math.floor(sorted.length / 2)] ?? 100)
  const totals = new Array<number>(phases.length).fill(0)
  let other = 0
  let program = 0
  const self = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const us = Math.min(deltas[i + 1] ?? 0, capUs)
    const id = profile.samples[i]!
    const phase = classify(id)
    if (phase === -2) continue
    if (phase === -3) program += us
    else if (phase >= 0) totals[phase]! += us
    else other += us
    const f = byId.get(id)!.callFrame
    const name = `${f.functionName || '(anonymous)'}${f.url ? ` :${f.lineNumber + 1}` : ''}`
    self.set(name, (self.get(name) ?? 0) + us)
  }
  const ms = (us: number) => Math.round(us / 10) / 100
  const rows = phases.map((p, i) => ({ label: p.label, ms: ms(totals[i]!) }))
  rows.push({ label: 'other JS (Hono, RPC glue, runtime APIs)', ms: ms(other) })
  rows.push({ label: 'native, outside JS ((program))', ms: ms(program) })
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([fn, us]) => ({ fn, ms: ms(us) }))
  return {
    rows,
    totalMs: Math.round(rows.reduce((s, r) => s + r.ms, 0) * 100) / 100,
    top,
    profiledMs: Math.round((profile.endTime - profile.startTime) / 10) / 100,
    capUs,
  }
}
