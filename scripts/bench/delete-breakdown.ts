/**
 * `--breakdown` for the delete section: where the gateway's time goes, per provider (the CPU inside
 * workerd by phase is measured by default, sync-cpu.ts):
 *
 * End to end, interleaved, against two upstreams: the real emulators and an instant fake that
 *    answers at once — `{code: 200}` per op of a Qiniu /batch, the emulator's own answer bytes for
 *    an S3/OSS multi-delete (captured from a direct call), `{responses: [{id, status: 204}, ...]}`
 *    for PDS /v2/batch — with no auth, no store. One delete through the gateway to the fake gives
 *    the per-call floor, and the Worker's access log splits the rest into inside and outside it. direct→emulator − direct→fake is the emulator's own work;
 *    gateway→fake − direct→fake is what the gateway itself adds. GET /healthz gives the price of
 *    one HTTP round trip into workerd.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { checkGatewayDeletes, gatewayAccounts, TARGET, type ProviderRig } from './delete.ts'
import type { CallResult } from './direct.ts'
import type { EmulatorKind } from './emulators.ts'
import { startGateway, type Gateway } from './gateway.ts'
import { quantile } from './stats.ts'

const median = (xs: readonly number[]) => quantile([...xs].sort((a, b) => a - b), 0.5)
const r2 = (x: number) => Math.round(x * 100) / 100
export interface DeleteBreakdown {
  rounds: number
  /** Medians (ms) per provider; direct and fake figures are absent for r2. */
  endToEnd: Record<string, Record<string, number>>
  httpHopMs: number
  notes: string[]
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The instant upstream: `{code: 200}` for every op of a Qiniu /batch, 204 for every PDS child
 * (matched by id), and the captured emulator answer for an S3/OSS multi-delete (by bucket).
 */
async function startFake(host: string, byBucket: Map<string, CallResult>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://fake')
      let status = 404
      let type = 'application/json'
      let text = '{"error":"no such fake route"}'
      if (url.pathname === '/batch') {
        status = 200
        text = JSON.stringify(new URLSearchParams(body).getAll('op').map(() => ({ code: 200 })))
      } else if (url.pathname === '/v2/batch') {
        const requests = (JSON.parse(body) as { requests: Array<{ id: string }> }).requests
        status = 200
        text = JSON.stringify({ responses: requests.map((r) => ({ id: r.id, status: 204 })) })
      } else if (url.searchParams.has('delete')) {
        const reply = byBucket.get(decodeURIComponent(url.pathname.split('/')[1] ?? ''))
        if (reply) ({ status, text, type } = { status: reply.status!, text: reply.text!, type: 'application/xml' })
      }
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(text)) })
      res.end(text)
    })
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, server }
}

