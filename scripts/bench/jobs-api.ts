/**
 * What the jobs and preparation sections share: the account their jobs run on, the buckets, the
 * job API calls (create, poll until a status, cancel), seeding keys through the emulator's control
 * API, and manifests streamed to the emulator.
 */
import { randomUUID } from 'node:crypto'
import { listObjectStoreObjects, patchObjectStoreBucket, seedObjectStoreBucket } from '../../test/emulators/control.ts'
import { S3_CREDENTIALS } from '../../test/fixtures/objectstore-credentials.ts'
import { S3_AK, S3_REGION } from './delete.ts'
import type { Gateway } from './gateway.ts'
import { manifestBlocks, uploadManifest, type UploadedManifest } from './manifest.ts'

/** The gateway account of the jobs: the S3 emulator's `s3` account (delete.ts) with chunksInFlight set. */
export const JOB_ACCOUNT = 's3-jobs'
/**
 * Chunks the job keeps on the queue at once: the account's `chunksInFlight` (the account scheduler's
 * capacity), set to its default of 8 so that the job and the direct loop name the same figure. The
 * direct loop at 8 in flight is this machine's limit: the emulator serves one request at a time, so
 * more in flight adds nothing (1 in flight, the diagnostic, reaches ~90% of it).
 */
export const JOB_CHUNKS_IN_FLIGHT = 8

/** The account the sections' jobs run on (added to the gateway's ACCOUNTS). */
export function jobsAccounts(urls: { s3?: string }): Record<string, unknown> {
  if (!urls.s3) return {}
  return {
    [JOB_ACCOUNT]: {
      provider: 's3',
      endpoint: urls.s3,
      region: S3_REGION,
      accessKeyId: S3_AK,
      secretAccessKey: S3_CREDENTIALS[S3_AK],
      chunksInFlight: JOB_CHUNKS_IN_FLIGHT,
    },
  }
}
/** Rows of a delete chunk on S3 (workers/durable-objects/batch-job/preparation.ts chunkRowsFor: CHUNK_ROWS) = keys of one DeleteObjects. */
export const CHUNK_KEYS = 1000

export const DATA_BUCKET = 'bench-jobs'
export const MANIFEST_BUCKET = 'bench-jobs-manifests'
export const REPORT_BUCKET = 'bench-jobs-reports'
const SEED_BATCH = 10_000
const JOB_TIMEOUT_MS = 30 * 60_000


export interface JobView {
  jobId: string
  status: string
  progressSummary: { totalNumberOfTasks: number; numberOfTasksSucceeded: number; numberOfTasksFailed: number; timers: { elapsedTimeInActiveSeconds: number } }
  failureReasons: Array<{ failureCode: string; failureReason: string }>
  failuresByCode: Record<string, number>
  statusUpdateReason: string | null
  reportLocation: { bucket: string; key: string } | null
}

export const TERMINAL = new Set(['Complete', 'Cancelled', 'Failed'])

export interface Poll {
  /** Milliseconds since the creation request was sent. */
  t: number
  status: string
  total: number
  succeeded: number
  failed: number
}

export interface JobRun {
  jobId: string
  /** Creation request sent: performance.now() and epoch milliseconds. */
  t0: number
  t0Epoch: number
  /** POST /v1/jobs answered, ms after t0. */
  createdMs: number
  /** First poll that saw each status, ms after t0. */
  statusAt: Record<string, number>
  /** Poll that ended the wait, ms after t0. */
  endMs: number
  polls: Poll[]
  final: JobView
}

export async function createJob(g: Gateway, body: Record<string, unknown>): Promise<{ jobId: string; ms: number }> {
  const r = await g.api('POST', '/v1/jobs', body)
  const answer = r.json as { jobId?: string; status?: string } | undefined
  if (r.status !== 201 || !answer?.jobId) throw new Error(`POST /v1/jobs answered HTTP ${r.status}: ${r.text.slice(0, 400)}`)
  return { jobId: answer.jobId, ms: r.ms }
}

