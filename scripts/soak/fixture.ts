/**
 * What the soak sets up on one provider emulator: the gateway account, the data bucket holding
 * the job's keys (seeded through the control API in batches), the manifest naming them, the
 * report bucket, and what is left in the data bucket afterwards.
 *
 *   s3, oss  manifest and report objects on the same emulator (the manifest seeded through the
 *            control API, its ETag the MD5 of its bytes as the emulator computes it);
 *   qiniu    the manifest uploaded through the emulator's up host by the gateway's own Qiniu
 *            object code, read back through the download domain; report to a Qiniu bucket;
 *   pds      an inline manifest (at most 10 MB: about 500,000 keys), the report kept by the job.
 */
import { createHash } from 'node:crypto'
import {
  deleteBucket,
  listDriveFiles,
  listObjects,
  listObjectStoreObjects,
  patchBucket,
  patchDrive,
  patchObjectStoreBucket,
  seedBucket,
  seedDrive,
  seedObjectStoreBucket,
} from '../../test/emulators/control.ts'
import type { MixProvider } from '../../test/api/jobs-faults-mix.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from '../../test/fixtures/objectstore-credentials.ts'
import { PDS_ACCESS_TOKEN } from '../../test/fixtures/pds.ts'
import { QINIU_CREDENTIALS } from '../../test/fixtures/qiniu-credentials.ts'
import { AccountSettings, createAdapter } from '../../shared/providers/accounts.ts'
import type { EmulatorKind } from '../bench/emulators.ts'

export const SOAK_ACCOUNT = 'soak'
const DATA = 'soak-data'
const MANIFESTS = 'soak-manifests'
const REPORTS = 'soak-reports'
const SEED_BATCH = 50_000
/** POST /v1/jobs takes an inline manifest of up to 10 MB (api.md §6). */
export const INLINE_MAX_BYTES = 10 * 1024 * 1024

export const EMULATOR_FOR: Record<MixProvider, EmulatorKind> = { s3: 's3', oss: 'oss', qiniu: 'qiniu', pds: 'pds' }

/** Key i of the job: fixed width, so a report row's key gives its index back. */
export const keyOf = (provider: MixProvider, i: number) => (provider === 'pds' ? `f${String(i).padStart(7, '0')}` : `soak/${String(i).padStart(7, '0')}`)
/** The index of a key of {@link keyOf}, or -1. */
export function indexOf(provider: MixProvider, key: string): number {
  const m = (provider === 'pds' ? /^f(\d{7})$/ : /^soak\/(\d{7})$/).exec(key)
  return m ? Number(m[1]) : -1
}

export interface SoakFixture {
  bucket: string
  /** The account's settings for the gateway's ACCOUNTS. */
  account: Record<string, unknown>
  /** The job's `manifest` and `report`. */
  manifest: Record<string, unknown>
  report: Record<string, unknown>
  manifestBytes: number
  /** Keys still in the data bucket. */
  remaining(): Promise<string[]>
  cleanup(): Promise<void>
}

function manifestText(provider: MixProvider, bucket: string, n: number): string {
  const parts: string[] = []
  for (let i = 0; i < n; i++) parts.push(`${bucket},${encodeURIComponent(keyOf(provider, i))}\n`)
  return parts.join('')
}

/**
 * The account settings of the soak on `provider`: calls time out after `timeoutMs`, retries back
 * off from `backoffMs` (production: 200 ms) up to 40 times that; a job makes at least 8 tries.
 */
export function soakAccount(provider: MixProvider, url: string, o: { timeoutMs: number; backoffMs: number; chunksInFlight?: number }): Record<string, unknown> {
  const tuning = {
    timeoutMs: o.timeoutMs,
    retry: { baseDelayMs: o.backoffMs, maxDelayMs: Math.min(120_000, o.backoffMs * 40) },
    ...(o.chunksInFlight !== undefined ? { chunksInFlight: o.chunksInFlight } : {}),
  }
  switch (provider) {
    case 's3':
      return { provider: 's3', endpoint: url, region: 'us-east-1', accessKeyId: 's3-test-ak', secretAccessKey: S3_CREDENTIALS['s3-test-ak'], ...tuning }
    case 'oss':
      return { provider: 'oss', endpoint: url, region: 'cn-hangzhou', accessKeyId: 'oss-test-ak', accessKeySecret: OSS_CREDENTIALS['oss-test-ak'], ...tuning }
    case 'qiniu':
      return {
        provider: 'qiniu', accessKey: 'qn-test-ak', secretKey: QINIU_CREDENTIALS['qn-test-ak'], endpoint: url,
        rsfEndpoint: url, upEndpoint: url, downloadDomain: `${url}/download/${MANIFESTS}`, ...tuning,
      }
    case 'pds':
      return { provider: 'pds', endpoint: url, accessToken: PDS_ACCESS_TOKEN, ...tuning }
  }
}

