import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import { md5Base64, md5Hex } from '../../../shared/crypto/hash.ts'
import { ObjectIOError, type ObjectIO } from '../../../shared/engine/types.ts'
import { AccountSettings, createAdapter } from '../../../shared/providers/accounts.ts'
import { ossDialect } from '../../../shared/providers/oss/oss-adapter.ts'
import { OssAccount } from '../../../shared/providers/oss/oss-account.ts'
import type { R2BucketLike } from '../../../shared/providers/r2/r2-bucket.ts'
import { buildRestRequest } from '../../../shared/providers/rest/rest-client.ts'
import { parseErrorDocument, restErrorOutcome } from '../../../shared/providers/rest/rest-codes.ts'
import type { RestDialect } from '../../../shared/providers/rest/rest-dialect.ts'
import { S3Account } from '../../../shared/providers/s3/s3-account.ts'
import { s3Dialect } from '../../../shared/providers/s3/s3-adapter.ts'
import { addFault, clearFaults, listObjectStoreObjects, objectStoreRequestLog, seedObjectStoreBucket } from '../../emulators/control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../../fixtures/emulator-ports.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from '../../fixtures/objectstore-credentials.ts'
import { unique } from '../../helpers.ts'
import { thrown } from './object-io-helpers.ts'

const r2Binding = (name: string) => (env as unknown as Record<string, R2BucketLike | undefined>)[name]
const objectsOf = (settings: Record<string, unknown>): ObjectIO => {
  const adapter = createAdapter(AccountSettings.parse(settings), { fetch, r2Binding })
  if (!adapter.objects) throw new Error(`${adapter.provider} has no objects`)
  return adapter.objects
}

const S3 = { provider: 's3', endpoint: S3_EMULATOR_URL, region: 'us-east-1', accessKeyId: 's3-test-ak', secretAccessKey: S3_CREDENTIALS['s3-test-ak'] }
const CTYUN = { provider: 'ctyun', endpoint: S3_EMULATOR_URL, accessKeyId: 's3-ctyun-ak', secretAccessKey: S3_CREDENTIALS['s3-ctyun-ak'] }
const OSS = { provider: 'oss', endpoint: OSS_EMULATOR_URL, region: 'cn-hangzhou', accessKeyId: 'oss-test-ak', accessKeySecret: OSS_CREDENTIALS['oss-test-ak'] }

/** Text whose multi-byte characters (2, 3 and 4 bytes) fall across any small window's edges. */
const CSV = Array.from({ length: 40 }, (_, i) => `${i},naïve café,日本語テキスト,😀🎉,"a ""quoted"" field"\n`).join('')
const CSV_BYTES = new TextEncoder().encode(CSV)
const BINARY = Uint8Array.from({ length: 256 * 1024 + 3 }, (_, i) => (i * 31 + (i >> 8)) & 0xff)

/** How the shared suite reaches one provider: an ObjectIO, a fresh bucket seeded with objects, and what a bucket holds. */
interface Target {
  name: string
  objects: ObjectIO
  /** Creates a bucket holding `objects` (key → content); returns its name. */
  seed(objects: Record<string, string | Uint8Array>): Promise<string>
  /** Key → [content type, bytes] of what the bucket holds now, as the store itself reports it. */
  stored(bucket: string, key: string): Promise<{ contentType: string; bytes: Uint8Array } | undefined>
  missingBucket: string
}

const toBase64 = (b: Uint8Array) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join(''))
const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

function objectStore(name: string, settings: Record<string, unknown>, emulator: string): Target {
  return {
    name,
    objects: objectsOf(settings),
    async seed(objects) {
      const bucket = unique(`oio-${name}`)
      await seedObjectStoreBucket(emulator, bucket, Object.entries(objects).map(([key, body]) => (typeof body === 'string' ? { key, body } : { key, bodyBase64: toBase64(body) })))
      return bucket
    },
    async stored(bucket, key) {
      const o = (await listObjectStoreObjects(emulator, bucket)).find((x) => x.key === key)
      return o && { contentType: o.contentType, bytes: fromBase64(o.bodyBase64) }
    },
    missingBucket: 'oio-no-such-bucket',
  }
}

