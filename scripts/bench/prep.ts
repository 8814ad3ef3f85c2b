/**
 * The preparation section of the bench: the job object cutting a manifest into chunks, at three
 * sizes (100,000, 1,000,000 and 10,000,000 rows by default). Each manifest is streamed to the S3
 * emulator; a job with confirmationRequired stops at Suspended once prepared (then it is cancelled
 * unrun); measured: the time from creation until it leaves Preparing, the workerd process's
 * resident memory (VmRSS sampled, VmHWM; its anonymous and file-backed parts) against its level just
 * before, and the isolate's V8 heap after full collections (inspector) before and after. Each size
 * runs in a fresh workerd after an unmeasured 1,000,000-row preparation (code compiled, heap at its
 * working size), so that one size's garbage does not count against the next and a young heap's
 * first collections do not decide it.
 */
import os from 'node:os'
import { patchObjectStoreBucket, seedObjectStoreBucket } from '../../test/emulators/control.ts'
import type { Gateway } from './gateway.ts'
import { heapAfterGc, openInspector, sendPoked, type InspectorSession } from './inspector.ts'
import { cancelJob, CHUNK_KEYS, MANIFEST_BUCKET, runJob, sleep, uploadRows, type JobRun } from './jobs-api.ts'
import { pad, type UploadedManifest } from './manifest.ts'
import { freePort } from './profile.ts'
import { Progress } from './progress.ts'
import { cpuMs, resetPeak, sampleRss, statusBytes, workerdPids, type RssSample } from './rss.ts'

/** Manifest sizes prepared (rows). */
export const PREP_SIZES = [100_000, 1_000_000, 10_000_000] as const
/**
 * Each fresh workerd first prepares this many rows, unmeasured: the code is compiled and the
 * isolate's heap grown to its working size (V8 keeps the pages), so that the measured run shows
 * what preparing that manifest adds, not the garbage a young heap lets pile up before its first
 * collections. That first preparation's own growth is kept too (`coldGrowthBytes`).
 */
const PREP_WARMUP_ROWS = 1_000_000
/** Named by the preparation manifests' rows; never touched (those jobs are cancelled unrun). */
const PREP_ROW_BUCKET = 'bench-jobs-prep'
const PREP_POLL_MS = 25
const RSS_SAMPLE_MS = 10

const prepKey = (i: number) => `prep/${pad(i, 8)}.bin`

export interface PrepResult {
  rows: number
  manifestBytes: number
  uploadMs: number
  jobId: string
  /** Creation → first poll not New/Preparing (it was Suspended), ms. */
  prepMs: number
  rowsPerSecond: number
  chunks: number
  pollMs: number
  rss: {
    /** Just before creation. */
    baselineBytes: number
    /** Largest VmRSS sample during preparation. */
    peakSampledBytes: number
    /** VmHWM after preparation (reset just before creation), when the reset was allowed. */
    peakHwmBytes: number | null
    /** max(peak) − baseline. */
    growthBytes: number
    afterBytes: number
    /** Anonymous (heap, SQLite's page cache) and file-backed (mapped files) resident bytes, just before creation and once prepared. */
    anonBytes: { before: number; after: number }
    fileBytes: { before: number; after: number }
    samples: RssSample[]
  }
  cpu: { workerdMs: number }
  /** Peak VmRSS growth of the unmeasured warm-up preparation (1,000,000 rows), the first in that fresh workerd. */
  coldGrowthBytes?: number
  /**
   * The isolate's V8 heap (inspector): after a full collection just before creation, at the end of
   * preparation (garbage included), and after a full collection then — what preparation retained.
   */
  heap?: {
    usedBeforeBytes: number
    totalBeforeBytes: number
    usedAtEndBytes: number
    totalAtEndBytes: number
    usedAfterGcBytes: number
    totalAfterGcBytes: number
    /** VmRSS after that last collection. */
    rssAfterGcBytes: number
  }
}