/** Seeds `n` keys, the manifest and the report bucket on the emulator at `url`. */
export async function setupSoak(provider: MixProvider, url: string, n: number, account: Record<string, unknown>, log: (s: string) => void): Promise<SoakFixture> {
  const batches = (each: (from: number, to: number) => Promise<unknown>) => {
    const run = async () => {
      for (let from = 0; from < n; from += SEED_BATCH) {
        await each(from, Math.min(n, from + SEED_BATCH))
        log(`\rseeding ${Math.min(n, from + SEED_BATCH).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} keys ...`)
      }
      log('\n')
    }
    return run()
  }
  const range = <T>(from: number, to: number, f: (i: number) => T) => Array.from({ length: to - from }, (_, j) => f(from + j))
  const text = manifestText(provider, DATA, n)
  const manifestBytes = Buffer.byteLength(text)
  const report = { enabled: true, bucket: provider === 'pds' ? DATA : REPORTS, prefix: 'soak/', scope: 'AllTasks' }
  const csv = { format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] }

  switch (provider) {
    case 's3':
    case 'oss': {
      await seedObjectStoreBucket(url, DATA, [])
      await batches((from, to) => patchObjectStoreBucket(url, DATA, { upsert: range(from, to, (i) => ({ key: keyOf(provider, i) })) }))
      await seedObjectStoreBucket(url, MANIFESTS, [{ key: 'manifest.csv', body: text, contentType: 'text/csv' }])
      await seedObjectStoreBucket(url, REPORTS, [])
      // The emulator's ETag of a seeded object is the MD5 of its bytes.
      const etag = createHash('md5').update(text).digest('hex')
      return {
        bucket: DATA, account, manifestBytes, report,
        manifest: { location: { bucket: MANIFESTS, key: 'manifest.csv', etag }, ...csv },
        remaining: async () => (await listObjectStoreObjects(url, DATA)).map((o) => o.key),
        cleanup: async () => void (await Promise.all([DATA, MANIFESTS, REPORTS].map((b) => deleteBucket(url, b)))),
      }
    }
    case 'qiniu': {
      await seedBucket(url, DATA, [])
      await batches((from, to) => patchBucket(url, DATA, { upsert: range(from, to, (i) => ({ key: keyOf(provider, i) })) }))
      await seedBucket(url, MANIFESTS, [])
      await seedBucket(url, REPORTS, [])
      // The gateway's own Qiniu code uploads it (form upload with an upload token; no MD5 needed in Node).
      const objects = createAdapter(AccountSettings.parse(account), { fetch: (i, init) => fetch(i, init), r2Binding: () => undefined }).objects!
      const { etag } = await objects.write(MANIFESTS, 'manifest.csv', text, 'text/csv')
      return {
        bucket: DATA, account, manifestBytes, report,
        manifest: { location: { bucket: MANIFESTS, key: 'manifest.csv', etag }, ...csv },
        remaining: async () => (await listObjects(url, DATA)).map((o) => o.key),
        cleanup: async () => void (await Promise.all([DATA, MANIFESTS, REPORTS].map((b) => deleteBucket(url, b)))),
      }
    }
    case 'pds': {
      if (manifestBytes > INLINE_MAX_BYTES)
        throw new Error(`a PDS job's manifest is inline here, at most ${INLINE_MAX_BYTES} bytes: ${n.toLocaleString('en-US')} keys make ${manifestBytes} (use --keys 450000 or fewer)`)
      await seedDrive(url, DATA, [])
      await batches((from, to) => patchDrive(url, DATA, { upsert: range(from, to, (i) => ({ fileId: keyOf(provider, i), name: keyOf(provider, i), parentFileId: 'root' })) }))
      return {
        bucket: DATA, account, manifestBytes, report,
        manifest: { inline: text, ...csv },
        remaining: async () => (await listDriveFiles(url, DATA)).map((f) => f.fileId),
        cleanup: async () => void (await deleteBucket(url, DATA)),
      }
    }
  }
}
