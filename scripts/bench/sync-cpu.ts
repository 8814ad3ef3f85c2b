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
  /** The Worker's JS + GC per call, by phase (V8 profile). */
  js: Attribution
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
  /** Calls per case at the largest size (smaller batches: more, see callsFor). */
  calls: number
  /** Sampling interval of the profiler, µs. */
  intervalUs: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * `calls` calls (after `warmup`), each preceded by `seed`: run time of every workerd thread across
 * each call; the thread that ran most over all calls is the Worker's.
 */
async function threadCpu(pid: number, calls: number, seed: () => Promise<void>, call: () => Promise<void>): Promise<Summary> {
  const perCall: Array<Map<number, number>> = []
  for (let i = 0; i < calls; i++) {
    await seed()
    await sleep(3)
    const before = threadRunNs(pid)
    await call()
    // What the Worker does after answering (waitUntil: the access log, the rate limiter's count).
    await sleep(3)
    const after = threadRunNs(pid)
    perCall.push(new Map([...after].map(([tid, ns]) => [tid, ns - (before.get(tid) ?? 0)])))
  }
  const totals = new Map<number, number>()
  for (const m of perCall) for (const [tid, ns] of m) totals.set(tid, (totals.get(tid) ?? 0) + ns)
  const busiest = [...totals].sort((a, b) => b[1] - a[1])[0]?.[0]
  return summarise(perCall.map((m) => (m.get(busiest ?? -1) ?? 0) / 1e6))
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
  const inspectorPort = await freePort()
  const intervalUs = 100
  let g: Gateway | undefined
  try {
    g = await startGateway({
      root: o.root,
      script: o.script,
      qiniuEndpoint: o.urls.qiniu ?? `http://${o.host}`,
      accessKey: o.qiniuAccessKey,
      secretKey: o.qiniuSecretKey,
      accounts: gatewayAccounts(o.urls),
      inspectorPort,
    })
    const gw: Gateway = g
    const pid = workerdPids()[0]
    if (pid === undefined) throw new Error('cannot find the workerd process (no /proc?)')
    const cases: CpuCase[] = []
    // Small batches cost little each: more calls keep their profiles as well sampled as the large ones'.
    const callsFor = (size: number) => Math.max(o.calls, Math.min(200, Math.round((o.calls * 1000) / size / 4)))
    const measure = async (label: string, size: number, seed: () => Promise<void>, call: () => Promise<void>) => {
      const calls = callsFor(size)
      o.log(`  cpu: ${label}, ${size} ops, ${calls} calls unprofiled then ${calls} profiled ...\n`)
      for (let i = 0; i < o.warmup; i++) {
        await seed()
        await call()
      }
      const thread = await threadCpu(pid, calls, seed, call)
      const profile = await profileWorker(
        inspectorPort,
        async () => {
          for (let i = 0; i < calls; i++) {
            await seed()
            await call()
          }
        },
        intervalUs,
      )
      cases.push({ label, size, calls, js: await attribute(profile, o.script, calls), thread })
    }
    for (const provider of o.providers) {
      for (const size of o.sizes) {
        const rig = await makeRig(provider, o.urls, gw, size)
        const account = TARGET[provider].account
        await measure(provider, size, rig.seed, async () => {
          const r = await gw.batch(account, rig.operations)
          const problems = checkGatewayDeletes(r)
          if (problems.length) throw new Error(`cpu, ${provider} ${size} ops: ${problems.join('; ')}`)
        })
      }
    }
    if (o.urls.qiniu) {
      for (const size of o.mixedSizes) {
        const w = buildWorkload(size)
        await seedBucket(o.urls.qiniu, BUCKET, w.seed)
        await seedBucket(o.urls.qiniu, SCRATCH_BUCKET, [])
        // The mix is repeatable as it stands (copies overwrite, deletes name missing keys): no re-seeding.
        await measure('qiniu-mixed', size, async () => {}, async () => {
          const r = await gw.batch('qiniu', w.operations)
          if (r.problems.length) throw new Error(`cpu, mixed Qiniu batch of ${size}: ${r.problems.join('; ')}`)
        })
      }
    }
    let rateLimitOff: CpuCase | undefined
    if (o.providers.includes('s3') && o.urls.s3) {
      await g.close()
      g = undefined
      const size = Math.min(...o.sizes)
      g = await startGateway({
        root: o.root,
        script: o.script,
        qiniuEndpoint: o.urls.qiniu ?? `http://${o.host}`,
        accessKey: o.qiniuAccessKey,
        secretKey: o.qiniuSecretKey,
        accounts: gatewayAccounts(o.urls),
        inspectorPort,
        rateLimit: 'off',
      })
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
      const calls = callsFor(size)
      o.log(`  cpu: s3, ${size} ops, rate limiting off, ${calls} calls ...\n`)
      const thread = await threadCpu(offPid, calls, rig.seed, call)
      const profile = await profileWorker(inspectorPort, async () => {
        for (let i = 0; i < calls; i++) {
          await rig.seed()
          await call()
        }
      }, intervalUs)
      rateLimitOff = { label: 's3 (rate limiting off)', size, calls, js: await attribute(profile, o.script, calls), thread }
    }
    return { cases, calls: o.calls, intervalUs, ...(rateLimitOff ? { rateLimitOff } : {}) }
  } finally {
    await g?.close().catch(() => {})
  }
}
