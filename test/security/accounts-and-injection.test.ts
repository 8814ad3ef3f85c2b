import { exports } from 'cloudflare:workers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listObjectStoreObjects, objectStoreRequestLog, pdsRequestLog, requestLog, seedBucket, seedDrive, seedObjectStoreBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as QINIU } from '../fixtures/accounts.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { KEYS } from '../fixtures/keys.ts'
import { TEST_HOST } from '../fixtures/loopback.ts'
import { PDS_EMULATOR_URL } from '../fixtures/pds.ts'
import { QINIU_Z1_HOST } from '../fixtures/qiniu-regions.ts'
import { batch, call, unique } from '../helpers.ts'

// §1/§2: a key limited to some accounts cannot use the others; an account's endpoint comes only
// from ACCOUNTS, so nothing a caller sends picks the host batchgate signs for or calls; operation
// arguments cannot add headers or path segments to a provider request.

// Every URL the isolate fetches while this file runs (the Worker shares the tests' global fetch).
const outbound: URL[] = []
const realFetch = globalThis.fetch
beforeAll(() => {
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    outbound.push(new URL(input instanceof Request ? input.url : String(input)))
    return realFetch(input, init)
  }) as typeof fetch
})
afterAll(() => {
  globalThis.fetch = realFetch
})

const job = (account: string) => ({ clientRequestToken: unique('tok'), account, operation: { op: 'stat' }, manifest: { inline: 'b,k\n' }, report: { enabled: false } })

describe('accounts a key may use', () => {
  it('refuses every account but its own to a key limited to local, on every route that names one, running nothing', async () => {
    const bucket = unique('acct')
    await seedBucket(QINIU, bucket, [{ key: 'k' }])
    await seedObjectStoreBucket(S3_EMULATOR_URL, bucket, [{ key: 'k' }])
    const key = KEYS.localOnly
    // Existing accounts and one that does not exist answer alike: a key cannot learn account names.
    for (const account of ['qiniu', 's3', 'oss', 'pds', 'ctyun', 'no-such-account']) {
      const ops = [{ op: 'delete', bucket, key: 'k' }]
      const answers = [
        await batch(account, ops, { key }),
        await call('/v1/jobs', { key, body: job(account) }),
        await call('/v1/schedules', { key, body: { cron: '0 3 * * *', job: { ...job(account), clientRequestToken: undefined } } }),
      ]
      for (const r of answers) {
        expect(r.status, `${account}: ${r.text}`).toBe(403)
        expect(r.json).toMatchObject({ code: 'AccountForbidden', detail: `account "${account}"` })
      }
      const qiniu = await call('/qiniu/batch', { key, raw: 'op=/delete/' + btoa(`${bucket}:k`), headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Batchgate-Account': account } })
      expect([qiniu.status, qiniu.json?.error], qiniu.text).toEqual([403, `This API key may not use that account: account "${account}"`])
      const oss = await call('/oss/?batchJob', {
        key,
        method: 'POST',
        raw: `<CreateJobRequest><ClientRequestToken>${unique('t')}</ClientRequestToken><Operation><DeleteObjectTagging/></Operation><Report><Enabled>false</Enabled></Report><KeyPrefixManifestGenerator><SourceBucket>${bucket}</SourceBucket><Prefix>p/</Prefix></KeyPrefixManifestGenerator></CreateJobRequest>`,
        headers: { 'Content-Type': 'application/xml', 'X-Batchgate-Account': account },
      })
      expect([oss.status, /<Code>([^<]+)</.exec(oss.text)?.[1]], oss.text).toEqual([403, 'AccessDenied'])
    }
    // The console's playground refuses too (a page naming the account; nothing runs).
    const signIn = await exports.default.fetch('http://batchgate.test/console/sign-in', {
      method: 'POST',
      headers: { Origin: 'http://batchgate.test', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ apiKey: key }).toString(),
      redirect: 'manual',
    })
    const cookie = (signIn.headers.get('Set-Cookie') ?? '').split(';')[0]!
    for (const account of ['qiniu', 's3']) {
      const page = await exports.default.fetch('http://batchgate.test/console/playground', {
        method: 'POST',
        headers: { Cookie: cookie, Origin: 'http://batchgate.test', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ body: JSON.stringify({ account, operations: [{ op: 'delete', bucket, key: 'k' }] }) }).toString(),
      })
      expect(page.status).toBeGreaterThanOrEqual(400)
      expect(await page.text()).toContain('This API key may not use that account')
    }
    // Not one provider request was made: the objects are there and the emulators saw nothing.
    expect(await requestLog(QINIU, bucket)).toEqual([])
    expect(await objectStoreRequestLog(S3_EMULATOR_URL, bucket)).toEqual([])
  })
})

