/**
 * ListObjectsV2 on both dialects: byte order, prefix, paging by continuation token, start-after,
 * delimiter, encoding-type=url, max-keys rules, errors, signatures and fault rules.
 * (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addFault, seedObjectStoreBucket } from '../../control.ts'
import { DIALECTS, newBucket, send, useEmulators, type Res, type SendOpts } from './harness.ts'

const emus = useEmulators()

type Query = Array<[string, string | null]>
const keysOf = (r: Res): string[] => (r.xml.ListBucketResult.Contents ?? []).map((c: { Key: string }) => c.Key)

for (const d of DIALECTS) {
  const emu = emus[d]
  const list = (bucket: string, query: Query = [], o: SendOpts = {}) => send(emu(), { ...o, bucket, query: [['list-type', '2'], ...query] })
  const seed = async (tag: string, keys: string[]) => {
    const b = newBucket(`${d}-${tag}`)
    await seedObjectStoreBucket(emu().url, b, keys.map((key) => ({ key, body: key })))
    return b
  }

  describe(`${d}: ListObjectsV2`, () => {
    it('lists current objects in UTF-8 byte order with size, ETag and class, under a prefix', async () => {
      // UTF-16 order would put U+FF5E before U+1F600; UTF-8 byte order puts it after.
      const b = await seed('order', ['b', 'a/2', 'a/1', '\u{1F600}', '\uFF5E', 'Z', 'a 1'])
      const r = await list(b)
      assert.equal(r.status, 200)
      assert.deepEqual(keysOf(r), ['Z', 'a 1', 'a/1', 'a/2', 'b', '\uFF5E', '\u{1F600}'])
      const top = r.xml.ListBucketResult
      assert.equal(top.Name, b)
      assert.equal(top.KeyCount, '7')
      assert.equal(top.IsTruncated, 'false')
      assert.equal(top.NextContinuationToken, undefined)
      const first = top.Contents[0]
      assert.equal(first.Size, '1')
      assert.match(first.ETag, d === 's3' ? /^"[0-9a-f]{32}"$/ : /^"[0-9A-F]{32}"$/)
      assert.equal(first.StorageClass, d === 's3' ? 'STANDARD' : 'Standard')
      assert.match(first.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      if (d === 'oss') assert.equal(first.Type, 'Normal')
      assert.deepEqual(keysOf(await list(b, [['prefix', 'a/']])), ['a/1', 'a/2'])
      assert.deepEqual(keysOf(await list(b, [['prefix', 'nothing']])), [])
    })

    it('pages by continuation token: every key exactly once, in order, the token opaque and checked', async () => {
      const keys = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(3, '0')}`)
      const b = await seed('pages', keys)
      const seen: string[] = []
      let token: string | undefined
      let pages = 0
      do {
        const r = await list(b, [['max-keys', '10'], ...(token ? ([['continuation-token', token]] as Query) : [])])
        assert.equal(r.status, 200, r.text)
        const top = r.xml.ListBucketResult
        seen.push(...keysOf(r))
        assert.equal(top.MaxKeys, '10')
        assert.equal(top.KeyCount, String(keysOf(r).length))
        if (token) assert.equal(top.ContinuationToken, token)
        token = top.IsTruncated === 'true' ? top.NextContinuationToken : undefined
        pages++
      } while (token)
      assert.equal(pages, 3)
      assert.deepEqual(seen, keys)
      const bad = await list(b, [['continuation-token', 'not-a-token']])
      assert.equal(bad.status, 400)
      assert.equal(bad.xml.Error.Code, 'InvalidArgument')
    })

    it('starts after start-after (and ignores it when a continuation token is given)', async () => {
      const b = await seed('after', ['a', 'b', 'c', 'd'])
      assert.deepEqual(keysOf(await list(b, [['start-after', 'b']])), ['c', 'd'])
      const first = await list(b, [['max-keys', '1']])
      const token = first.xml.ListBucketResult.NextContinuationToken
      assert.deepEqual(keysOf(await list(b, [['continuation-token', token], ['start-after', 'c']])), ['b', 'c', 'd'])
    })

    it('rolls keys up into CommonPrefixes with a delimiter, each counting toward max-keys', async () => {
      const b = await seed('delim', ['a/1', 'a/2', 'b', 'c/x/1', 'd'])
      const r = await list(b, [['delimiter', '/']])
      assert.deepEqual(keysOf(r), ['b', 'd'])
      assert.deepEqual(r.xml.ListBucketResult.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix), ['a/', 'c/'])
      assert.equal(r.xml.ListBucketResult.KeyCount, '4')
      const page1 = await list(b, [['delimiter', '/'], ['max-keys', '1']])
      assert.deepEqual(page1.xml.ListBucketResult.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix), ['a/'])
      const page2 = await list(b, [['delimiter', '/'], ['max-keys', '1'], ['continuation-token', page1.xml.ListBucketResult.NextContinuationToken]])
      assert.deepEqual(keysOf(page2), ['b'])
    })

    it('URL-encodes names under encoding-type=url (OSS its tokens too), and refuses other encodings', async () => {
      const weird = ['a b+c', '100%/x&y', 'ctrl\u0001', 'ü/中']
      const b = await seed('enc', weird)
      const r = await list(b, [['encoding-type', 'url'], ['max-keys', '2'], ['prefix', '']])
      const top = r.xml.ListBucketResult
      assert.equal(top.EncodingType, 'url')
      const form = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))
      assert.deepEqual(keysOf(r).map(form), ['100%/x&y', 'a b+c'])
      assert.deepEqual(keysOf(r), d === 's3' ? ['100%25/x%26y', 'a+b%2Bc'] : ['100%25%2Fx%26y', 'a%20b%2Bc'])
      const raw = d === 'oss' ? form(top.NextContinuationToken) : top.NextContinuationToken
      if (d === 'oss') assert.match(top.NextContinuationToken, /%/, 'OSS encodes the token')
      const rest = await list(b, [['encoding-type', 'url'], ['continuation-token', raw]])
      assert.deepEqual(keysOf(rest).map(form), ['ctrl\u0001', 'ü/中'])
      const bad = await list(b, [['encoding-type', 'base64']])
      assert.equal(bad.status, 400)
      assert.equal(bad.xml.Error.Code, 'InvalidArgument')
    })

    it(d === 's3' ? 'max-keys: default and cap 1000, not an integer → InvalidArgument' : 'max-keys: default 100, 1..1000 else InvalidArgument', async () => {
      const b = await seed('max', ['a'])
      assert.equal((await list(b)).xml.ListBucketResult.MaxKeys, d === 's3' ? '1000' : '100')
      if (d === 's3') {
        assert.equal((await list(b, [['max-keys', '5000']])).xml.ListBucketResult.MaxKeys, '1000')
        for (const v of ['-1', 'x']) assert.equal((await list(b, [['max-keys', v]])).xml.Error.Code, 'InvalidArgument')
      } else {
        for (const v of ['0', '1001', 'x']) assert.equal((await list(b, [['max-keys', v]])).xml.Error.Code, 'InvalidArgument', v)
      }
    })

    it('lists 1,000 keys a page at most and leaves out delete markers', async () => {
      const b = newBucket(`${d}-big`)
      const keys = Array.from({ length: 1001 }, (_, i) => `o${String(i).padStart(4, '0')}`)
      await seedObjectStoreBucket(emu().url, b, [...keys.map((key) => ({ key })), { key: 'gone' }, { key: 'gone', deleteMarker: true }], { versioning: 'Enabled' })
      const r = await list(b, [['max-keys', '1000']])
      assert.equal(keysOf(r).length, 1000)
      assert.equal(r.xml.ListBucketResult.IsTruncated, 'true')
      const rest = await list(b, [['continuation-token', r.xml.ListBucketResult.NextContinuationToken]])
      assert.deepEqual(keysOf(rest), ['o1000'])
    })

    it('answers 404 NoSuchBucket for a missing bucket, and checks the signature (every signing version)', async () => {
      const missing = await list(newBucket('nobucket'))
      assert.equal(missing.status, 404)
      assert.equal(missing.xml.Error.Code, 'NoSuchBucket')
      const b = await seed('auth', ['a', 'b'])
      const token = (await list(b, [['max-keys', '1']])).xml.ListBucketResult.NextContinuationToken
      for (const sign of d === 's3' ? (['v4', 'v2'] as const) : (['v4', 'v1'] as const)) {
        const ok = await list(b, [['max-keys', '1'], ['continuation-token', token]], { sign })
        assert.deepEqual(keysOf(ok), ['b'], `${sign} signs the listing`)
        const wrong = await list(b, [['continuation-token', token]], { sign, sk: 'not-the-secret' })
        assert.equal(wrong.status, 403)
        assert.equal(wrong.xml.Error.Code, 'SignatureDoesNotMatch')
      }
    })

    it('takes the bucket fault rules like any request: http (with Retry-After), garbage, drop', async () => {
      const b = await seed('faults', ['a'])
      await addFault(emu().url, { bucket: b, kind: 'http', status: 503, retryAfter: 1 })
      const slow = await list(b)
      assert.equal(slow.status, 503)
      assert.equal(slow.xml.Error.Code, 'SlowDown')
      assert.equal(slow.headers['retry-after'], '1')
      await addFault(emu().url, { bucket: b, kind: 'garbage' })
      const junk = await list(b)
      assert.equal(junk.status, 200)
      assert.equal(junk.xml, undefined)
      await addFault(emu().url, { bucket: b, kind: 'drop' })
      await assert.rejects(list(b))
      assert.deepEqual(keysOf(await list(b)), ['a'])
    })
  })
}
