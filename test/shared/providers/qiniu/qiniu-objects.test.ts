import { afterEach, describe, expect, it } from 'vitest'
import { ObjectIOError, type ObjectIO, type ObjectLister } from '../../../../shared/engine/types.ts'
import { AccountSettings, createAdapter } from '../../../../shared/providers/accounts.ts'
import { qiniuEtag } from '../../../../shared/providers/qiniu/qiniu-etag.ts'
import { addFault, clearFaults, listObjects, requestLog, seedBucket } from '../../../emulators/control.ts'
import { QINIU_CREDENTIALS, QINIU_EMULATOR_URL } from '../../../fixtures/qiniu-credentials.ts'
import { QINIU_Z1_EMULATOR_URL, QINIU_Z1_PREFIX } from '../../../fixtures/qiniu-regions.ts'
import { unique } from '../../../helpers.ts'
import { thrown } from '../object-io-helpers.ts'

const URL_ = QINIU_EMULATOR_URL
const r2Binding = () => undefined

/** A Qiniu account whose every host is the emulator, its download domain serving `bucket`. */
function account(bucket: string, over: Record<string, unknown> = {}) {
  return { provider: 'qiniu', accessKey: 'qn-test-ak', secretKey: QINIU_CREDENTIALS['qn-test-ak'], endpoint: URL_, rsfEndpoint: URL_, upEndpoint: URL_, downloadDomain: `${URL_}/download/${bucket}`, ...over }
}
function adapterOf(settings: Record<string, unknown>): { objects: ObjectIO; lister: ObjectLister } {
  // fetch wrapped as the Worker passes it (workers/runtime/config.ts): never called as a method.
  const adapter = createAdapter(AccountSettings.parse(settings), { fetch: (input, init) => fetch(input, init), r2Binding })
  if (!adapter.objects || !adapter.lister) throw new Error('qiniu has no objects or lister')
  return { objects: adapter.objects, lister: adapter.lister }
}

const utf8 = (s: string) => new TextEncoder().encode(s)
const CSV = Array.from({ length: 40 }, (_, i) => `${i},naïve café,日本語,😀\n`).join('')
const CSV_BYTES = utf8(CSV)
/** Keys whose every awkward character must survive the download URL, the upload form and the entry. */
const ODD_KEYS = ['dir/a b.csv', 'plus+sign.csv', 'per%25cent%.csv', 'q?x=1#frag.csv', 'ünï/日本/😀.csv', 'line\nbreak\r.csv', '/lead//double']

let buckets: string[] = []
async function bucket(objects: Parameters<typeof seedBucket>[2] = []) {
  const b = unique('qn-oio')
  await seedBucket(URL_, b, objects)
  buckets.push(b)
  return b
}
afterEach(async () => {
  await Promise.all(buckets.map((b) => clearFaults(URL_, b)))
  buckets = []
})