// R2 has one bucket in the test Worker; every seed gets its own key prefix inside it.
let r2Prefix = ''
const r2: Target = {
  name: 'r2',
  objects: objectsOf({ provider: 'r2', buckets: { demo: 'DEMO_BUCKET' } }),
  async seed(objects) {
    r2Prefix = `${unique('oio')}/`
    await Promise.all(Object.entries(objects).map(([key, body]) => env.DEMO_BUCKET.put(r2Prefix + key, body)))
    return 'demo'
  },
  async stored(_bucket, key) {
    const o = await env.DEMO_BUCKET.get(key)
    return o ? { contentType: o.httpMetadata?.contentType ?? '', bytes: new Uint8Array(await o.arrayBuffer()) } : undefined
  },
  missingBucket: 'backup',
}

const TARGETS: Target[] = [
  objectStore('s3', S3, S3_EMULATOR_URL),
  objectStore('s3-v2', { ...S3, signatureVersion: 'v2' }, S3_EMULATOR_URL),
  objectStore('ctyun', CTYUN, S3_EMULATOR_URL),
  objectStore('oss', OSS, OSS_EMULATOR_URL),
  objectStore('oss-v1', { ...OSS, signatureVersion: 'v1' }, OSS_EMULATOR_URL),
  r2,
]

/** The key as the target addresses it (R2 keys live under this seed's prefix). */
const k = (t: Target, key: string) => (t.name === 'r2' ? r2Prefix + key : key)

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