async function runPrep(o: {
  gateway: Gateway
  workerd: number
  manifest: UploadedManifest
  label: string
  progress?: Progress
  /** The isolate's inspector: V8 heap after a full collection, before and after. */
  inspector?: InspectorSession
}): Promise<PrepResult> {
  o.gateway.takeWorkerErrors()
  // Let the process settle (and collect its garbage, when the inspector is there), then take its level.
  await sleep(300)
  const poke = () => o.gateway.api('GET', '/healthz')
  const heapBefore = o.inspector ? await heapAfterGc(o.inspector, poke) : undefined
  await sleep(200)
  const baselineBytes = statusBytes(o.workerd, 'VmRSS')
  const anonBefore = statusBytes(o.workerd, 'RssAnon')
  const fileBefore = statusBytes(o.workerd, 'RssFile')
  const canReset = resetPeak(o.workerd)
  const cpu0 = cpuMs(o.workerd)
  const sampler = sampleRss(o.workerd, RSS_SAMPLE_MS)
  let run: JobRun
  try {
    run = await runJob({
      gateway: o.gateway,
      manifest: o.manifest,
      label: o.label,
      confirmationRequired: true,
      report: false,
      pollMs: PREP_POLL_MS,
      until: (s) => s !== 'New' && s !== 'Preparing',
      onPoll: (p) => o.progress?.update(p.total, p.status, `${p.total.toLocaleString('en-US')} rows prepared`, 5000),
    })
  } finally {
    o.progress?.done()
  }
  const samples = sampler.stop()
  const anonAfter = statusBytes(o.workerd, 'RssAnon')
  const fileAfter = statusBytes(o.workerd, 'RssFile')
  const workerdMs = cpuMs(o.workerd) - cpu0
  const peakHwmBytes = canReset ? statusBytes(o.workerd, 'VmHWM') : null
  let heap: PrepResult['heap']
  if (o.inspector && heapBefore) {
    const atEnd = await sendPoked<{ usedSize: number; totalSize: number }>(o.inspector, 'Runtime.getHeapUsage', poke)
    const after = await heapAfterGc(o.inspector, poke)
    await sleep(200)
    heap = {
      usedBeforeBytes: heapBefore.usedBytes,
      totalBeforeBytes: heapBefore.totalBytes,
      usedAtEndBytes: atEnd.usedSize,
      totalAtEndBytes: atEnd.totalSize,
      usedAfterGcBytes: after.usedBytes,
      totalAfterGcBytes: after.totalBytes,
      rssAfterGcBytes: statusBytes(o.workerd, 'VmRSS'),
    }
  }
  const problems: string[] = []
  if (run.final.status !== 'Suspended') problems.push(`ended preparation ${run.final.status} (${run.final.statusUpdateReason ?? ''}; ${JSON.stringify(run.final.failureReasons)})`)
  if (run.final.progressSummary.totalNumberOfTasks !== o.manifest.rows)
    problems.push(`prepared ${run.final.progressSummary.totalNumberOfTasks} tasks, expected ${o.manifest.rows}`)
  const errors = o.gateway.takeWorkerErrors()
  if (errors.length) problems.push(`the Worker logged: ${errors.join(' | ').slice(0, 400)}`)
  if (problems.length) throw new Error(`preparation job ${run.jobId} (${o.label}): ${problems.join('; ')}`)
  await cancelJob(o.gateway, run.jobId)
  const peakSampledBytes = Math.max(...samples.map((s) => s.bytes))
  return {
    rows: o.manifest.rows,
    manifestBytes: o.manifest.bytes,
    uploadMs: o.manifest.ms,
    jobId: run.jobId,
    prepMs: run.endMs,
    rowsPerSecond: (o.manifest.rows / run.endMs) * 1000,
    chunks: Math.ceil(o.manifest.rows / CHUNK_KEYS),
    pollMs: PREP_POLL_MS,
    rss: {
      baselineBytes,
      peakSampledBytes,
      peakHwmBytes,
      growthBytes: Math.max(peakSampledBytes, peakHwmBytes ?? 0) - baselineBytes,
      afterBytes: statusBytes(o.workerd, 'VmRSS'),
      anonBytes: { before: anonBefore, after: anonAfter },
      fileBytes: { before: fileBefore, after: fileAfter },
      samples,
    },
    cpu: { workerdMs },
    ...(heap ? { heap } : {}),
  }
}


export interface PrepSectionResult {
  preparation: PrepResult[]
  loadAverage: { start: number[]; end: number[] }
}

export async function runPrepSection(o: {
  /** A fresh gateway (its own workerd) for each size. */
  freshGateway: (o?: { inspectorPort?: number }) => Promise<Gateway>
  s3: string
  sizes: readonly number[]
  log: (s: string) => void
}): Promise<PrepSectionResult> {
  const { s3, log } = o
  const loadStart = os.loadavg()
  await seedObjectStoreBucket(s3, MANIFEST_BUCKET, [])
  const preparation: PrepResult[] = []
  const upload = async (rows: number) => {
    log(`prep: uploading the ${rows.toLocaleString('en-US')}-row manifest (streamed) ... `)
    const m = await uploadRows(s3, `prep-${rows}.csv`, PREP_ROW_BUCKET, rows, prepKey)
    log(`${(m.bytes / 1e6).toFixed(1)} MB in ${(m.ms / 1000).toFixed(1)} s\n`)
    return m
  }
  const warmManifest = await upload(PREP_WARMUP_ROWS)
  for (const rows of o.sizes) {
    const m = rows === PREP_WARMUP_ROWS ? warmManifest : await upload(rows)
    log(`prep: fresh workerd ... `)
    const inspectorPort = await freePort()
    const g = await o.freshGateway({ inspectorPort })
    let inspector: InspectorSession | undefined
    try {
      inspector = await openInspector(inspectorPort)
      await sendPoked(inspector, 'Runtime.enable', () => g.api('GET', '/healthz'))
      const pid = workerdPids()[0]
      if (pid === undefined) throw new Error('cannot find the workerd process (no /proc?)')
      log(`pid ${pid}; warm-up: preparing ${PREP_WARMUP_ROWS.toLocaleString('en-US')} rows ... `)
      const warm = await runPrep({ gateway: g, workerd: pid, manifest: warmManifest, label: 'prep-warmup' })
      log(`measured: ${rows.toLocaleString('en-US')} rows\n`)
      const measured = await runPrep({ gateway: g, workerd: pid, manifest: m, label: `prep-${rows}`, progress: new Progress(rows, process.stderr), inspector })
      preparation.push({ ...measured, coldGrowthBytes: warm.rss.growthBytes })
    } finally {
      inspector?.close()
      await g.close()
      if (m !== warmManifest) await patchObjectStoreBucket(s3, MANIFEST_BUCKET, { delete: [m.key] })
    }
  }
  await patchObjectStoreBucket(s3, MANIFEST_BUCKET, { delete: [warmManifest.key] })
  return { preparation, loadAverage: { start: loadStart, end: os.loadavg() } }
}