describe.each([
  { auth: 'qiniu', ak: 'qn-test-ak' },
  { auth: 'qbox', ak: 'qn-qbox-ak' },
])('Qiniu objects with the $auth token', ({ auth, ak }) => {
  const settingsFor = (b: string) => account(b, { auth, accessKey: ak, secretKey: QINIU_CREDENTIALS[ak] })

  it('writes, heads and reads back an object, the upload’s hash being the content’s qetag and the stored hash', async () => {
    const b = await bucket()
    const { objects } = adapterOf(settingsFor(b))
    const written = await objects.write(b, 'reports/r.csv', CSV, 'text/csv; charset=utf-8')
    expect(written.etag).toBe(await qiniuEtag(CSV_BYTES))
    const [stored] = await listObjects(URL_, b)
    expect(stored).toMatchObject({ key: 'reports/r.csv', hash: written.etag, fsize: CSV_BYTES.length, mimeType: 'text/csv; charset=utf-8' })
    expect(await objects.head(b, 'reports/r.csv')).toEqual({ size: CSV_BYTES.length, etag: written.etag })
    expect(await objects.readRange(b, 'reports/r.csv', 0, CSV_BYTES.length)).toEqual(CSV_BYTES)
    expect(await objects.head(b, 'reports/missing.csv')).toBeNull()
    // The upload went to the up host's POST /, the head to RS and the read to the download domain.
    const paths = (await requestLog(URL_, b)).map((e) => `${e.method} ${e.path.split('/').slice(0, 2).join('/')} ${e.httpStatus}`)
    expect(paths).toEqual(['POST / 200', `POST /stat 200`, 'GET /download 206', 'POST /stat 612'])
  })

  it('reads windows that reassemble the exact bytes, clamps past the end and answers empty beyond it', async () => {
    const b = await bucket()
    const { objects } = adapterOf(settingsFor(b))
    await objects.write(b, 'm.csv', CSV_BYTES, 'text/csv')
    for (const size of [7, 1000]) {
      const parts: Uint8Array[] = []
      for (let start = 0; start < CSV_BYTES.length; start += size) parts.push(await objects.readRange(b, 'm.csv', start, start + size))
      expect(parts.length).toBe(Math.ceil(CSV_BYTES.length / size))
      expect(new Uint8Array(parts.flatMap((p) => [...p]))).toEqual(CSV_BYTES)
    }
    expect(await objects.readRange(b, 'm.csv', CSV_BYTES.length - 3, CSV_BYTES.length + 100)).toEqual(CSV_BYTES.slice(-3))
    expect((await objects.readRange(b, 'm.csv', CSV_BYTES.length, CSV_BYTES.length + 10)).length).toBe(0)
    expect((await objects.readRange(b, 'm.csv', 5, 5)).length).toBe(0)
    await objects.write(b, 'empty.csv', '', 'text/csv')
    expect(await objects.head(b, 'empty.csv')).toEqual({ size: 0, etag: 'Fto5o-5ea0sNMlW_75VgGJCv2AcJ' })
    expect((await objects.readRange(b, 'empty.csv', 0, 10)).length).toBe(0)
  })
})