describe.each(TARGETS)('ObjectIO on $name', (t) => {
  it('heads an existing object (size and the provider ETag, unquoted) and answers null for a missing one', async () => {
    const bucket = await t.seed({ 'm/manifest.csv': CSV, 'm/empty.csv': '' })
    const head = await t.objects.head(bucket, k(t, 'm/manifest.csv'))
    expect(head).toEqual({ size: CSV_BYTES.length, etag: expect.stringMatching(/^[0-9a-fA-F]{32}$/) })
    expect(head!.etag.toLowerCase()).toBe(await md5Hex(CSV_BYTES))
    expect(await t.objects.head(bucket, k(t, 'm/empty.csv'))).toMatchObject({ size: 0 })
    expect(await t.objects.head(bucket, k(t, 'm/missing.csv'))).toBeNull()
  })

  it('reads windows across the whole object that reassemble the exact bytes, multi-byte characters split between windows', async () => {
    const bucket = await t.seed({ 'manifest.csv': CSV })
    const key = k(t, 'manifest.csv')
    for (const size of [7, 1000]) {
      const parts: Uint8Array[] = []
      for (let start = 0; start < CSV_BYTES.length; start += size) parts.push(await t.objects.readRange(bucket, key, start, start + size))
      expect(parts.length).toBe(Math.ceil(CSV_BYTES.length / size))
      // The last window asked past the end and was clamped to the size.
      expect(parts.at(-1)!.length).toBe(CSV_BYTES.length - (parts.length - 1) * size)
      expect(concat(parts)).toEqual(CSV_BYTES)
      const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
      expect(parts.map((p) => decoder.decode(p, { stream: true })).join('') + decoder.decode()).toBe(CSV)
    }
    // 'ï' is two bytes: a window boundary inside it yields half a character on each side.
    const at = CSV_BYTES.indexOf(0xc3)
    expect([...(await t.objects.readRange(bucket, key, at, at + 1))]).toEqual([0xc3])
    expect([...(await t.objects.readRange(bucket, key, at + 1, at + 2))]).toEqual([0xaf])
  })

  it('answers empty for ranges at or past the end and for empty objects, and clamps a range running past it', async () => {
    const bucket = await t.seed({ 'a.csv': 'hello', 'empty.csv': '' })
    const key = k(t, 'a.csv')
    expect(new TextDecoder().decode(await t.objects.readRange(bucket, key, 3, 100))).toBe('lo')
    expect((await t.objects.readRange(bucket, key, 5, 10)).length).toBe(0)
    expect((await t.objects.readRange(bucket, key, 6, 10)).length).toBe(0)
    expect((await t.objects.readRange(bucket, key, 2, 2)).length).toBe(0)
    expect((await t.objects.readRange(bucket, k(t, 'empty.csv'), 0, 10)).length).toBe(0)
    expect((await thrown(t.objects.readRange(bucket, key, -1, 3))).code).toBe('InvalidArgument')
  })

  it('writes text and bytes that head and readRange give back exactly, with the MD5 as ETag and the content type kept', async () => {
    const bucket = await t.seed({ 'seed.txt': 'x' })
    const text = await t.objects.write(bucket, k(t, 'reports/shard-0001.csv'), CSV, 'text/csv; charset=utf-8')
    expect(text.etag.toLowerCase()).toBe(await md5Hex(CSV_BYTES))
    expect(await t.objects.head(bucket, k(t, 'reports/shard-0001.csv'))).toEqual({ size: CSV_BYTES.length, etag: text.etag })
    expect(await t.objects.readRange(bucket, k(t, 'reports/shard-0001.csv'), 0, CSV_BYTES.length)).toEqual(CSV_BYTES)
    expect(await t.stored(bucket, k(t, 'reports/shard-0001.csv'))).toEqual({ contentType: 'text/csv; charset=utf-8', bytes: CSV_BYTES })

    const bin = await t.objects.write(bucket, k(t, 'reports/ü bin.dat'), BINARY, 'application/octet-stream')
    expect(bin.etag.toLowerCase()).toBe(await md5Hex(BINARY))
    expect(await t.objects.head(bucket, k(t, 'reports/ü bin.dat'))).toEqual({ size: BINARY.length, etag: bin.etag })
    const mid = 128 * 1024 + 1
    expect(concat([await t.objects.readRange(bucket, k(t, 'reports/ü bin.dat'), 0, mid), await t.objects.readRange(bucket, k(t, 'reports/ü bin.dat'), mid, BINARY.length + 1)])).toEqual(BINARY)

    // Overwriting replaces the whole object.
    const again = await t.objects.write(bucket, k(t, 'reports/shard-0001.csv'), 'id\n', 'text/csv')
    expect(await t.objects.head(bucket, k(t, 'reports/shard-0001.csv'))).toEqual({ size: 3, etag: again.etag })
  })

  it('refuses a missing bucket with NoSuchBucket and a missing key with NoSuchKey, neither retriable', async () => {
    const bucket = await t.seed({ 'a.csv': 'a' })
    for (const call of [
      () => t.objects.head(t.missingBucket, k(t, 'a.csv')),
      () => t.objects.readRange(t.missingBucket, k(t, 'a.csv'), 0, 1),
      () => t.objects.write(t.missingBucket, k(t, 'a.csv'), 'a', 'text/plain'),
    ]) {
      const err = await thrown(call())
      expect([err.code, err.retriable]).toEqual(['NoSuchBucket', false])
    }
    const err = await thrown(t.objects.readRange(bucket, k(t, 'missing.csv'), 0, 1))
    expect([err.code, err.retriable]).toEqual(['NoSuchKey', false])
    expect((await thrown(t.objects.write(bucket, '', 'a', 'text/plain'))).code).toBe('InvalidArgument')
  })
})

const REST_TARGETS = TARGETS.filter((t) => t.name !== 'r2')
const WRONG_SECRET: Record<string, Record<string, unknown>> = {
  s3: { ...S3, secretAccessKey: 'not-the-secret' },
  's3-v2': { ...S3, signatureVersion: 'v2', secretAccessKey: 'not-the-secret' },
  ctyun: { ...CTYUN, secretAccessKey: 'not-the-secret' },
  oss: { ...OSS, accessKeySecret: 'not-the-secret' },
  'oss-v1': { ...OSS, signatureVersion: 'v1', accessKeySecret: 'not-the-secret' },
}
const emulatorOf = (t: Target) => (t.name.startsWith('oss') ? OSS_EMULATOR_URL : S3_EMULATOR_URL)