export async function getJob(g: Gateway, jobId: string): Promise<JobView> {
  const r = await g.api('GET', `/v1/jobs/${jobId}`)
  if (r.status !== 200) throw new Error(`GET /v1/jobs/${jobId} answered HTTP ${r.status}: ${r.text.slice(0, 400)}`)
  return r.json as JobView
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Creates a job from `manifest` and polls it every `pollMs` until `until(status)` holds. */
export async function runJob(o: {
  gateway: Gateway
  manifest: UploadedManifest
  label: string
  confirmationRequired?: boolean
  report: boolean
  pollMs: number
  until: (status: string) => boolean
  onPoll?: (p: Poll) => void
  timeoutMs?: number
}): Promise<JobRun> {
  const body = {
    clientRequestToken: `bench-${o.label}-${randomUUID()}`.slice(0, 64),
    account: JOB_ACCOUNT,
    operation: { op: 'delete' },
    manifest: { location: { bucket: o.manifest.bucket, key: o.manifest.key, etag: o.manifest.etag } },
    report: o.report ? { enabled: true, bucket: REPORT_BUCKET, prefix: 'bench/' } : { enabled: false },
    ...(o.confirmationRequired ? { confirmationRequired: true } : {}),
    description: `bench ${o.label}`,
  }
  const t0 = performance.now()
  const t0Epoch = Date.now()
  const { jobId } = await createJob(o.gateway, body)
  const createdMs = performance.now() - t0
  const statusAt: Record<string, number> = {}
  const polls: Poll[] = []
  const deadline = t0 + (o.timeoutMs ?? JOB_TIMEOUT_MS)
  for (;;) {
    const view = await getJob(o.gateway, jobId)
    const t = performance.now() - t0
    const s = view.progressSummary
    const p: Poll = { t, status: view.status, total: s.totalNumberOfTasks, succeeded: s.numberOfTasksSucceeded, failed: s.numberOfTasksFailed }
    polls.push(p)
    statusAt[view.status] ??= t
    o.onPoll?.(p)
    if (o.until(view.status) || TERMINAL.has(view.status)) return { jobId, t0, t0Epoch, createdMs, statusAt, endMs: t, polls, final: view }
    if (performance.now() > deadline) throw new Error(`job ${jobId} (${o.label}) still ${view.status} after ${((o.timeoutMs ?? JOB_TIMEOUT_MS) / 60_000).toFixed(0)} min`)
    await sleep(o.pollMs)
  }
}

/** Cancels a job and waits until it is Cancelled. */
export async function cancelJob(g: Gateway, jobId: string): Promise<void> {
  const r = await g.api('POST', `/v1/jobs/${jobId}/status`, { requestedStatus: 'Cancelled', reason: 'bench: preparation measured' })
  if (r.status !== 200) throw new Error(`cancelling job ${jobId} answered HTTP ${r.status}: ${r.text.slice(0, 300)}`)
  for (let i = 0; i < 600; i++) {
    const v = await getJob(g, jobId)
    if (v.status === 'Cancelled') return
    if (TERMINAL.has(v.status)) throw new Error(`job ${jobId} ended ${v.status} instead of Cancelled`)
    await sleep(50)
  }
  throw new Error(`job ${jobId} did not reach Cancelled within 30 s`)
}

// ------------------------------------------------------------------------------------ seeding

/** Makes `bucket` hold exactly keyOf(0 .. count-1) (empty bodies), in batches of 10,000. */
export async function seedKeys(s3: string, bucket: string, count: number, keyOf: (i: number) => string): Promise<void> {
  const batch = (from: number) => Array.from({ length: Math.min(SEED_BATCH, count - from) }, (_, j) => ({ key: keyOf(from + j) }))
  await seedObjectStoreBucket(s3, bucket, batch(0))
  for (let i = SEED_BATCH; i < count; i += SEED_BATCH) await patchObjectStoreBucket(s3, bucket, { upsert: batch(i) })
}

export async function leftoverCount(s3: string, bucket: string): Promise<number> {
  return (await listObjectStoreObjects(s3, bucket)).length
}

export function uploadRows(s3: string, key: string, bucket: string, rows: number, keyOf: (i: number) => string) {
  return uploadManifest({
    url: s3,
    accessKeyId: S3_AK,
    secretAccessKey: S3_CREDENTIALS[S3_AK]!,
    region: S3_REGION,
    bucket: MANIFEST_BUCKET,
    key,
    rows,
    blocks: () => manifestBlocks(bucket, rows, keyOf),
  })
}

