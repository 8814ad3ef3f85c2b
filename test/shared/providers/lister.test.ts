import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { md5Hex } from '../../../shared/crypto/hash.ts'
import { ObjectIOError, type ListedObject, type ObjectLister } from '../../../shared/engine/types.ts'
import { AccountSettings, createAdapter } from '../../../shared/providers/accounts.ts'
import type { R2BucketLike } from '../../../shared/providers/r2/r2-bucket.ts'
import { addFault, objectStoreRequestLog, seedObjectStoreBucket } from '../../emulators/control.ts'
import { TEST_ACCOUNTS } from '../../fixtures/accounts.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../../fixtures/emulator-ports.ts'
import { unique } from '../../helpers.ts'
import { listAll, thrown } from './object-io-helpers.ts'

const r2Binding = (name: string) => (env as unknown as Record<string, R2BucketLike | undefined>)[name]
const listerOf = (settings: unknown): ObjectLister => {
  const adapter = createAdapter(AccountSettings.parse(settings), { fetch, r2Binding })
  if (!adapter.lister) throw new Error(`${adapter.provider} has no lister`)
  return adapter.lister
}

/** Keys that must survive URLs, signatures, XML and encoding-type=url unchanged. */
const WEIRD = ['a b+c', '100%/x&y=z?#', 'ünï/中文/🙂', 'ctrl\u0001\u001f', "quote\"'<>", 'tab\tkey', '~!*()', ' lead']

const TARGETS = [
  { name: 's3', account: TEST_ACCOUNTS.s3, emulator: S3_EMULATOR_URL },
  { name: 's3-v2', account: TEST_ACCOUNTS['s3-v2'], emulator: S3_EMULATOR_URL },
  { name: 'ctyun', account: TEST_ACCOUNTS.ctyun, emulator: S3_EMULATOR_URL },
  { name: 'oss', account: TEST_ACCOUNTS.oss, emulator: OSS_EMULATOR_URL },
  { name: 'oss-v1', account: TEST_ACCOUNTS['oss-v1'], emulator: OSS_EMULATOR_URL },
]

