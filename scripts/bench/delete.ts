/**
 * The delete section of the bench: for each provider, one batch deleting 1,000 existing keys,
 * through the gateway (POST /v1/batch, 1,000 × {op: 'delete'}) and straight to the provider's
 * emulator with its own batch call(s) (direct-delete.ts), interleaved.
 *
 * Before every timed call the bucket (drive) is re-seeded with the 1,000 objects through the
 * emulator's control API; after it, the answer is checked (1,000 successes, none reporting a missing
 * key) and the bucket is listed to confirm it is empty. Seeding and checking are outside the timed
 * region. Any other answer aborts the bench.
 *
 * r2 is the Worker's embedded `local` account (its DEMO_BUCKET binding, bucket `demo`): it has no
 * direct counterpart a Node client could call, so only the gateway is timed; it is seeded and
 * listed through Miniflare's R2 API.
 */
import { createHash } from 'node:crypto'
import {
  listDriveFiles,
  listObjects,
  listObjectStoreObjects,
  seedBucket,
  seedDrive,
  seedObjectStoreBucket,
} from '../../test/emulators/control.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from '../../test/fixtures/objectstore-credentials.ts'
import { PDS_ACCESS_TOKEN } from '../../test/fixtures/pds.ts'
import { QINIU_CREDENTIALS } from '../../test/fixtures/qiniu-credentials.ts'
import type { CallResult } from './direct.ts'
import {
  ossV4DeleteClient,
  pdsDeleteClient,
  qiniuDeleteClient,
  s3V2DeleteClient,
  s3V4DeleteClient,
  type DeleteClient,
} from './direct-delete.ts'
import type { EmulatorKind } from './emulators.ts'
import type { BatchCall, Gateway } from './gateway.ts'

export const DELETE_PROVIDERS = ['qiniu', 's3', 'ctyun', 'oss', 'pds', 'r2'] as const
export type DeleteProvider = (typeof DELETE_PROVIDERS)[number]

/** The engine's default concurrency (shared/engine/engine.ts), used by the direct PDS client too. */
export const GATEWAY_CONCURRENCY = 8
export const DELETE_KEYS = 1000

/** The emulator each provider needs (r2 needs none: it lives in workerd). */
export const EMULATOR_OF: Record<DeleteProvider, EmulatorKind | undefined> = {
  qiniu: 'qiniu',
  s3: 's3',
  ctyun: 's3',
  oss: 'oss',
  pds: 'pds',
  r2: undefined,
}

export const S3_AK = 's3-test-ak'
const CTYUN_AK = 's3-ctyun-ak'
const OSS_AK = 'oss-test-ak'
const QINIU_AK = 'qn-test-ak'
const OSS_REGION = 'cn-hangzhou'
export const S3_REGION = 'us-east-1'

/** Where each provider's deletes go: bucket (drive id for PDS) and the gateway account. */
export const TARGET: Record<DeleteProvider, { account: string; bucket: string; how: string; direct: string }> = {
  qiniu: { account: 'qiniu', bucket: 'bench-delete', how: 'Qiniu /batch, "Qiniu" v2 token', direct: '1 × POST /batch (1,000 ops), qiniu SDK token' },
  s3: { account: 's3', bucket: 'bench-delete-s3', how: 'S3 SigV4, us-east-1', direct: '1 × DeleteObjects (Quiet), aws4fetch SigV4' },
  ctyun: { account: 'ctyun', bucket: 'bench-delete-ctyun', how: 'CTYun OOS, SigV2 (its default)', direct: '1 × DeleteObjects (Quiet), SigV2 (HMAC-SHA1)' },
  oss: { account: 'oss', bucket: 'bench-delete-oss', how: 'Aliyun OSS V4, cn-hangzhou', direct: '1 × DeleteMultipleObjects (Quiet), ali-oss signUtils V4' },
  pds: { account: 'pds', bucket: 'bench-delete-drive', how: 'Aliyun PDS /v2/batch, Bearer', direct: `10 × POST /v2/batch (100 each), ${GATEWAY_CONCURRENCY} in flight` },
  r2: { account: 'local', bucket: 'demo', how: 'Cloudflare R2 binding (embedded local account)', direct: 'none: an R2 binding is only reachable from inside workerd' },
}

const pad = (i: number) => String(i).padStart(4, '0')

/** Batch sizes the section runs (the last is the headline: the 1,000-op batch). */
export const DELETE_SIZES = [10, 100, DELETE_KEYS] as const

