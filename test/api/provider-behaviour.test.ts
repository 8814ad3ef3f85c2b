import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { listDriveFiles, listObjectStoreObjects, listObjects, seedBucket, seedDrive, seedObjectStoreBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL } from '../fixtures/accounts.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { PDS_EMULATOR_URL } from '../fixtures/pds.ts'
import { batch, unique } from '../helpers.ts'

/**
 * How the shared suite reaches one provider: seed named objects, address them, and read back
 * which names exist. (PDS addresses files by id and names copies by parent folder + name.)
 */
interface Driver {
  account: string
  /** Creates a fresh bucket holding `objects` (name → content); returns the bucket and each name's key. */
  seed(objects: Record<string, string>): Promise<{ bucket: string; keyOf: (name: string) => string }>
  destination(bucket: string, name: string): Record<string, string>
  names(bucket: string): Promise<string[]>
  /** A kind this provider cannot do, to check 501 NotSupported beside the rest. */
  unsupported: Record<string, unknown>
}

const objectStore = (account: string, emu: string): Driver => ({
  account,
  async seed(objects) {
    const bucket = unique(account)
    await seedObjectStoreBucket(emu, bucket, Object.entries(objects).map(([key, body]) => ({ key, body, contentType: 'text/plain' })))
    return { bucket, keyOf: (n) => n }
  },
  destination: (bucket, name) => ({ bucket, key: name }),
  names: async (bucket) => (await listObjectStoreObjects(emu, bucket)).map((o) => o.key).sort(),
  unsupported: { op: 'setStatus', enabled: false },
})

const DRIVERS: Driver[] = [
  {
    account: 'qiniu',
    async seed(objects) {
      const bucket = unique('qiniu')
      await seedBucket(QINIU_EMULATOR_URL, bucket, Object.entries(objects).map(([key, body]) => ({ key, fsize: body.length, mimeType: 'text/plain' })))
      return { bucket, keyOf: (n) => n }
    },
    destination: (bucket, name) => ({ bucket, key: name }),
    names: async (bucket) => (await listObjects(QINIU_EMULATOR_URL, bucket)).map((o) => o.key).sort(),
    unsupported: { op: 'putAcl', acl: 'private' },
  },
  objectStore('s3', S3_EMULATOR_URL),
  objectStore('ctyun', S3_EMULATOR_URL),
  objectStore('oss', OSS_EMULATOR_URL),
  {
    account: 'pds',
    async seed(objects) {
      const bucket = unique('drive')
      const ids = new Map(Object.keys(objects).map((name, i) => [name, `file-${i}-${unique('id')}`]))
      await seedDrive(PDS_EMULATOR_URL, bucket, Object.entries(objects).map(([name, body]) => ({ fileId: ids.get(name)!, name, parentFileId: 'root', size: body.length, mimeType: 'text/plain' })))
      return { bucket, keyOf: (n) => ids.get(n) ?? `missing-${n}` }
    },
    destination: (bucket, name) => ({ bucket, parentFileId: 'root', name }),
    names: async (bucket) => (await listDriveFiles(PDS_EMULATOR_URL, bucket)).filter((f) => f.type === 'file').map((f) => f.name).sort(),
    unsupported: { op: 'setStorageClass', storageClass: 'IA' },
  },
  {
    account: 'local',
    // The embedded account has fixed buckets; a unique prefix isolates each test.
    async seed(objects) {
      const prefix = `${unique('r2')}/`
      await Promise.all(Object.entries(objects).map(([name, body]) => env.DEMO_BUCKET.put(prefix + name, body, { httpMetadata: { contentType: 'text/plain' } })))
      return { bucket: 'demo', keyOf: (n) => prefix + n }
    },
    destination: (bucket, name) => ({ bucket, key: name }),
    names: async () => [],
    unsupported: { op: 'restore', days: 1 },
  },
]

