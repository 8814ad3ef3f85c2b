/**
 * The Worker's CPU per sync batch, measured inside workerd, per provider and batch size (and for the
 * mixed Qiniu batch): a gateway of its own with workerd's inspector open, and for each case
 *
 *   thread  the workerd thread that ran the Worker: its run time (/proc/<pid>/task/<tid>/schedstat,
 *           nanoseconds) across each call, unprofiled — everything that thread did for the call:
 *           the Worker's JS, Miniflare's entry Worker in front of it, workerd's HTTP in and out;
 *   JS      a V8 CPU profile of the Worker's isolate over the same number of calls, its samples
 *           given to the phases of a batch (profile.ts PHASES): what the Worker's own code and
 *           garbage collection cost, the figure Cloudflare's CPU limit counts.
 *
 * Seeding between calls happens outside both (it is the emulator's work, in this process; for R2,
 * Miniflare's, read before and after each call only).
 */
import { seedBucket } from '../../test/emulators/control.ts'
import { runCpuProbe, type ProbeProvider, type ProbeResult } from './cpu-probe/cpu-probe.ts'
import { checkGatewayDeletes, gatewayAccounts, makeRig, TARGET, type DeleteProvider } from './delete.ts'
import type { EmulatorKind } from './emulators.ts'
import { startGateway, type Gateway } from './gateway.ts'
import { attribute, freePort, profileWorker, type Attribution } from './profile.ts'
import { threadRunNs, workerdPids } from './rss.ts'
import { summarise, type Summary } from './stats.ts'
import { buildWorkload, BUCKET, SCRATCH_BUCKET } from './workload.ts'

export interface CpuCase {
  /** Provider, or 'qiniu-mixed'. */
  label: string
  size: number
  calls: number
  /** The Worker's JS + GC per call, by phase (V8 profile; the largest size only). */
  js?: Attribution
  /** workerd's busiest thread, ms per call (unprofiled). */
  thread: Summary
}

export interface SyncCpuResult {
  cases: CpuCase[]
  /**
   * The per-key rate limiter's price: the smallest S3 batch on a gateway whose key has rate limiting
   * off, against the same batch in `cases` (the bench key's tier, bulk, counts every request).
   */
  rateLimitOff?: CpuCase
  /** Rounds of the thread measurement (one call of every size each), and calls profiled at the largest size. */
  calls: number
  /** Sampling interval of the profiler, µs. */
  intervalUs: number
  /** The Worker's JS per batch by phase, timed inside workerd on canned provider answers (no HTTP). */
  probe?: ProbeResult
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Probe {
  size: number
  seed: () => Promise<void>
  call: () => Promise<void>
}

/**
 * `rounds` rounds, each making one call of every probe (sizes interleaved, so that a change in the
 * machine's state between rounds weighs on every size alike), each call preceded by its seed:
 * the run time of every workerd thread across each call. The thread that ran most over all calls
 * is the Worker's; per probe, its run time per call.
 */
async function threadCpu(pid: number, rounds: number, probes: readonly Probe[]): Promise<Summary[]> {
  const perCall: Array<Array<Map<number, number>>> = probes.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (const [i, p] of probes.entries()) {
      await p.seed()
      await sleep(2)
      const before = threadRunNs(pid)
      await p.call()
      // What the Worker does after answering (waitUntil: the access log, the rate limiter's count).
      await sleep(2)
      const after = threadRunNs(pid)
      perCall[i]!.push(new Map([...after].map(([tid, ns]) => [tid, ns - (before.get(tid) ?? 0)])))
    }
  }
  const totals = new Map<number, number>()
  for (const calls of perCall) for (const m of calls) for (const [tid, ns] of m) totals.set(tid, (totals.get(tid) ?? 0) + ns)
  const busiest = [...totals].sort((a, b) => b[1] - a[1])[0]?.[0] ?? -1
  return perCall.map((calls) => summarise(calls.map((m) => (m.get(busiest) ?? 0) / 1e6)))
}

