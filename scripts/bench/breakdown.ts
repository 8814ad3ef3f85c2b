/**
 * `--breakdown`: where the gateway's time goes, for whoever tunes it.
 *
 * 1. End to end, interleaved, against two upstreams: the real emulator and an instant fake that
 *    answers every /batch with the emulator's own answer bytes (no auth, no parsing, no store).
 *    The difference between the two direct calls is the emulator's own work; the gateway's call to
 *    the fake minus the direct call to the fake is what the gateway itself adds. A GET /healthz
 *    gives the price of one HTTP round trip into workerd (through Miniflare's entry worker).
 * 2. Inside workerd: a V8 CPU profile of the Worker (DevTools inspector) over a series of calls
 *    against the emulator, its samples attributed to the phases of a batch call (profile.ts).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDirectClient, type CallResult } from './direct.ts'
import { startGateway, type Gateway } from './gateway.ts'
import { attribute, freePort, profileWorker } from './profile.ts'
import { quantile } from './stats.ts'
import type { Workload } from './workload.ts'

export interface Bar {
  label: string
  value: number
  note?: string
}

export interface Breakdown {
  iterations: number
  /** Medians of end-to-end calls (ms). */
  endToEnd: Bar[]
  profileCalls: number
  /** CPU ms per call of each phase inside workerd. */
  cpu: Bar[]
  cpuTotalMs: number
  derived: Record<string, number>
  notes: string[]
}

const median = (xs: readonly number[]) => quantile([...xs].sort((a, b) => a - b), 0.5)
const r2 = (x: number) => Math.round(x * 100) / 100

/** An upstream that answers every request at once with fixed bytes (reads the body first). */
async function startFakeUpstream(host: string, status: number, body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) })
      res.end(body)
    })
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, server }
}