export async function runDeleteBreakdown(o: {
  root: string
  script: string
  host: string
  qiniuAccessKey: string
  qiniuSecretKey: string
  rigs: readonly ProviderRig[]
  urls: Partial<Record<EmulatorKind, string>>
  /** The gateway the section measured (against the emulators). */
  gateway: Gateway
  rounds: number
  log: (s: string) => void
}): Promise<DeleteBreakdown> {
  // The object stores' answers to the multi-delete, for the fake to replay.
  const byBucket = new Map<string, CallResult>()
  for (const rig of o.rigs) {
    if (!rig.direct || !['s3', 'ctyun', 'oss'].includes(rig.provider)) continue
    await rig.seed()
    const r = await rig.direct.call()
    if (r.problems.length) throw new Error(`${rig.provider} direct call: ${r.problems.join('; ')}`)
    byBucket.set(TARGET[rig.provider].bucket, r)
  }
  const fake = await startFake(o.host, byBucket)
  let viaFake: Gateway | undefined
  try {
    viaFake = await startGateway({
      root: o.root,
      script: o.script,
      qiniuEndpoint: fake.url,
      accessKey: o.qiniuAccessKey,
      secretKey: o.qiniuSecretKey,
      accounts: gatewayAccounts({ s3: fake.url, oss: fake.url, pds: fake.url }),
    })
    const vf = viaFake
    const health = `${o.gateway.url}/healthz`
    type Kind = 'gateway → emulator' | 'direct  → emulator' | 'gateway → fake' | 'direct  → fake' | 'gateway → fake, 1 op'
    const KINDS: Kind[] = ['gateway → emulator', 'direct  → emulator', 'gateway → fake', 'direct  → fake', 'gateway → fake, 1 op']
    const times: Record<string, Record<Kind, number[]>> = Object.fromEntries(
      o.rigs.map((r) => [r.provider, Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>]),
    )
    const hop: number[] = []
    const fakeIds: Record<string, string[]> = Object.fromEntries(o.rigs.map((r) => [r.provider, []]))
    const toFake = new Map(o.rigs.map((r) => [r.provider, r.directTo(fake.url)]))
    const warm = 2
    for (let i = 0; i < warm + o.rounds; i++) {
      for (let j = 0; j < o.rigs.length; j++) {
        const rig = o.rigs[(i + j) % o.rigs.length]!
        const account = TARGET[rig.provider].account
        for (let k = 0; k < KINDS.length; k++) {
          const kind = KINDS[(i + k) % KINDS.length]!
          if (kind !== 'gateway → emulator' && !rig.direct) continue
          let r: CallResult
          if (kind === 'gateway → emulator') {
            await rig.seed()
            const g = await o.gateway.batch(account, rig.operations)
            r = { ...g, problems: checkGatewayDeletes(g) }
          } else if (kind === 'direct  → emulator') {
            await rig.seed()
            r = await rig.direct!.call()
          } else if (kind === 'gateway → fake') {
            const requestId = `breakdown-${rig.provider}-${i}`
            const g = await vf.batch(account, rig.operations, { requestId })
            r = { ...g, problems: checkGatewayDeletes(g) }
            if (i >= warm) fakeIds[rig.provider]!.push(requestId)
          } else if (kind === 'gateway → fake, 1 op') {
            const g = await vf.batch(account, rig.operations.slice(0, 1))
            r = { ...g, problems: checkGatewayDeletes(g) }
          } else r = await toFake.get(rig.provider)!.call()
          if (r.problems.length) throw new Error(`${rig.provider}, ${kind.replace(/\s+/g, ' ')}: ${r.problems.join('; ')}`)
          if (i >= warm) times[rig.provider]![kind].push(r.ms)
        }
      }
      const t0 = performance.now()
      const res = await fetch(health)
      await res.text()
      if (i >= warm) hop.push(performance.now() - t0)
      if ((i + 1) % 5 === 0) o.log(`  breakdown end to end ${i + 1}/${warm + o.rounds}\n`)
    }
    // The Worker's log lines arrive through workerd's stdout a moment after the answers.
    await new Promise((r) => setTimeout(r, 200))
    const endToEnd: DeleteBreakdown['endToEnd'] = {}
    for (const rig of o.rigs) {
      const t = times[rig.provider]!
      const m = Object.fromEntries(KINDS.filter((k) => t[k].length).map((k) => [k, r2(median(t[k]))]))
      if (rig.direct) {
        m["emulator's own work"] = r2(m['direct  → emulator']! - m['direct  → fake']!)
        m['gateway adds (fake)'] = r2(m['gateway → fake']! - m['direct  → fake']!)
        m['gateway adds (emulator)'] = r2(m['gateway → emulator']! - m['direct  → emulator']!)
        m['gateway, the other 999 ops'] = r2(m['gateway → fake']! - m['gateway → fake, 1 op']!)
        const logged = fakeIds[rig.provider]!.flatMap((id) => vf.workerMsById.get(id) ?? [])
        if (logged.length) {
          m['worker log (fake)'] = r2(median(logged))
          m['outside the Worker (fake)'] = r2(m['gateway → fake']! - m['worker log (fake)'])
        }
      }
      endToEnd[rig.provider] = m
    }
    await viaFake.close()
    viaFake = undefined
    return {
      rounds: o.rounds,
      endToEnd,
      httpHopMs: r2(median(hop)),
      notes: [`fake upstream: answers at once, {code: 200} per Qiniu op, the emulator's own (empty, Quiet) S3/OSS multi-delete answer, 204 per PDS child; no auth, no store`],
    }
  } finally {
    await viaFake?.close().catch(() => {})
    await new Promise<void>((resolve) => {
      fake.server.close(() => resolve())
      fake.server.closeAllConnections()
    })
  }
}

/** The breakdown as text: end-to-end medians, then CPU by phase, one column per provider. */
export function formatDeleteBreakdown(b: DeleteBreakdown): string[] {
  const lines: string[] = []
  const providers = Object.keys(b.endToEnd)
  const cols: Array<[string, string]> = [
    ['gateway → emulator', 'gw→emu'],
    ['direct  → emulator', 'dir→emu'],
    ['gateway → fake', 'gw→fake'],
    ['direct  → fake', 'dir→fake'],
    ['gateway → fake, 1 op', 'gw 1 op'],
    ["emulator's own work", 'emulator'],
    ['gateway adds (fake)', '+gw fake'],
    ['gateway adds (emulator)', '+gw emu'],
    ['gateway, the other 999 ops', 'gw 999'],
    ['worker log (fake)', 'log fake'],
    ['outside the Worker (fake)', 'outside'],
  ]
  const cell = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(2)).padStart(9)
  lines.push(`breakdown  where the gateway's time goes in the delete batch (medians of ${b.rounds} rounds, ms)`)
  lines.push(`${''.padEnd(8)}${cols.map(([, h]) => h.padStart(9)).join('')}`)
  for (const p of providers) lines.push(`${p.padEnd(8)}${cols.map(([k]) => cell(b.endToEnd[p]![k])).join('')}`)
  lines.push(`  emulator = dir→emu − dir→fake: the emulator's own work; +gw fake = gw→fake − dir→fake: what the gateway itself adds;`)
  lines.push(`  +gw emu = gw→emu − dir→emu: added as measured; gw 1 op: one delete through the gateway (fake upstream), the per-call floor;`)
  lines.push(`  gw 999 = gw→fake − gw 1 op: what the other 999 operations cost the gateway; log fake: the Worker's access-log ms of`)
  lines.push(`  gw→fake; outside = gw→fake − log fake: the HTTP hop into workerd with both bodies, the client's JSON, and the Worker's CPU`)
  lines.push(`  after its last I/O (workerd's clock only moves on I/O)`)
  lines.push(`  GET /healthz, one HTTP round trip into workerd: ${b.httpHopMs.toFixed(2)} ms`)
  for (const n of b.notes) lines.push(`  - ${n}`)
  return lines
}
