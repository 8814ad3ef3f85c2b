import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { encodeBase64UrlString, encodedEntryURI } from '../../shared/crypto/qiniu-entry.ts'
import { seedBucket, seedObjectStoreBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL } from '../fixtures/accounts.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { KEYS } from '../fixtures/keys.ts'
import { batch, call, unique, type CallOptions } from '../helpers.ts'

const FORM = 'application/x-www-form-urlencoded'
const E = encodedEntryURI
/** What a Qiniu application sends: the SDK's form body, form-encoded. */
const form = (ops: string[]) => new URLSearchParams(ops.map((op) => ['op', op])).toString()

function qiniu(path: '/qiniu/batch' | '/qiniu/glb/batch', ops: string[], account: string | null, options: CallOptions = {}) {
  return call(path, {
    raw: form(ops),
    ...options,
    headers: { 'Content-Type': FORM, ...(account !== null ? { 'X-Batchgate-Account': account } : {}), ...options.headers },
  })
}

interface Target {
  account: string
  /** Seeds objects (name → content) and returns the bucket and each name's key. */
  seed(objects: Record<string, string>): Promise<{ bucket: string; keyOf: (name: string) => string }>
}

const objectStore = (account: string, url: string): Target => ({
  account,
  async seed(objects) {
    const bucket = unique(account)
    await seedObjectStoreBucket(url, bucket, Object.entries(objects).map(([key, body]) => ({ key, body, contentType: 'text/plain' })))
    return { bucket, keyOf: (n) => n }
  },
})

const TARGETS: Target[] = [
  objectStore('s3', S3_EMULATOR_URL),
  objectStore('oss', OSS_EMULATOR_URL),
  {
    account: 'local',
    async seed(objects) {
      const prefix = `${unique('qd')}/`
      await Promise.all(Object.entries(objects).map(([name, body]) => env.DEMO_BUCKET.put(prefix + name, body, { httpMetadata: { contentType: 'text/plain' } })))
      return { bucket: 'demo', keyOf: (n) => prefix + n }
    },
  },
  {
    account: 'qiniu',
    async seed(objects) {
      const bucket = unique('qd')
      await seedBucket(QINIU_EMULATOR_URL, bucket, Object.entries(objects).map(([key, body]) => ({ key, fsize: body.length, mimeType: 'text/plain' })))
      return { bucket, keyOf: (n) => n }
    },
  },
]

describe.each(TARGETS)('a Qiniu application batch on the $account account', (t) => {
  it('answers exactly as Qiniu would: 298, 612 for a missing stat or delete, 614 for a copy onto an existing key, the stat shape', async () => {
    const { bucket, keyOf } = await t.seed({ src: 'one', taken: 'two', gone: 'three', old: 'four' })
    const e = (name: string) => E(bucket, keyOf(name))
    const r = await qiniu('/qiniu/batch', [
      `/stat/${e('src')}`,
      `/stat/${e('nope')}`,
      `/copy/${e('src')}/${e('copied')}`,
      `/copy/${e('src')}/${e('taken')}/force/false`,
      `/move/${e('gone')}/${e('taken')}/force/true`,
      `/delete/${e('old')}`,
      `/delete/${e('never-was')}`,
    ], t.account)
    expect(r.status).toBe(298)
    expect(r.headers.get('Content-Type')).toBe('application/json')
    expect(r.json).toEqual([
      { code: 200, data: { fsize: 3, hash: expect.any(String), mimeType: 'text/plain', putTime: expect.any(Number), type: 0 } },
      { code: 612, data: { error: 'no such file or directory' } },
      { code: 200 },
      { code: 614, data: { error: 'file exists' } },
      { code: 200 },
      { code: 200 },
      { code: 612, data: { error: 'no such file or directory' } },
    ])
    // putTime is in 100 ns units: within a day of now.
    expect(Math.abs(r.json[0].data.putTime / 10_000 - Date.now())).toBeLessThan(86_400_000)
  })

  it('answers 200 when every op of a /glb/batch with /glb/ ops succeeded, and the change shows through POST /v1/batch', async () => {
    const { bucket, keyOf } = await t.seed({ a: 'alpha' })
    // Two calls: ops of one batch run concurrently, so the chgm must not depend on the copy.
    const copy = await qiniu('/qiniu/glb/batch', [`/glb/copy/${E(bucket, keyOf('a'))}/${E(bucket, keyOf('b'))}/force/true`, `/stat/${E(bucket, keyOf('a'))}`], t.account)
    expect(copy.status).toBe(200)
    expect(copy.json.map((x: { code: number }) => x.code)).toEqual([200, 200])
    const chgm = await qiniu('/qiniu/glb/batch', [`/glb/chgm/${E(bucket, keyOf('b'))}/mime/${encodeBase64UrlString('text/markdown')}/x-qn-meta-team/${encodeBase64UrlString('data')}`], t.account)
    expect(chgm.status).toBe(200)
    expect(chgm.json).toEqual([{ code: 200 }])
    const seen = await batch(t.account, [{ op: 'stat', bucket, key: keyOf('b') }])
    expect(seen.json.results[0]).toMatchObject({ status: 200, data: { size: 5, contentType: 'text/markdown', metadata: { team: 'data' } } })
  })
})