describe('Qiniu objects', () => {
  it('overwrites an object on rewrite (the token is scoped to the key) and reads the new content', async () => {
    const b = await bucket()
    const { objects } = adapterOf(account(b))
    const first = await objects.write(b, 'r.json', '{"v":1}', 'application/json')
    const second = await objects.write(b, 'r.json', '{"v":2}', 'application/json')
    expect(second.etag).not.toBe(first.etag)
    expect(await objects.head(b, 'r.json')).toEqual({ size: 7, etag: second.etag })
    expect(new TextDecoder().decode(await objects.readRange(b, 'r.json', 0, 7))).toBe('{"v":2}')
  })

  it('writes and reads a 5 MiB object whose qetag hashes two 4 MiB blocks', async () => {
    const b = await bucket()
    const { objects } = adapterOf(account(b))
    const big = Uint8Array.from({ length: 5 * 1024 * 1024 + 17 }, (_, i) => (i * 31 + (i >> 12)) & 0xff)
    const { etag } = await objects.write(b, 'big.bin', big, 'application/octet-stream')
    expect(etag).toBe(await qiniuEtag(big))
    expect(etag.startsWith('l')).toBe(true) // 0x96: the several-blocks form
    expect((await listObjects(URL_, b))[0]!.hash).toBe(etag)
    const at = 4 * 1024 * 1024 - 5
    expect(await objects.readRange(b, 'big.bin', at, at + 10)).toEqual(big.slice(at, at + 10))
  })

  it('addresses keys with spaces, +, %, ?, #, non-ASCII, line breaks and empty segments', async () => {
    const b = await bucket()
    const { objects } = adapterOf(account(b))
    for (const [i, key] of ODD_KEYS.entries()) {
      const body = `row ${i} of ${key}\n`
      const { etag } = await objects.write(b, key, body, 'text/plain')
      expect(await objects.head(b, key), key).toEqual({ size: utf8(body).length, etag })
      expect(new TextDecoder().decode(await objects.readRange(b, key, 0, 1000)), key).toBe(body)
    }
    expect((await listObjects(URL_, b)).map((o) => o.key).sort()).toEqual([...ODD_KEYS].sort())
  })

  it('answers NoSuchKey for reading a missing object and NoSuchBucket for a missing bucket', async () => {
    const b = await bucket()
    const { objects } = adapterOf(account(b))
    expect(await thrown(objects.readRange(b, 'nope.csv', 0, 10))).toMatchObject({ code: 'NoSuchKey', retriable: false })
    const missing = unique('qn-oio-missing')
    expect(await thrown(objects.head(missing, 'k'))).toMatchObject({ code: 'NoSuchBucket', retriable: false })
    expect(await thrown(objects.write(missing, 'k', 'x', 'text/plain'))).toMatchObject({ code: 'NoSuchBucket', retriable: false })
  })

  it('refuses with AccessDenied, not retriable, when the secret is wrong, on every call', async () => {
    const b = await bucket([{ key: 'a' }])
    const { objects, lister } = adapterOf(account(b, { secretKey: 'not-the-secret' }))
    for (const call of [() => objects.head(b, 'a'), () => objects.readRange(b, 'a', 0, 1), () => objects.write(b, 'w', 'x', 'text/plain'), () => lister.list(b, '', null)]) {
      const err = await thrown(call())
      expect(err).toMatchObject({ code: 'AccessDenied', retriable: false })
      expect(err.message).not.toMatch(/token=|qn-test-sk|not-the-secret/)
    }
    expect((await listObjects(URL_, b)).map((o) => o.key)).toEqual(['a'])
  })

  it('makes server faults, throttling and dropped connections retriable, and recovers once they pass', async () => {
    const b = await bucket()
    const { objects, lister } = adapterOf(account(b))
    await objects.write(b, 'm.csv', CSV, 'text/csv')
    await addFault(URL_, { bucket: b, kind: 'http', status: 503, times: 4 })
    for (const call of [() => objects.head(b, 'm.csv'), () => objects.readRange(b, 'm.csv', 0, 5), () => objects.write(b, 'w.csv', 'x', 'text/csv'), () => lister.list(b, '', null)])
      expect(await thrown(call())).toMatchObject({ code: 'ProviderError', retriable: true })
    await addFault(URL_, { bucket: b, kind: 'http', status: 573 })
    expect(await thrown(objects.readRange(b, 'm.csv', 0, 5))).toMatchObject({ code: 'Throttled', retriable: true })
    await addFault(URL_, { bucket: b, kind: 'drop' })
    expect(await thrown(objects.write(b, 'w.csv', 'x', 'text/csv'))).toMatchObject({ code: 'ProviderError', retriable: true })
    await addFault(URL_, { bucket: b, kind: 'garbage' })
    expect(await thrown(objects.write(b, 'w.csv', 'x', 'text/csv'))).toMatchObject({ code: 'ProviderError', retriable: true })
    expect((await objects.write(b, 'w.csv', 'x', 'text/csv')).etag).toBe(await qiniuEtag(utf8('x')))
    expect(await objects.readRange(b, 'm.csv', 0, 5)).toEqual(CSV_BYTES.slice(0, 5))
  })

  it('cannot read objects on an account without a download domain, and says so at head', async () => {
    const b = await bucket([{ key: 'a' }])
    const { objects } = adapterOf(account(b, { downloadDomain: undefined }))
    for (const call of [() => objects.head(b, 'a'), () => objects.readRange(b, 'a', 0, 1)]) {
      const err = await thrown(call())
      expect(err).toMatchObject({ code: 'InvalidArgument', retriable: false })
      expect(err.message).toMatch(/downloadDomain/)
    }
    // Writing (reports) needs no download domain.
    expect((await objects.write(b, 'r.csv', 'x', 'text/csv')).etag).toBe(await qiniuEtag(utf8('x')))
    // ioEndpoint serves as the domain when downloadDomain is not set.
    const viaIo = adapterOf(account(b, { downloadDomain: undefined, ioEndpoint: `${URL_}/download/${b}` }))
    expect(new TextDecoder().decode(await viaIo.objects.readRange(b, 'r.csv', 0, 1))).toBe('x')
  })
})