/** The keys (file ids for PDS: 40 hex digits, the shape PDS gives them); a smaller size takes the first ones. */
export function deleteKeys(provider: DeleteProvider, count: number = DELETE_KEYS): string[] {
  return Array.from({ length: count }, (_, i) =>
    provider === 'pds' ? createHash('sha1').update(`bench-delete-${i}`).digest('hex') : `bench/delete/${pad(i)}.bin`,
  )
}

/** The gateway accounts beside `qiniu` (configured by startGateway) that the section uses. */
export function gatewayAccounts(urls: Partial<Record<EmulatorKind, string>>): Record<string, unknown> {
  const accounts: Record<string, unknown> = {}
  if (urls.s3) {
    accounts.s3 = { provider: 's3', endpoint: urls.s3, region: S3_REGION, accessKeyId: S3_AK, secretAccessKey: S3_CREDENTIALS[S3_AK] }
    // CTYun's defaults: SigV2.
    accounts.ctyun = { provider: 'ctyun', endpoint: urls.s3, accessKeyId: CTYUN_AK, secretAccessKey: S3_CREDENTIALS[CTYUN_AK] }
  }
  if (urls.oss) accounts.oss = { provider: 'oss', endpoint: urls.oss, region: OSS_REGION, accessKeyId: OSS_AK, accessKeySecret: OSS_CREDENTIALS[OSS_AK] }
  if (urls.pds) accounts.pds = { provider: 'pds', endpoint: urls.pds, accessToken: PDS_ACCESS_TOKEN }
  return accounts
}

export interface ProviderRig {
  provider: DeleteProvider
  /** Deletes per batch. */
  size: number
  keys: string[]
  /** The gateway's request: `size` deletes. */
  operations: Array<{ op: 'delete'; bucket: string; key: string }>
  direct: DeleteClient | undefined
  /** The same direct client aimed at another base URL (the breakdown's instant fake upstream). */
  directTo(url: string): DeleteClient | undefined
  /** Puts the `size` objects back (bucket replaced). */
  seed(): Promise<void>
  /** Problems with the bucket after a call: anything left of the `size`. */
  leftovers(): Promise<string[]>
}

export async function makeRig(provider: DeleteProvider, urls: Partial<Record<EmulatorKind, string>>, gateway: Gateway, size: number = DELETE_KEYS): Promise<ProviderRig> {
  const keys = deleteKeys(provider, size)
  const { bucket } = TARGET[provider]
  const operations = keys.map((key) => ({ op: 'delete' as const, bucket, key }))
  const url = (k: EmulatorKind) => {
    const u = urls[k]
    if (!u) throw new Error(`the ${k} emulator is not running`)
    return u
  }
  const left = (n: number) => (n === 0 ? [] : [`${n} of the ${size} objects are still in ${provider} bucket ${bucket} after the call`])
  switch (provider) {
    case 'qiniu': {
      const u = url('qiniu')
      const objects = keys.map((key, i) => ({ key, fsize: 1024 + i, mimeType: 'application/octet-stream' }))
      const directTo = (url: string) => qiniuDeleteClient({ url, accessKey: QINIU_AK, secretKey: QINIU_CREDENTIALS[QINIU_AK]!, bucket, keys })
      return {
        provider,
        size,
        keys,
        operations,
        direct: directTo(u),
        directTo,
        seed: () => seedBucket(u, bucket, objects),
        leftovers: async () => left((await listObjects(u, bucket)).length),
      }
    }
    case 's3':
    case 'ctyun':
    case 'oss': {
      const u = url(EMULATOR_OF[provider]!)
      const objects = keys.map((key, i) => ({ key, body: `object ${i}` }))
      const directTo = (url: string) =>
        provider === 's3'
          ? s3V4DeleteClient({ url, accessKeyId: S3_AK, secretAccessKey: S3_CREDENTIALS[S3_AK]!, region: S3_REGION, bucket, keys })
          : provider === 'ctyun'
            ? s3V2DeleteClient({ url, accessKeyId: CTYUN_AK, secretAccessKey: S3_CREDENTIALS[CTYUN_AK]!, bucket, keys, label: 'CTYun (S3 emulator)' })
            : ossV4DeleteClient({ url, accessKeyId: OSS_AK, accessKeySecret: OSS_CREDENTIALS[OSS_AK]!, region: OSS_REGION, bucket, keys })
      return {
        provider,
        size,
        keys,
        operations,
        direct: directTo(u),
        directTo,
        seed: () => seedObjectStoreBucket(u, bucket, objects),
        leftovers: async () => left((await listObjectStoreObjects(u, bucket)).length),
      }
    }
    case 'pds': {
      const u = url('pds')
      const files = keys.map((fileId, i) => ({ fileId, name: `file-${pad(i)}.bin`, parentFileId: 'root', size: 1024 + i }))
      const directTo = (url: string) => pdsDeleteClient({ url, accessToken: PDS_ACCESS_TOKEN, driveId: bucket, fileIds: keys, concurrency: GATEWAY_CONCURRENCY })
      return {
        provider,
        size,
        keys,
        operations,
        direct: directTo(u),
        directTo,
        seed: () => seedDrive(u, bucket, files),
        leftovers: async () => left((await listDriveFiles(u, bucket)).length),
      }
    }
    case 'r2': {
      const r2 = await gateway.r2Bucket('DEMO_BUCKET')
      const prefix = 'bench/delete/'
      return {
        provider,
        size,
        keys,
        operations,
        direct: undefined,
        directTo: () => undefined,
        async seed() {
          for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k, j) => r2.put(k, `object ${i + j}`)))
        },
        async leftovers() {
          const listed = await r2.list({ prefix, limit: 1000 })
          return left(listed.objects.length)
        },
      }
    }
  }
}