describe.each(REST_TARGETS)('ObjectIO on $name: refusals and faults', (t) => {
  let faulted: string | undefined
  afterEach(async () => {
    if (faulted) await clearFaults(emulatorOf(t), faulted)
    faulted = undefined
  })

  it('maps a wrong secret to AccessDenied, not retriable, on every call', async () => {
    const bucket = await t.seed({ 'a.csv': 'abc' })
    const wrong = objectsOf(WRONG_SECRET[t.name]!)
    for (const call of [() => wrong.head(bucket, 'a.csv'), () => wrong.readRange(bucket, 'a.csv', 0, 2), () => wrong.write(bucket, 'b.csv', 'b', 'text/csv')]) {
      const err = await thrown(call())
      expect([err.code, err.retriable]).toEqual(['AccessDenied', false])
    }
    expect((await t.stored(bucket, 'b.csv'))).toBeUndefined()
  })

  it('makes SlowDown a retriable Throttled and a server fault a retriable ProviderError', async () => {
    const bucket = await t.seed({ 'a.csv': 'abc' })
    faulted = bucket
    const emu = emulatorOf(t)
    await addFault(emu, { kind: 'http', bucket, status: 503, errorCode: 'SlowDown', retryAfter: 1, times: 3 })
    for (const call of [() => t.objects.head(bucket, 'a.csv'), () => t.objects.readRange(bucket, 'a.csv', 0, 2), () => t.objects.write(bucket, 'b.csv', 'b', 'text/csv')]) {
      const err = await thrown(call())
      expect([err.code, err.retriable]).toEqual(['Throttled', true])
    }
    await addFault(emu, { kind: 'http', bucket, status: 500, errorCode: 'InternalError' })
    const err = await thrown(t.objects.readRange(bucket, 'a.csv', 0, 2))
    expect([err.code, err.retriable]).toEqual(['ProviderError', true])
    // Once the faults are spent the same calls go through.
    expect(new TextDecoder().decode(await t.objects.readRange(bucket, 'a.csv', 0, 2))).toBe('ab')
  })

  it("turns the signal's timeout into a retriable Timeout and passes any other abort reason through", async () => {
    const bucket = await t.seed({ 'a.csv': 'abc' })
    faulted = bucket
    await addFault(emulatorOf(t), { kind: 'delay', bucket, ms: 400, times: 2 })
    const err = await thrown(t.objects.readRange(bucket, 'a.csv', 0, 2, AbortSignal.timeout(50)))
    expect([err.code, err.retriable]).toEqual(['Timeout', true])
    const stop = new Error('job cancelled')
    const controller = new AbortController()
    const pending = t.objects.head(bucket, 'a.csv', controller.signal)
    controller.abort(stop)
    await expect(pending).rejects.toBe(stop)
  })

  it('uses one HEAD for an existing object and a one-byte GET only to tell a missing key from a missing bucket', async () => {
    const bucket = await t.seed({ 'a.csv': 'abc' })
    const emu = emulatorOf(t)
    await t.objects.head(bucket, 'a.csv')
    await t.objects.head(bucket, 'missing.csv')
    const log = (await objectStoreRequestLog(emu, bucket)).map((e) => `${e.method} ${e.key} ${e.httpStatus}`)
    expect(log).toEqual(['HEAD a.csv 200', 'HEAD missing.csv 404', 'GET missing.csv 404'])
  })

  it('refuses keys a URL path cannot address before sending anything', async () => {
    for (const key of ['a/../b', './a', 'a/.']) expect((await thrown(t.objects.head('b', key))).code).toBe('InvalidArgument')
    expect((await thrown(t.objects.write('b', 'ok', 'x', 'text/plain\n'))).code).toBe('InvalidArgument')
  })
})

const restDialects: [string, RestDialect, string][] = [
  ['s3', s3Dialect(S3Account.parse(S3)), S3_EMULATOR_URL],
  ['oss', ossDialect(OssAccount.parse(OSS)), OSS_EMULATOR_URL],
]