describe('Qiniu listing', () => {
  it('lists 2,500 objects in pages of 1,000, every key exactly once, in key order, with size, date and hash', async () => {
    const keys = [...Array.from({ length: 2500 - ODD_KEYS.length }, (_, i) => `k/${String(i).padStart(5, '0')}`), ...ODD_KEYS]
    const b = await bucket(keys.map((key, i) => ({ key, fsize: i, putTime: String(16942710672072363n + BigInt(i) * 10_000n) })))
    const { lister } = adapterOf(account(b))
    const seen: string[] = []
    const sizes: number[] = []
    let cursor: string | null = null
    do {
      const page = await lister.list(b, '', cursor)
      sizes.push(page.objects.length)
      for (const o of page.objects) {
        seen.push(o.key)
        const i = keys.indexOf(o.key)
        expect(o).toEqual({ key: o.key, size: i, lastModified: new Date(1694271067207 + i).toISOString(), etag: expect.stringMatching(/^F[\w-]{27}$/) })
      }
      cursor = page.next
    } while (cursor !== null)
    expect(sizes).toEqual([1000, 1000, 500])
    expect(new Set(seen).size).toBe(2500)
    const byBytes = (a: string, b2: string) => Buffer.compare(Buffer.from(a), Buffer.from(b2))
    expect(seen).toEqual([...keys].sort(byBytes))
    const stored = new Map((await listObjects(URL_, b)).map((o) => [o.key, o.hash]))
    const first = await lister.list(b, 'k/0000', null, { limit: 3 })
    expect(first.objects.map((o) => [o.key, o.etag])).toEqual(['k/00000', 'k/00001', 'k/00002'].map((k) => [k, stored.get(k)]))
  })

  it('pages by a smaller limit and a prefix, capping limits above 1,000, and ends on an empty bucket at once', async () => {
    const b = await bucket(['a/1', 'a/2', 'a/3', 'a b/1', 'b/1', 'a+/1'].map((key) => ({ key })))
    const { lister } = adapterOf(account(b))
    const pages: string[][] = []
    let cursor: string | null = null
    do {
      const page = await lister.list(b, 'a/', cursor, { limit: 2 })
      pages.push(page.objects.map((o) => o.key))
      cursor = page.next
    } while (cursor !== null)
    expect(pages).toEqual([['a/1', 'a/2'], ['a/3']])
    expect((await lister.list(b, 'a b/', null, { limit: 5000 })).objects.map((o) => o.key)).toEqual(['a b/1'])
    expect((await lister.list(b, 'a+', null)).objects.map((o) => o.key)).toEqual(['a+/1'])
    expect(await lister.list(await bucket(), '', null)).toEqual({ objects: [], next: null })
    expect(await thrown(lister.list(unique('qn-missing'), '', null))).toMatchObject({ code: 'NoSuchBucket', retriable: false })
    expect(await thrown(lister.list(b, '', 'not a marker'))).toMatchObject({ code: 'InvalidArgument', retriable: false })
  })
})

describe('Qiniu objects on an account spanning regions', () => {
  it('stats, uploads and lists a bucket of the second region on that region’s hosts, as uc names them', async () => {
    const b = `${QINIU_Z1_PREFIX}${unique('qn-oio')}`
    await seedBucket(QINIU_Z1_EMULATOR_URL, b, [{ key: 'seeded' }])
    // No rsf/up endpoints: region discovery (uc on the first region) finds them.
    const { objects, lister } = adapterOf(account(b, { regions: 'auto', ucEndpoint: URL_, rsfEndpoint: undefined, upEndpoint: undefined, downloadDomain: `${QINIU_Z1_EMULATOR_URL}/download/${b}` }))
    const { etag } = await objects.write(b, 'r.csv', CSV, 'text/csv')
    expect(await objects.head(b, 'r.csv')).toEqual({ size: CSV_BYTES.length, etag })
    expect(await objects.readRange(b, 'r.csv', 0, CSV_BYTES.length)).toEqual(CSV_BYTES)
    expect((await lister.list(b, '', null)).objects.map((o) => o.key)).toEqual(['r.csv', 'seeded'])
    const z1 = (await requestLog(QINIU_Z1_EMULATOR_URL, b)).map((e) => `${e.method} ${e.path.split('/').slice(0, 2).join('/')}`)
    expect(z1).toEqual(['POST /', 'POST /stat', 'GET /download', 'GET /list'])
    // An account pinned to the first region's hosts is refused there, as Qiniu refuses the wrong region.
    const pinned = adapterOf(account(b))
    expect(await thrown(pinned.objects.write(b, 'w.csv', 'x', 'text/csv'))).toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/incorrect region/) })
    expect(await thrown(pinned.lister.list(b, '', null))).toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/incorrect region/) })
  })
})