describe.each(DRIVERS)('the same behaviour on $account', (d) => {
  const r2 = d.account === 'local'
  // R2 keys carry the test's prefix; the others compare plain names.
  const namesOf = async (bucket: string, keyOf: (n: string) => string, names: string[]) =>
    r2 ? (await Promise.all(names.map(async (n) => ((await env.DEMO_BUCKET.head(keyOf(n))) ? n : null)))).filter(Boolean) : await d.names(bucket)

  it('stats an object into the unified shape and a missing one as NoSuchKey', async () => {
    const { bucket, keyOf } = await d.seed({ 'a.txt': 'hello' })
    const r = await batch(d.account, [{ op: 'stat', bucket, key: keyOf('a.txt') }, { op: 'stat', bucket, key: keyOf('nope') }])
    expect(r.status).toBe(207)
    expect(r.json.results[0]).toMatchObject({
      status: 200,
      data: { size: 5, etag: expect.any(String), contentType: 'text/plain', lastModified: expect.stringMatching(/^\d{4}-/), storageClass: 'STANDARD', metadata: {} },
    })
    expect(r.json.results[1]).toMatchObject({ status: 404, error: { code: 'NoSuchKey' } })
  })

  it('copies without overwriting, moves with overwrite, and deletes idempotently', async () => {
    const { bucket, keyOf } = await d.seed({ src: 'one', taken: 'two', gone: 'three' })
    const dest = (n: string) => d.destination(bucket, r2 ? keyOf(n) : n)
    const r = await batch(d.account, [
      { op: 'copy', bucket, key: keyOf('src'), destination: dest('copied') },
      { op: 'copy', bucket, key: keyOf('src'), destination: dest('taken') },
      { op: 'move', bucket, key: keyOf('gone'), destination: dest('taken'), overwrite: true },
      { op: 'delete', bucket, key: keyOf('src') },
      { op: 'delete', bucket, key: keyOf('never-was') },
    ])
    expect(r.json.results.map((x: any) => [x.status, x.error?.code])).toEqual([[200, undefined], [409, 'DestinationExists'], [200, undefined], [200, undefined], [200, undefined]])
    expect(await namesOf(bucket, keyOf, ['copied', 'gone', 'src', 'taken'])).toEqual(['copied', 'taken'])
  })

  it('sets metadata that a stat then shows', async () => {
    const { bucket, keyOf } = await d.seed({ m: 'meta' })
    const set = await batch(d.account, [{ op: 'setMetadata', bucket, key: keyOf('m'), metadata: { team: 'data' } }])
    expect(set.json.results[0].status).toBe(200)
    const stat = await batch(d.account, [{ op: 'stat', bucket, key: keyOf('m') }])
    expect(stat.json.results[0].data.metadata).toEqual({ team: 'data' })
  })

  it('answers NotSupported for a kind the provider lacks while the rest of the batch runs', async () => {
    const { bucket, keyOf } = await d.seed({ k: 'x' })
    const r = await batch(d.account, [{ ...d.unsupported, bucket, key: keyOf('k') }, { op: 'stat', bucket, key: keyOf('k') }])
    expect(r.json.results.map((x: any) => [x.status, x.error?.code])).toEqual([[501, 'NotSupported'], [200, undefined]])
  })

  it('refuses a versionId or destination it cannot take before running anything', async () => {
    const { bucket, keyOf } = await d.seed({ k: 'x' })
    const wrongDestination = d.account === 'pds' ? { bucket, key: 'k2' } : { bucket, parentFileId: 'root' }
    const r = await batch(d.account, [{ op: 'delete', bucket, key: keyOf('k') }, { op: 'copy', bucket, key: keyOf('k'), destination: wrongDestination }])
    expect(r.status).toBe(400)
    expect(r.json.errors.map((e: any) => e.path)).toContain('operations[1].destination.parentFileId'.replace('parentFileId', d.account === 'pds' ? 'key' : 'parentFileId'))
    const still = await batch(d.account, [{ op: 'stat', bucket, key: keyOf('k') }])
    expect(still.json.results[0].status).toBe(200)
  })
})