export async function runBreakdown(opts: {
  root: string
  script: string
  emulatorUrl: string
  accessKey: string
  secretKey: string
  workload: Workload
  iterations: number
  log: (s: string) => void
}): Promise<Breakdown> {
  const { workload, accessKey, secretKey } = opts
  const host = new URL(opts.emulatorUrl).hostname
  const common = { accessKey, secretKey, operations: workload.operations }

  // The emulator's answer to this batch, replayed by the fake.
  const toEmulator = createDirectClient({ ...common, url: opts.emulatorUrl, expectedCodes: workload.expectedDirectCodes })
  const sample = await toEmulator.call()
  if (sample.problems.length) throw new Error(`direct call failed: ${sample.problems.join('; ')}`)
  const fake = await startFakeUpstream(host, sample.status!, sample.text!)
  const toFake = createDirectClient({ ...common, url: fake.url, expectedCodes: workload.expectedDirectCodes })

  let viaEmulator: Gateway | undefined
  let viaFake: Gateway | undefined
  let profiled: Gateway | undefined
  try {
    viaEmulator = await startGateway({ ...common, root: opts.root, script: opts.script, qiniuEndpoint: opts.emulatorUrl })
    viaFake = await startGateway({ ...common, root: opts.root, script: opts.script, qiniuEndpoint: fake.url })
    const health = `${viaEmulator.url}/healthz`

    const kinds = {
      'gateway → emulator': () => viaEmulator!.call(),
      'direct  → emulator': () => toEmulator.call(),
      'gateway → fake upstream': () => viaFake!.call(),
      'direct  → fake upstream': () => toFake.call(),
      'GET /healthz (one hop)': async (): Promise<CallResult> => {
        const t0 = performance.now()
        const res = await fetch(health)
        await res.text()
        return { ms: performance.now() - t0, problems: res.ok ? [] : [`HTTP ${res.status}`] }
      },
    }
    const names = Object.keys(kinds) as Array<keyof typeof kinds>
    const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof typeof kinds, number[]>
    const warm = 3
    for (let i = 0; i < warm + opts.iterations; i++) {
      // Rotate the order every iteration.
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length]!
        const r = await kinds[name]()
        if (r.problems.length) throw new Error(`${name}: ${r.problems.join('; ')}`)
        if (i >= warm) times[name].push(r.ms)
      }
      if ((i + 1) % 10 === 0) opts.log(`  breakdown end to end ${i + 1}/${warm + opts.iterations}\n`)
    }
    const m = Object.fromEntries(names.map((n) => [n, median(times[n])])) as Record<keyof typeof kinds, number>
    const workerLogFake = median(viaFake.workerMs.slice(-opts.iterations))
    const workerLogEmu = median(viaEmulator.workerMs.slice(-opts.iterations))

    await viaFake.close()
    viaFake = undefined
    await viaEmulator.close()
    viaEmulator = undefined

    // ---------------------------------------------------------------- CPU profile inside workerd
    opts.log(`  breakdown: CPU profile of the Worker in workerd over ${PROFILE_CALLS} calls ...\n`)
    const inspectorPort = await freePort()
    profiled = await startGateway({ ...common, root: opts.root, script: opts.script, qiniuEndpoint: opts.emulatorUrl, inspectorPort })
    for (let i = 0; i < 5; i++) await profiled.call()
    const p = profiled
    const profile = await profileWorker(inspectorPort, async () => {
      for (let i = 0; i < PROFILE_CALLS; i++) {
        const r = await p.call()
        if (r.problems.length) throw new Error(`profiled gateway call: ${r.problems.join('; ')}`)
      }
    })
    const cpu = await attribute(profile, opts.script, PROFILE_CALLS)

    const emulatorWork = m['direct  → emulator'] - m['direct  → fake upstream']
    const gatewayOwn = m['gateway → fake upstream'] - m['direct  → fake upstream']
    const added = m['gateway → emulator'] - m['direct  → emulator']
    const endToEnd: Bar[] = names.map((n) => ({ label: n, value: r2(m[n]) }))
    endToEnd.push(
      { label: "  ⇒ emulator's own work", value: r2(emulatorWork), note: 'direct→emulator − direct→fake' },
      { label: '  ⇒ gateway adds (fake)', value: r2(gatewayOwn), note: 'gateway→fake − direct→fake' },
      { label: '  ⇒ gateway adds (emulator)', value: r2(added), note: 'gateway→emulator − direct→emulator' },
    )
    const hop = m['GET /healthz (one hop)']
    const notes = [
      `the Worker's JS runs ${cpu.totalMs} ms per call (profiled, sampling adds a little); with the extra HTTP hop (~${r2(hop)} ms) that is ` +
        `${r2(cpu.totalMs + hop)} ms against ${r2(added)} ms measured added`,
      `the Worker's access log says ${r2(workerLogEmu)} ms per call against the emulator and ${r2(workerLogFake)} ms against the fake ` +
        `(workerd's clock only moves on I/O, so CPU after the last I/O is not in it)`,
      `profile: ${PROFILE_CALLS} calls, samples capped at ${cpu.capUs} µs so waits for I/O are not counted as CPU`,
    ]
    return {
      iterations: opts.iterations,
      endToEnd,
      profileCalls: PROFILE_CALLS,
      cpu: cpu.rows,
      cpuTotalMs: cpu.totalMs,
      derived: {
        emulatorWork: r2(emulatorWork),
        gatewayAddsFake: r2(gatewayOwn),
        gatewayAddsEmulator: r2(added),
        httpHop: r2(hop),
        workerCpu: cpu.totalMs,
        workerLogEmulator: r2(workerLogEmu),
        workerLogFake: r2(workerLogFake),
      },
      notes,
    }
  } finally {
    await viaEmulator?.close().catch(() => {})
    await viaFake?.close().catch(() => {})
    await profiled?.close().catch(() => {})
    await new Promise<void>((resolve) => {
      fake.server.close(() => resolve())
      fake.server.closeAllConnections()
    })
  }
}

const PROFILE_CALLS = 60
