/**
 * The object routes: form upload (POST /), download domains (/download/<bucket>/...) and RSF
 * /list. Tokens are made with the qiniu SDK itself (PutPolicy.uploadToken, privateDownloadUrl,
 * the management signers), so the emulator is checked against Qiniu's own client code.
 * (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { describe, it } from 'node:test'
import qiniu from 'qiniu'
import { addFault, seedBucket } from '../../control.ts'
import { fetchJson } from '../../selftest-harness.ts'
import { encodeMarker } from '../qiniu-list-route.ts'
import { AK, BASE, newBucket, objectsByKey, send, SK, useEmulator } from './harness.ts'

useEmulator()

const mac = new qiniu.auth.digest.Mac(AK, SK)
const upToken = (options: qiniu.rs.PutPolicyOptions, m = mac) => new qiniu.rs.PutPolicy(options).uploadToken(m)
const qetag = (b: Buffer) => Buffer.concat([Buffer.from([0x16]), createHash('sha1').update(b).digest()]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')

function upload(fields: Record<string, string | undefined>, file?: { body: string | Buffer; type?: string }) {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form.append(k, v)
  if (file) form.append('file', new Blob([file.body], { type: file.type ?? 'application/octet-stream' }), 'f.bin')
  return fetchJson(`${BASE}/`, { method: 'POST', body: form })
}

const deadline = () => Math.floor(Date.now() / 1000) + 600
const bucketManager = new qiniu.rs.BucketManager(mac, new qiniu.conf.Config())
const download = (bucket: string, key: string, init: RequestInit = {}, url = bucketManager.privateDownloadUrl(`${BASE}/download/${bucket}`, key, deadline())) => fetchJson(url, init)

describe('form upload', () => {
  it('stores the file under a key-scoped token, answering {hash, key} with the qetag, and overwrites', async () => {
    const b = newBucket('up')
    await seedBucket(BASE, b, [])
    let r = await upload({ token: upToken({ scope: `${b}:r/a.csv` }), key: 'r/a.csv' }, { body: 'a,b\n', type: 'text/csv' })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.json, { hash: qetag(Buffer.from('a,b\n')), key: 'r/a.csv' })
    assert.deepEqual((({ fsize, hash, mimeType }) => ({ fsize, hash, mimeType }))((await objectsByKey(b)).get('r/a.csv')!), { fsize: 4, hash: r.json.hash, mimeType: 'text/csv' })
    r = await upload({ token: upToken({ scope: `${b}:r/a.csv` }), key: 'r/a.csv' }, { body: 'c\n' })
    assert.equal(r.status, 200)
    assert.equal((await objectsByKey(b)).get('r/a.csv')!.hash, qetag(Buffer.from('c\n')))
  })

  it('only adds under a bucket scope or insertOnly (614 for other content, 200 for the same), and names by hash without a key', async () => {
    const b = newBucket('up-insert')
    await seedBucket(BASE, b, [])
    const token = upToken({ scope: b })
    assert.equal((await upload({ token, key: 'k' }, { body: 'one' })).status, 200)
    assert.equal((await upload({ token, key: 'k' }, { body: 'one' })).status, 200)
    const other = await upload({ token, key: 'k' }, { body: 'two' })
    assert.deepEqual([other.status, other.json], [614, { error: 'file exists' }])
    assert.equal((await upload({ token: upToken({ scope: `${b}:k`, insertOnly: 1 }), key: 'k' }, { body: 'two' })).status, 614)
    const byHash = await upload({ token }, { body: 'three' })
    assert.deepEqual(byHash.json, { hash: qetag(Buffer.from('three')), key: qetag(Buffer.from('three')) })
    const prefixal = upToken({ scope: `${b}:logs/`, isPrefixalScope: 1 })
    assert.equal((await upload({ token: prefixal, key: 'logs/1' }, { body: 'x' })).status, 200)
    assert.equal((await upload({ token: prefixal, key: 'other/1' }, { body: 'x' })).status, 403)
  })

  it('refuses what the up host refuses: token missing, forged, expired; key outside the scope; no file; crc32; no bucket', async () => {
    const b = newBucket('up-refuse')
    await seedBucket(BASE, b, [])
    const file = { body: 'data' }
    const forged = upToken({ scope: `${b}:k` }, new qiniu.auth.digest.Mac(AK, 'wrong-secret'))
    const cases: [Promise<{ status: number; json: any }>, number, string][] = [
      [upload({ key: 'k' }, file), 401, 'token not specified'],
      [upload({ token: forged, key: 'k' }, file), 401, 'bad token'],
      [upload({ token: upToken({ scope: `${b}:k`, expires: -10 }), key: 'k' }, file), 401, 'expired token'],
      [upload({ token: upToken({ scope: `${b}:k` }), key: 'other' }, file), 403, "key doesn't match with scope"],
      [upload({ token: upToken({ scope: `${b}:k` }) }, file), 403, "key doesn't match with scope"],
      [upload({ token: upToken({ scope: `${b}:k` }), key: 'k' }), 400, 'file is not specified in multipart'],
      [upload({ token: upToken({ scope: `${b}:k` }), key: 'k', crc32: String(crc32(Buffer.from('data')) ^ 1) }, file), 406, 'crc32 not match'],
      [upload({ token: upToken({ scope: 'st-no-such-bucket:k' }), key: 'k' }, file), 631, 'no such bucket'],
    ]
    for (const [p, status, error] of cases) assert.deepEqual(((r) => [r.status, r.json.error])(await p), [status, error])
    assert.equal((await upload({ token: upToken({ scope: `${b}:k` }), key: 'k', crc32: String(crc32(Buffer.from('data'))) }, file)).status, 200)
    const notMultipart = await fetchJson(`${BASE}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    assert.equal(notMultipart.status, 400)
  })

  it('obeys the bucket’s fault rules: http, op on the key, and drop with apply (stored, answer lost)', async () => {
    const b = newBucket('up-faults')
    await seedBucket(BASE, b, [])
    const token = upToken({ scope: b })
    await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
    assert.equal((await upload({ token, key: 'a' }, { body: 'x' })).status, 503)
    await addFault(BASE, { bucket: b, kind: 'op', key: 'a', code: 599 })
    assert.equal((await upload({ token, key: 'a' }, { body: 'x' })).status, 599)
    await addFault(BASE, { bucket: b, kind: 'drop', apply: true })
    await assert.rejects(upload({ token, key: 'a' }, { body: 'x' }))
    assert.equal((await objectsByKey(b)).get('a')!.hash, qetag(Buffer.from('x')))
  })
})

describe('download domains', () => {
  it('serves an object through the SDK’s private URL, whole, by range, and as HEAD', async () => {
    const b = newBucket('dl')
    await seedBucket(BASE, b, [])
    await upload({ token: upToken({ scope: `${b}:dir/file.txt` }), key: 'dir/file.txt' }, { body: '0123456789', type: 'text/plain' })
    let r = await download(b, 'dir/file.txt')
    assert.deepEqual([r.status, r.text, r.headers.get('etag'), r.headers.get('content-type')], [200, '0123456789', `"${qetag(Buffer.from('0123456789'))}"`, 'text/plain'])
    r = await download(b, 'dir/file.txt', { headers: { Range: 'bytes=2-4' } })
    assert.deepEqual([r.status, r.text, r.headers.get('content-range')], [206, '234', 'bytes 2-4/10'])
    r = await download(b, 'dir/file.txt', { headers: { Range: 'bytes=7-100' } })
    assert.deepEqual([r.status, r.text, r.headers.get('content-range')], [206, '789', 'bytes 7-9/10'])
    r = await download(b, 'dir/file.txt', { headers: { Range: 'bytes=-2' } })
    assert.deepEqual([r.status, r.text], [206, '89'])
    r = await download(b, 'dir/file.txt', { headers: { Range: 'bytes=10-' } })
    assert.deepEqual([r.status, r.headers.get('content-range')], [416, 'bytes */10'])
    r = await download(b, 'dir/file.txt', { method: 'HEAD' })
    assert.deepEqual([r.status, r.text, r.headers.get('content-length')], [200, '', '10'])
  })

  it('answers 401 for a missing, forged, expired or transplanted token, 404 for a missing object, 403 for a disabled one', async () => {
    const b = newBucket('dl-refuse')
    await seedBucket(BASE, b, [{ key: 'a', fsize: 3 }, { key: 'off', status: 1 }])
    assert.deepEqual(((r) => [r.status, r.text])(await download(b, 'a')), [200, '\0\0\0'])
    const forged = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(AK, 'wrong'), new qiniu.conf.Config()).privateDownloadUrl(`${BASE}/download/${b}`, 'a', deadline())
    const expired = bucketManager.privateDownloadUrl(`${BASE}/download/${b}`, 'a', Math.floor(Date.now() / 1000) - 5)
    const transplanted = bucketManager.privateDownloadUrl(`${BASE}/download/${b}`, 'a', deadline()).replace('/a?', '/off?')
    for (const url of [`${BASE}/download/${b}/a`, `${BASE}/download/${b}/a?e=${deadline()}`, forged, expired, transplanted])
      assert.equal((await download(b, 'a', {}, url)).status, 401, url.replace(/token=.*/, 'token=…'))
    assert.deepEqual(((r) => [r.status, r.json.error])(await download(b, 'missing')), [404, 'Document not found'])
    assert.equal((await download(b, 'off')).status, 403)
  })

  it('obeys the bucket’s fault rules (http with Retry-After, op on the key)', async () => {
    const b = newBucket('dl-faults')
    await seedBucket(BASE, b, [{ key: 'a' }])
    await addFault(BASE, { bucket: b, kind: 'http', status: 503, retryAfter: 3 })
    const r = await download(b, 'a')
    assert.deepEqual([r.status, r.headers.get('retry-after')], [503, '3'])
    await addFault(BASE, { bucket: b, kind: 'op', key: 'a', code: 573 })
    assert.equal((await download(b, 'a')).status, 573)
    assert.equal((await download(b, 'a')).status, 200)
  })
})