describe('no caller-chosen host, header or path', () => {
  it('refuses bucket names that could change the host or path, naming the field, before any provider call', async () => {
    for (const bucket of ['127.0.0.1:9999', 'a/b', '@evil', 'http://evil/', 'evil.com#', 'b?x=1', 'b\r\nX-Injected: 1', 'b%0d%0a', ' b', '']) {
      for (const account of ['s3', 'oss', 'qiniu']) {
        const r = await batch(account, [{ op: 'stat', bucket, key: 'k' }])
        expect(r.status, `${account} ${JSON.stringify(bucket)}`).toBe(400)
        expect(r.json.errors.map((e: { path: string }) => e.path)).toContain('operations[0].bucket')
      }
      const dest = await batch('s3', [{ op: 'copy', bucket: 'ok', key: 'k', destination: { bucket, key: 'k' } }])
      expect(dest.json.errors.map((e: { path: string }) => e.path)).toContain('operations[0].destination.bucket')
    }
  })

  it('refuses fields that would name an endpoint, a host or a URL, at every level of a batch', async () => {
    const cases: [unknown, string][] = [
      [{ account: 's3', endpoint: 'http://evil/', operations: [{ op: 'stat', bucket: 'b', key: 'k' }] }, 'endpoint'],
      [{ account: 's3', operations: [{ op: 'stat', bucket: 'b', key: 'k', endpoint: 'http://evil/' }] }, 'operations[0].endpoint'],
      [{ account: 's3', operations: [{ op: 'stat', bucket: 'b', key: 'k', host: 'evil' }] }, 'operations[0].host'],
      [{ account: 's3', operations: [{ op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'b', key: 'k2', endpoint: 'http://evil/' } }] }, 'operations[0].destination.endpoint'],
      [{ account: { provider: 's3', endpoint: 'http://evil/' }, operations: [{ op: 'stat', bucket: 'b', key: 'k' }] }, 'account'],
    ]
    for (const [body, path] of cases) {
      const r = await call('/v1/batch', { body })
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(r.json.errors.map((e: { path: string }) => e.path), JSON.stringify(r.json.errors)).toContain(path)
    }
    const jobWithEndpoint = await call('/v1/jobs', { body: { ...job('s3'), manifest: { location: { bucket: 'b', key: 'm.csv', endpoint: 'http://evil/' }, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] } } })
    expect(jobWithEndpoint.status).toBe(400)
  })

  it('refuses metadata, tags, content types and storage classes that would carry a header line', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ op: 'setMetadata', metadata: { a: 'x\r\nX-Injected: 1' } }, 'operations[0].metadata.a'],
      [{ op: 'setMetadata', metadata: { a: 'x\nX-Injected: 1' } }, 'operations[0].metadata.a'],
      [{ op: 'setMetadata', metadata: { 'a\r\nX-Injected': 'x' } }, 'operations[0].metadata'],
      [{ op: 'setMetadata', contentType: 'text/plain\r\nX-Injected: 1' }, 'operations[0].contentType'],
      [{ op: 'putTagging', tags: { t: 'v\r\nX-Injected: 1' } }, 'operations[0].tags.t'],
      [{ op: 'setStorageClass', storageClass: 'STANDARD X-Injected' }, 'operations[0].storageClass'],
      [{ op: 'setStorageClass', storageClass: 'STANDARD\r\nX-Injected: 1' }, 'operations[0].storageClass'],
    ]
    for (const account of ['s3', 'oss', 'qiniu']) {
      for (const [op, path] of cases) {
        const r = await batch(account, [{ bucket: 'b', key: 'k', ...op }])
        expect(r.status, `${account} ${JSON.stringify(op)}`).toBe(400)
        expect(r.json.errors.map((e: { path: string }) => e.path).some((p: string) => p.startsWith(path)), JSON.stringify(r.json.errors)).toBe(true)
      }
    }
  })

  // Keys may hold any character but NUL: each must reach the configured host, encoded into the
  // path (object stores) or the entry (Qiniu), and name exactly that object.
  const KEYS_TO_TRY = ['a?x=1', 'a#frag', 'a\r\nX-Injected: 1', 'a%0d%0a', '%2e%2e/k', 'http://evil/', '@evil', 'a b+c', '?', '#', '/leading', 'a//b', 'x/%2F/y']
  // What the Worker's provider requests carry besides x-amz-*/x-oss-*: nothing a key could add.
  const SIGNED_REQUEST_HEADERS = new Set(['host', 'authorization', 'date', 'content-type', 'content-length', 'content-md5', 'accept-encoding', 'user-agent', 'cf-connecting-ip', 'cf-ray', 'cf-worker', 'connection', 'accept', 'transfer-encoding', 'if-none-match', 'if-match'])
  const headerNames = (e: object) => (e as { headerNames?: string[] }).headerNames ?? ['(the emulator logged no header names)']
  // Keys with "." or ".." segments: a URL parser would fold them into another path, so they are
  // refused (naming the key) where the key is a URL path, and sent as they are where it is not.
  const DOT_KEYS = ['../../etc/passwd', '..', '../other-bucket/k', 'a/./b']

  it('sends keys that look like paths, queries or header lines to the configured object store, encoded, naming exactly that object', async () => {
    for (const [account, url] of [['s3', S3_EMULATOR_URL], ['s3-v2', S3_EMULATOR_URL], ['oss', OSS_EMULATOR_URL], ['oss-v1', OSS_EMULATOR_URL]] as const) {
      const bucket = unique('inj')
      await seedObjectStoreBucket(url, bucket, KEYS_TO_TRY.map((key) => ({ key, body: `body of ${key}` })))
      const r = await batch(account, KEYS_TO_TRY.map((key) => ({ op: 'stat', bucket, key })))
      expect(r.status, `${account}: ${r.text}`).toBe(200)
      const dots = await batch(account, DOT_KEYS.map((key) => ({ op: 'stat', bucket, key })))
      expect(dots.status, `${account}: ${dots.text}`).toBe(400)
      expect(dots.json.errors.map((e: { path: string }) => e.path)).toEqual(DOT_KEYS.map((_, i) => `operations[${i}].key`))
      const log = await objectStoreRequestLog(url, bucket)
      expect(log.map((e) => e.key).sort(), account).toEqual([...KEYS_TO_TRY].sort())
      for (const e of log) {
        expect(e.method).toBe('HEAD')
        expect(e.path.startsWith(`/${bucket}/`), e.path).toBe(true)
        // No raw character a URL or a header line would read as syntax.
        expect(e.path).not.toMatch(/[?#\r\n ]/)
        expect(e.query).toBe('')
        expect(e.httpStatus).toBe(200)
        expect(headerNames(e).filter((h) => !SIGNED_REQUEST_HEADERS.has(h) && !h.startsWith('x-amz-') && !h.startsWith('x-oss-')), e.path).toEqual([])
      }
      // A copy names its source in a header (x-amz-copy-source, x-oss-copy-source): encoded there too.
      const copies = await batch(account, KEYS_TO_TRY.map((key) => ({ op: 'copy', bucket, key, destination: { bucket, key: `copied/${key}` } })))
      expect(copies.status, `${account}: ${copies.text}`).toBe(200)
      const copyLog = (await objectStoreRequestLog(url, bucket)).filter((e) => e.operation === 'CopyObject')
      expect(copyLog.map((e) => e.key).sort()).toEqual(KEYS_TO_TRY.map((k) => `copied/${k}`).sort())
      for (const e of copyLog) expect(headerNames(e).filter((h) => !SIGNED_REQUEST_HEADERS.has(h) && !h.startsWith('x-amz-') && !h.startsWith('x-oss-'))).toEqual([])
      const stored = (await listObjectStoreObjects(url, bucket)).map((o) => o.key)
      for (const key of KEYS_TO_TRY) expect(stored).toContain(`copied/${key}`)
    }
  })

  it('sends such keys to Qiniu inside the encoded entry, naming exactly that object', async () => {
    const bucket = unique('inj')
    await seedBucket(QINIU, bucket, [...KEYS_TO_TRY, ...DOT_KEYS].map((key) => ({ key })))
    const r = await batch('qiniu', [...KEYS_TO_TRY, ...DOT_KEYS].map((key) => ({ op: 'stat', bucket, key })))
    expect(r.status, r.text).toBe(200)
    const missing = await batch('qiniu', [{ op: 'stat', bucket, key: 'a?x=1/../..' }])
    expect(missing.json.results[0].error.code).toBe('NoSuchKey')
    const log = await requestLog(QINIU, bucket)
    expect(log.length).toBeGreaterThan(0)
    // The key travels base64-encoded (EncodedEntryURI): the path is the API's own, whatever the key.
    for (const e of log) expect(e.path).toMatch(/^\/(batch|stat\/[A-Za-z0-9_=-]+)$/)
  })

  it('keeps PDS file ids and parent ids out of the request path: they travel in the JSON body of /v2/batch', async () => {
    const drive = String(Date.now() % 1_000_000_000)
    await seedDrive(PDS_EMULATOR_URL, drive, [])
    const r = await batch('pds', [
      { op: 'copy', bucket: drive, key: 'f/../../x', destination: { bucket: drive, parentFileId: 'a/b?x=1' } },
      { op: 'stat', bucket: drive, key: '../admin?x=1#y' },
      { op: 'delete', bucket: drive, key: 'a\r\nX-Injected: 1' },
    ])
    expect(r.status, r.text).toBe(207)
    const log = await pdsRequestLog(PDS_EMULATOR_URL, drive)
    expect(log.length).toBeGreaterThan(0)
    for (const e of log) {
      expect(e.path).toBe('/v2/batch')
      for (const url of e.urls) expect(url).toMatch(/^\/file\/[a-z_]+$/)
    }
  })

  it('reached only the configured emulator hosts from this file', () => {
    const allowed = new Set([
      new URL(S3_EMULATOR_URL).host,
      new URL(OSS_EMULATOR_URL).host,
      new URL(PDS_EMULATOR_URL).host,
      new URL(QINIU).host,
      QINIU_Z1_HOST,
      TEST_HOST,
    ])
    // The Worker's own calls are among them (only the Worker calls Qiniu's /batch and S3 with HEAD).
    expect(outbound.some((u) => u.pathname === '/batch')).toBe(true)
    const hosts = [...new Set(outbound.map((u) => u.host))]
    expect(hosts.filter((h) => !allowed.has(h))).toEqual([])
    expect(outbound.filter((u) => u.protocol !== 'http:')).toEqual([])
  })
})