describe('the Qiniu dialect', () => {
  it('answers an op the provider cannot do with a per-op 400 while the others run', async () => {
    const { bucket } = await TARGETS[0]!.seed({ k: 'x' })
    const r = await qiniu('/qiniu/batch', [`/chstatus/${E(bucket, 'k')}/status/1`, `/stat/${E(bucket, 'k')}`], 's3')
    expect(r.status).toBe(298)
    expect(r.json).toEqual([{ code: 400, data: { error: 's3 cannot setStatus' } }, { code: 200, data: expect.objectContaining({ fsize: 1 }) }])
  })

  it('passes the account key when the API key may use only that account', async () => {
    const prefix = unique('qd')
    await env.DEMO_BUCKET.put(`${prefix}/k`, 'x')
    const r = await qiniu('/qiniu/batch', [`/delete/${E('demo', `${prefix}/k`)}`], null, { key: KEYS.localOnly })
    expect(r.status).toBe(200)
    expect(r.json).toEqual([{ code: 200 }])
    expect(await env.DEMO_BUCKET.head(`${prefix}/k`)).toBeNull()
  })

  const stat = `/stat/${E('demo', 'k')}`
  const cases: { name: string; send: () => ReturnType<typeof call>; status: number; error: string | RegExp }[] = [
    { name: 'no API key', send: () => qiniu('/qiniu/batch', [stat], 'local', { key: null }), status: 401, error: /^A valid API key is required/ },
    { name: 'an unknown API key', send: () => qiniu('/qiniu/batch', [stat], 'local', { key: 'bg_not_a_key' }), status: 401, error: /^A valid API key is required/ },
    { name: 'an account the key may not use', send: () => qiniu('/qiniu/batch', [stat], 's3', { key: KEYS.localOnly }), status: 403, error: 'This API key may not use that account: account "s3"' },
    { name: 'no account header for a key with several accounts', send: () => qiniu('/qiniu/batch', [stat], null), status: 400, error: 'name the account in the X-Batchgate-Account header: this API key may use several accounts' },
    { name: 'an unknown account', send: () => qiniu('/qiniu/batch', [stat], 'nope'), status: 400, error: 'X-Batchgate-Account: unknown account "nope"' },
    { name: 'a body that is not a form', send: () => call('/qiniu/batch', { raw: form([stat]), headers: { 'Content-Type': 'application/json', 'X-Batchgate-Account': 'local' } }), status: 400, error: `Content-Type must be ${FORM}` },
    { name: 'no op', send: () => qiniu('/qiniu/batch', [], 'local'), status: 400, error: 'no op: send op=<operation> form fields' },
    { name: 'a bad op, named by its index', send: () => qiniu('/qiniu/batch', [stat, '/frob/x'], 'local'), status: 400, error: /^op\[1\]: frob: unknown op/ },
    { name: 'more than 1,000 ops', send: () => qiniu('/qiniu/batch', Array(1001).fill(stat), 'local'), status: 400, error: 'too many ops: 1001 > 1000' },
    { name: 'arguments the provider refuses', send: () => qiniu('/qiniu/batch', [stat, `/restoreAr/${E('b', 'k')}/freezeAfterDays/8`], 'qiniu'), status: 400, error: 'op[1].days: Qiniu restores for 1 to 7 days' },
    { name: 'a body over the limit', send: () => call('/qiniu/batch', { raw: `op=${'x'.repeat(13 * 1024 * 1024)}`, headers: { 'Content-Type': FORM, 'X-Batchgate-Account': 'local' } }), status: 413, error: /^The body is too large/ },
    { name: 'another route', send: () => call('/qiniu/nope', { raw: form([stat]), headers: { 'Content-Type': FORM } }), status: 404, error: 'The route was not found' },
  ]
  it.each(cases)('answers $status in Qiniu’s {error} shape for $name, running nothing', async ({ send, status, error }) => {
    const r = await send()
    expect(r.status).toBe(status)
    expect(r.headers.get('Content-Type')).toBe('application/json')
    expect(Object.keys(r.json)).toEqual(['error'])
    if (typeof error === 'string') expect(r.json.error).toBe(error)
    else expect(r.json.error).toMatch(error)
    expect(r.headers.get('X-Reqid')).toBe(r.headers.get('X-Request-Id'))
  })

  it('is described in the OpenAPI document', async () => {
    const doc = (await call('/openapi.json', { key: null })).json
    for (const path of ['/qiniu/batch', '/qiniu/glb/batch']) {
      const post = doc.paths[path].post
      expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '298', '400', '401', '403', '413']))
      expect(post.requestBody.content[FORM].schema.properties.op.maxItems).toBe(1000)
    }
  })

  it('answers 405 with Allow: POST for another method', async () => {
    const r = await call('/qiniu/glb/batch', { method: 'GET' })
    expect(r.status).toBe(405)
    expect(r.headers.get('Allow')).toBe('POST')
    expect(r.json).toEqual({ error: 'Method not allowed: allowed: POST' })
  })
})