describe('RSF list', () => {
  const list = (query: string, o: Parameters<typeof send>[2] = {}) => send(`/list?${query}`, '', { method: 'GET', ...o })

  it('pages in UTF-8 key order under a prefix, with Qiniu’s marker form, the last page without one', async () => {
    const b = newBucket('rsf')
    const keys = ['p/b', 'p/a', 'p/é', 'p/z', 'q/1']
    await seedBucket(BASE, b, keys.map((key, i) => ({ key, fsize: i, putTime: String(16942710672072363n + BigInt(i)) })))
    let r = await list(`bucket=${b}&prefix=p%2F&limit=2`)
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.json.items.map((i: { key: string }) => i.key), ['p/a', 'p/b'])
    assert.equal(r.json.marker, encodeMarker('p/b'))
    assert.match(r.text, /"putTime":16942710672072364,/)
    assert.deepEqual(r.json.items[0], { key: 'p/a', hash: r.json.items[0].hash, fsize: 1, mimeType: 'application/octet-stream', putTime: r.json.items[0].putTime, type: 0, status: 0 })
    r = await list(`bucket=${b}&prefix=p%2F&limit=2&marker=${r.json.marker}`)
    assert.deepEqual(r.json.items.map((i: { key: string }) => i.key), ['p/z', 'p/é'])
    assert.equal('marker' in r.json, false)
    r = await list(`bucket=${b}`, { scheme: 'QBox' })
    assert.equal(r.json.items.length, 5)
  })

  it('refuses bad limits, markers, delimiters, tokens and unknown buckets', async () => {
    const b = newBucket('rsf-refuse')
    await seedBucket(BASE, b, [{ key: 'a' }])
    assert.equal((await list(`bucket=${b}&limit=0`)).status, 400)
    assert.equal((await list(`bucket=${b}&limit=1001`)).status, 400)
    assert.equal((await list(`bucket=${b}&delimiter=%2F`)).status, 400)
    assert.equal((await list(`bucket=${b}&marker=%24%24`)).status, 640)
    assert.equal((await list(`bucket=${b}`, { sk: 'wrong' })).status, 401)
    assert.equal((await list('bucket=st-no-such-bucket')).status, 631)
    await addFault(BASE, { bucket: b, kind: 'http', status: 599 })
    assert.equal((await list(`bucket=${b}`)).status, 599)
  })
})