describe.each(restDialects)('a raw-body PUT on %s', (name, dialect, emulator) => {
  it('carries the body with its Content-Type and the base64 of its raw MD5, signed among the headers', async () => {
    const body = new TextEncoder().encode('id,key\n1,ü\n')
    const { url, init } = await buildRestRequest(dialect, { method: 'PUT', bucket: 'b', key: 'r/1.csv', body, contentType: 'text/csv' }, new Date('2024-01-01T00:00:00Z'))
    const headers = init.headers as Headers
    expect(url.pathname).toBe('/b/r/1.csv')
    expect(init.body).toBe(body)
    expect(headers.get('Content-Type')).toBe('text/csv')
    expect(headers.get('Content-MD5')).toBe(await md5Base64(body))
    expect(headers.get('Content-MD5')).toMatch(/^[A-Za-z0-9+/]{22}==$/)
    if (name === 's3') expect(headers.get('Authorization')).toMatch(/SignedHeaders=content-md5;content-type;host;/)
    const plain = await buildRestRequest(dialect, { method: 'PUT', bucket: 'b', key: 'k', body: 'x' }, new Date())
    expect((plain.init.headers as Headers).get('Content-Type')).toBe('application/octet-stream')
    await expect(buildRestRequest(dialect, { method: 'PUT', bucket: 'b', key: 'k', body: 'x', xml: '<a/>' }, new Date())).rejects.toThrow(TypeError)
  })

  it('is refused by the store when the body does not match its Content-MD5', async () => {
    const bucket = unique(`oio-md5-${name}`)
    await seedObjectStoreBucket(emulator, bucket, [])
    // Signed for one body, sent with another of the same length: only the MD5 can tell.
    const { url, init } = await buildRestRequest(dialect, { method: 'PUT', bucket, key: 'r.csv', body: 'good body', contentType: 'text/csv' }, new Date())
    const answer = await fetch(url, { ...init, body: 'evil body' })
    const doc = parseErrorDocument(await answer.text())
    expect([answer.status, doc?.code]).toEqual([400, name === 's3' ? 'BadDigest' : 'InvalidDigest'])
    expect(restErrorOutcome(dialect.label, answer.status, doc)).toMatchObject({ kind: 'done', error: { code: 'InvalidArgument' } })
    expect(await listObjectStoreObjects(emulator, bucket)).toEqual([])
    // The same request with its own body goes through.
    expect((await fetch(url, init)).status).toBe(200)
    expect((await listObjectStoreObjects(emulator, bucket)).map((o) => o.body)).toEqual(['good body'])
  })
})

describe('ObjectIO on r2: signals', () => {
  it('honours an aborted signal before calling the binding', async () => {
    const timedOut = AbortSignal.abort(new DOMException('too slow', 'TimeoutError'))
    const err = await thrown(r2.objects.head('demo', 'x', timedOut))
    expect([err.code, err.retriable]).toEqual(['Timeout', true])
    const stop = new Error('job cancelled')
    await expect(r2.objects.write('demo', 'x', 'a', 'text/plain', AbortSignal.abort(stop))).rejects.toBe(stop)
    expect(await env.DEMO_BUCKET.head('x')).toBeNull()
  })
})

describe('ObjectIO presence', () => {
  it('is offered by r2, the REST providers and qiniu, not yet by pds', () => {
    const has = (settings: Record<string, unknown>) => createAdapter(AccountSettings.parse(settings), { fetch, r2Binding }).objects !== undefined
    expect([has(S3), has(CTYUN), has(OSS), has({ provider: 'r2', buckets: {} })]).toEqual([true, true, true, true])
    // Qiniu's are tested against its emulator in qiniu/qiniu-objects.test.ts.
    expect(has({ provider: 'qiniu', accessKey: 'a', secretKey: 'b' })).toBe(true)
    expect(has({ provider: 'pds', endpoint: 'https://1.api.aliyunpds.com', accessToken: 't' })).toBe(false)
  })
})