export async function runSyncCpu(o: {
  root: string
  script: string
  host: string
  urls: Partial<Record<EmulatorKind, string>>
  qiniuAccessKey: string
  qiniuSecretKey: string
  providers: readonly DeleteProvider[]
  sizes: readonly number[]
  /** The mixed Qiniu batch's sizes (none: skipped). */
  mixedSizes: readonly number[]
  calls: number
  warmup: number
  log: (s: string) => void
}): Promise<SyncCpuResult> {
  const probeProviders = o.providers.filter((p): p is ProbeProvider => p !== 'r2')
  const probe = probeProviders.length
    ? await runCpuProbe({
        root: o.root,
        providers: probeProviders,
        sizes: o.sizes,
        settings: {
          ...(gatewayAccounts(o.urls) as Partial<Record<ProbeProvider, Record<string, unknown>>>),
          qiniu: { provider: 'qiniu', accessKey: o.qiniuAccessKey, secretKey: o.qiniuSecretKey, endpoint: o.urls.qiniu ?? `http://${o.host}` },
        },
        minLoopMs: 300,
        repeats: 5,
        log: o.log,
      })
    : undefined
  const inspectorPort = await freePort()
  const intervalUs = 100
  // The gateway under measurement; again with the bench key's rate limiting off, for its price.
  const start = (rateLimit?: 'off') =>
    startGateway({
      root: o.root,
      script: o.script,
      qiniuEndpoint: o.urls.qiniu ?? `http://${o.host}`,
      accessKey: o.qiniuAccessKey,
      secretKey: o.qiniuSecretKey,
      accounts: gatewayAccounts(o.urls),
      inspectorPort,
      ...(rateLimit ? { rateLimit } : {}),
    })
  let g: Gateway | undefined
  try {
    g = await start()
    const gw: Gateway = g
    const pid = workerdPids()[0]
    if (pid === undefined) throw new Error('cannot find the workerd process (no /proc?)')
    const cases: CpuCase[] = []
    /**
     * One label's sizes: the thread's run time over `o.calls` interleaved rounds, then a V8 profile
     * of the largest size alone (its phases; the profiler's own cost would blur a comparison).
     */
    const measure = async (label: string, probes: Probe[]) => {
      o.log(`  cpu: ${label}, ${probes.map((p) => p.size).join('/')} ops interleaved, ${o.calls} rounds, then a profile of ${o.calls} calls at ${probes[probes.length - 1]!.size} ...\n`)
      for (let i = 0; i < o.warmup; i++)
        for (const p of probes) {
          await p.seed()
          await p.call()
        }
      const threads = await threadCpu(pid, o.calls, probes)
      const largest = probes[probes.length - 1]!
      const profile = await profileWorker(
        inspectorPort,
        async () => {
          for (let i = 0; i < o.calls; i++) {
            await largest.seed()
            await largest.call()
          }
        },
        intervalUs,
      )
      const js = await attribute(profile, o.script, o.calls)
      probes.forEach((p, i) => cases.push({ label, size: p.size, calls: o.calls, ...(p === largest ? { js } : {}), thread: threads[i]! }))
    }
    for (const provider of o.providers) {
      const account = TARGET[provider].account
      const probes: Probe[] = []
      for (const size of o.sizes) {
        const rig = await makeRig(provider, o.urls, gw, size)
        probes.push({
          size,
          seed: rig.seed,
          call: async () => {
            const problems = checkGatewayDeletes(await gw.batch(account, rig.operations))
            if (problems.length) throw new Error(`cpu, ${provider} ${size} ops: ${problems.join('; ')}`)
          },
        })
      }
      await measure(provider, probes)
    }
    if (o.urls.qiniu && o.mixedSizes.length) {
      // Every size's objects at once (their seeds are prefixes of one another but for the keys a
      // larger mix deletes): the mix is then repeatable as it stands (copies overwrite, deletes name
      // missing keys), with no re-seeding between calls.
      const workloads = o.mixedSizes.map((n) => buildWorkload(n))
      const seed = new Map(workloads.flatMap((w) => w.seed.map((x) => [x.key, x] as const)))
      await seedBucket(o.urls.qiniu, BUCKET, [...seed.values()])
      await seedBucket(o.urls.qiniu, SCRATCH_BUCKET, [])
      await measure(
        'qiniu-mixed',
        workloads.map((w) => ({
          size: w.operations.length,
          seed: async () => {},
          call: async () => {
            const r = await gw.batch('qiniu', w.operations)
            if (r.problems.length) throw new Error(`cpu, mixed Qiniu batch of ${w.operations.length}: ${r.problems.join('; ')}`)
          },
        })),
      )
    }
    let rateLimitOff: CpuCase | undefined
    if (o.providers.includes('s3') && o.urls.s3) {
      await g.close()
      g = undefined
      const size = Math.min(...o.sizes)
      g = await start('off')
      const off = g
      const offPid = workerdPids()[0]!
      const rig = await makeRig('s3', o.urls, off, size)
      const call = async () => {
        const problems = checkGatewayDeletes(await off.batch(TARGET.s3.account, rig.operations))
        if (problems.length) throw new Error(`cpu, s3 ${size} ops, rate limiting off: ${problems.join('; ')}`)
      }
      for (let i = 0; i < o.warmup; i++) {
        await rig.seed()
        await call()
      }
      o.log(`  cpu: s3, ${size} ops, rate limiting off, ${o.calls} calls ...\n`)
      const [thread] = await threadCpu(offPid, o.calls, [{ size, seed: rig.seed, call }])
      rateLimitOff = { label: 's3 (rate limiting off)', size, calls: o.calls, thread: thread! }
    }
    return { cases, calls: o.calls, intervalUs, ...(rateLimitOff ? { rateLimitOff } : {}), ...(probe ? { probe } : {}) }
  } finally {
    await g?.close().catch(() => {})
  }
}