describe.each(TARGETS)('ListObjectsV2 lister on $name', (t) => {
  const lister = listerOf(t.account)

  it('lists 2,500 objects page by page: every key under the prefix exactly once, in order, with size, time and ETag', async () => {
    const bucket = unique(`ls-${t.name}`)
    const inside = Array.from({ length: 2500 }, (_, i) => `logs/2024/${String(i).padStart(5, '0')}.csv`)
    const outside = ['logs/2023/old.csv', 'logs', 'other/1.csv', 'logs0']
    await seedObjectStoreBucket(t.emulator, bucket, [...inside, ...outside].map((key, i) => ({ key, body: 'x'.repeat(i % 7), lastModified: '2024-05-06T07:08:09.000Z' })))

    const pages = await listAll(lister, bucket, 'logs/2024/')
    expect(pages.map((p) => p.length)).toEqual([1000, 1000, 500])
    const keys = pages.flat().map((o) => o.key)
    expect(keys).toEqual(inside)
    expect(pages[0]![3]).toEqual({ key: inside[3], size: 3, lastModified: '2024-05-06T07:08:09.000Z', etag: expect.stringMatching(/^[0-9a-fA-F]{32}$/) })
    expect(pages[0]![3]!.etag!.toLowerCase()).toBe(await md5Hex('xxx'))

    const log = await objectStoreRequestLog(t.emulator, bucket)
    expect(log.map((e) => [e.operation, e.httpStatus])).toEqual([['ListObjectsV2', 200], ['ListObjectsV2', 200], ['ListObjectsV2', 200]])
    expect(log.every((e) => e.auth === (t.name === 's3-v2' || t.name === 'ctyun' ? 'AWS' : t.name === 'oss-v1' ? 'OSS' : e.auth))).toBe(true)
  })

  it('round-trips keys with spaces, +, %, unicode and control characters, with small pages that never overlap', async () => {
    const bucket = unique(`ls-weird-${t.name}`)
    const keys = WEIRD.map((k) => `w/${k}`)
    await seedObjectStoreBucket(t.emulator, bucket, [...keys, 'w', 'x/y'].map((key) => ({ key })))
    const pages = await listAll(lister, bucket, 'w/', 3)
    expect(pages.every((p) => p.length <= 3)).toBe(true)
    expect(pages.flat().map((o) => o.key).sort()).toEqual([...keys].sort())
    // A prefix that needs encoding itself.
    expect((await lister.list(bucket, 'w/100%/', null)).objects.map((o) => o.key)).toEqual(['w/100%/x&y=z?#'])
    expect((await lister.list(bucket, '', null)).objects).toHaveLength(keys.length + 2)
  })

  it('surfaces throttling and server faults as retriable ObjectIOErrors, and a missing bucket as NoSuchBucket', async () => {
    const bucket = unique(`ls-fault-${t.name}`)
    await seedObjectStoreBucket(t.emulator, bucket, [{ key: 'a' }, { key: 'b' }])
    await addFault(t.emulator, { bucket, kind: 'http', status: 503, retryAfter: 1 })
    const throttled = await thrown(lister.list(bucket, '', null))
    expect([throttled.code, throttled.retriable]).toEqual(['Throttled', true])
    await addFault(t.emulator, { bucket, kind: 'http', status: 500 })
    const broken = await thrown(lister.list(bucket, '', null))
    expect([broken.code, broken.retriable]).toEqual(['ProviderError', true])
    await addFault(t.emulator, { bucket, kind: 'garbage' })
    expect((await thrown(lister.list(bucket, '', null))).retriable).toBe(true)
    // The same cursor after a failure lists the same page.
    const first = await lister.list(bucket, '', null, { limit: 1 })
    await addFault(t.emulator, { bucket, kind: 'drop' })
    expect((await thrown(lister.list(bucket, '', first.next))).retriable).toBe(true)
    expect((await lister.list(bucket, '', first.next, { limit: 1 })).objects.map((o) => o.key)).toEqual(['b'])
    const missing = await thrown(lister.list(unique('ls-missing'), '', null))
    expect([missing.code, missing.retriable]).toEqual(['NoSuchBucket', false])
  })
})

describe('R2 lister (the local binding)', () => {
  const lister = listerOf({ provider: 'r2', buckets: { demo: 'DEMO_BUCKET', backup: 'BACKUP_BUCKET' } })

  it('lists every key under the prefix once across pages, with size, upload time and ETag', async () => {
    const prefix = `${unique('ls-r2')}/`
    // Fewer keys and smaller pages than elsewhere: a local R2 write takes milliseconds.
    const keys = Array.from({ length: 300 }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`)
    await Promise.all(keys.map((k, j) => env.DEMO_BUCKET.put(k, 'y'.repeat(j % 5))))
    await env.DEMO_BUCKET.put(`${prefix.slice(0, -1)}-outside`, 'z')
    const pages = await listAll(lister, 'demo', prefix, 120)
    expect(pages.map((p) => p.length)).toEqual([120, 120, 60])
    const whole = await lister.list('demo', prefix, null)
    expect([whole.objects.length, whole.next]).toEqual([300, null])
    expect(pages.flat().map((o) => o.key)).toEqual(keys)
    const head = await env.DEMO_BUCKET.head(keys[7]!)
    expect(pages[0]![7]).toEqual({ key: keys[7], size: 2, lastModified: head!.uploaded.toISOString(), etag: head!.etag })
  })

  it('round-trips unusual keys with small pages, and names a bucket the account lacks NoSuchBucket', async () => {
    const prefix = `${unique('ls-r2w')}/`
    await Promise.all(WEIRD.map((k) => env.DEMO_BUCKET.put(prefix + k, 'w')))
    const pages = await listAll(lister, 'demo', prefix, 3)
    expect(pages.every((p) => p.length <= 3)).toBe(true)
    expect(pages.flat().map((o) => o.key).sort()).toEqual(WEIRD.map((k) => prefix + k).sort())
    const missing = await thrown(listerOf({ provider: 'r2', buckets: { demo: 'DEMO_BUCKET' } }).list('nope', '', null))
    expect([missing.code, missing.retriable]).toEqual(['NoSuchBucket', false])
  })
})