/** Problems with a gateway answer to the 1,000 deletes: besides the generic ones, a key reported missing. */
export function checkGatewayDeletes(r: BatchCall): string[] {
  const problems = [...r.problems]
  const missing = r.answer?.results?.filter((x) => x.data?.existed === false).length ?? 0
  if (missing > 0) problems.push(`${missing} deletes found no object (the keys were not seeded?)`)
  return problems
}

export interface DeleteSamples {
  gateway: number[]
  direct: number[]
  /** The Worker's access-log ms of each measured gateway call. */
  worker: number[]
  /** Bytes of the last answer of each kind (all the provider calls' answers, for direct). */
  responseBytes: { gateway: number; direct: number }
}

/**
 * Runs the section: `warmup` + `iterations` rounds; each round visits every provider (the order
 * rotating by round), and for each makes one gateway and one direct call, who goes first
 * alternating by round. Every call is preceded by a re-seed and followed by the checks.
 */
export async function runDeleteSection(o: {
  rigs: ProviderRig[]
  gateway: Gateway
  iterations: number
  warmup: number
  onRound?: (round: number, warm: boolean, samples: Record<string, DeleteSamples>) => void
  abort: (message: string) => Promise<never>
}): Promise<Record<string, DeleteSamples>> {
  const samples: Record<string, DeleteSamples> = Object.fromEntries(o.rigs.map((r) => [r.provider, { gateway: [], direct: [], worker: [], responseBytes: { gateway: 0, direct: 0 } }]))
  const requestIds: Record<string, string[]> = Object.fromEntries(o.rigs.map((r) => [r.provider, []]))
  for (let i = 0; i < o.warmup + o.iterations; i++) {
    const warm = i < o.warmup
    const when = warm ? `warm-up ${i + 1}` : `iteration ${i - o.warmup + 1}`
    for (let j = 0; j < o.rigs.length; j++) {
      const rig = o.rigs[(i + j) % o.rigs.length]!
      const kinds = i % 2 === 0 ? (['gateway', 'direct'] as const) : (['direct', 'gateway'] as const)
      for (const kind of kinds) {
        if (kind === 'direct' && !rig.direct) continue
        await rig.seed()
        let r: CallResult
        let problems: string[]
        const requestId = `bench-delete-${rig.provider}-${rig.size}-${i}`
        if (kind === 'gateway') {
          const g = await o.gateway.batch(TARGET[rig.provider].account, rig.operations, { requestId })
          r = g
          problems = checkGatewayDeletes(g)
        } else {
          r = await rig.direct!.call()
          problems = r.problems
        }
        if (problems.length === 0) problems = await rig.leftovers()
        if (problems.length)
          await o.abort(`${rig.provider}, ${kind === 'gateway' ? 'through the gateway' : 'direct to the emulator'} (${when}): ${problems.join('; ')}`)
        samples[rig.provider]!.responseBytes[kind] = Buffer.byteLength(r.text ?? '')
        if (!warm) {
          samples[rig.provider]![kind].push(r.ms)
          if (kind === 'gateway') requestIds[rig.provider]!.push(requestId)
        }
      }
    }
    o.onRound?.(i, warm, samples)
  }
  // The Worker's log lines arrive through workerd's stdout a moment after the answers.
  await new Promise((r) => setTimeout(r, 200))
  for (const rig of o.rigs)
    samples[rig.provider]!.worker = requestIds[rig.provider]!.flatMap((id) => {
      const ms = o.gateway.workerMsById.get(id)
      return ms === undefined ? [] : [ms]
    })
  return samples
}
