/**
 * DeleteObjects (S3) / DeleteMultipleObjects (OSS): Content-MD5, XML validation, the 1,000-key
 * limit, quiet and verbose answers, missing keys, versions, XML entities and control characters,
 * OSS encoding-type=url. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { getObjectStoreBucket, objectStoreRequestLog, seedObjectStoreBucket } from '../../control.ts'
import { children, listOf, parseXmlDocument, textOf } from '../xml.ts'
import { deleteBody, deleteObjects, DIALECTS, md5b64, newBucket, objectsByKey, useEmulators, type Res } from './harness.ts'

const emus = useEmulators()

/** Deleted and Error entries of a DeleteResult, keys decoded (all XML references). */
function result(r: Res): { deleted: Array<Record<string, string>>; errors: Array<Record<string, string>>; encoding?: string } {
  const root = children(parseXmlDocument(r.body, 'DeleteResult', ['Deleted', 'Error']), 'DeleteResult')
  const flat = (v: unknown) => Object.fromEntries(Object.keys(children(v as never, 'x')).filter((k) => k !== '#text').map((k) => [k, textOf(children(v as never, 'x'), k)!]))
  const out: { deleted: Array<Record<string, string>>; errors: Array<Record<string, string>>; encoding?: string } = {
    deleted: listOf(root, 'Deleted').map(flat),
    errors: listOf(root, 'Error').map(flat),
  }
  const enc = textOf(root, 'EncodingType')
  if (enc !== undefined) out.encoding = enc
  return out
}

for (const d of DIALECTS) {
  const emu = emus[d]

  describe(`${d}: DeleteObjects request checks`, () => {
    it('requires Content-MD5 and checks it against the body', async () => {
      const b = newBucket(`${d}-md5`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      const body = deleteBody(['a'])
      let r = await deleteObjects(emu(), b, body, { contentMd5: null })
      assert.equal(r.status, 400)
      if (d === 's3') {
        assert.equal(r.xml.Error.Code, 'InvalidRequest')
        assert.equal(r.xml.Error.Message, 'Missing required header for this request: Content-MD5')
      } else {
        assert.equal(r.xml.Error.Code, 'InvalidDigest')
        assert.equal(r.xml.Error.EC, '0016-00000606')
      }
      r = await deleteObjects(emu(), b, body, { contentMd5: md5b64('other') })
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, d === 's3' ? 'BadDigest' : 'InvalidDigest')
      r = await deleteObjects(emu(), b, body, { contentMd5: 'not base64 of 16 bytes' })
      assert.equal(r.xml.Error.Code, 'InvalidDigest')
      assert.ok((await objectsByKey(emu(), b)).has('a'), 'nothing deleted')
    })

    it('answers MalformedXML to invalid documents, more than 1,000 keys, no key; 1,000 keys are fine', async () => {
      const b = newBucket(`${d}-malformed`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      const bad = [
        '<Delete><Object><Key>a</Key></Object>',
        '<Delete><Object><Key>a</Key></Object></Delete><Delete/>',
        '<Remove><Object><Key>a</Key></Object></Remove>',
        '<Delete></Delete>',
        '<Delete><Quiet>true</Quiet></Delete>',
        '<Delete><Object><VersionId>v</VersionId></Object></Delete>',
        '<Delete><Object><Key>a&b</Key></Object></Delete>',
        '<Delete><Object><Key>a&nbsp;</Key></Object></Delete>',
        '<Delete><Object><Key>a\u0001</Key></Object></Delete>',
        '<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>',
        '<Delete><Object><Key><Inner/></Key></Object></Delete>',
        'not xml',
        deleteBody(Array.from({ length: 1001 }, (_, i) => `k${i}`)),
      ]
      for (const body of bad) {
        const r = await deleteObjects(emu(), b, body)
        assert.equal(r.status, 400, body.slice(0, 80))
        assert.equal(r.xml.Error.Code, 'MalformedXML', body.slice(0, 80))
      }
      assert.ok((await objectsByKey(emu(), b)).has('a'))
      const r = await deleteObjects(emu(), b, deleteBody(Array.from({ length: 1000 }, (_, i) => (i === 999 ? 'a' : `k${i}`)), true))
      assert.equal(r.status, 200)
      assert.equal((await objectsByKey(emu(), b)).size, 0)
      const log = await objectStoreRequestLog(emu().url, b)
      assert.deepEqual(log.at(-1)!.ops, 1000)
    })

    it('answers 404 NoSuchBucket for a missing bucket', async () => {
      const r = await deleteObjects(emu(), newBucket('none'), deleteBody(['a']))
      assert.equal(r.status, 404)
      assert.equal(r.xml.Error.Code, 'NoSuchBucket')
    })
  })

  describe(`${d}: DeleteObjects results`, () => {
    it('verbose lists every key in order; a missing key counts as deleted; layout whitespace and xmlns are fine', async () => {
      const b = newBucket(`${d}-verbose`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }, { key: 'c' }, { key: 'keep' }])
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n  <Quiet>false</Quiet>\n  <Object>\n    <Key>c</Key>\n  </Object>\n  <Object><Key>missing</Key></Object>\n  <Object><Key>a</Key></Object>\n</Delete>\n`
      const r = await deleteObjects(emu(), b, body)
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(result(r), { deleted: [{ Key: 'c' }, { Key: 'missing' }, { Key: 'a' }], errors: [] })
      if (d === 's3') assert.match(r.text, /<DeleteResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/">/)
      assert.deepEqual([...(await objectsByKey(emu(), b)).keys()], ['keep'])
    })

    it(`quiet lists only errors; with none, ${d === 's3' ? 'an empty DeleteResult' : 'no body at all'}`, async () => {
      const b = newBucket(`${d}-quiet`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }, { key: 'b' }])
      const r = await deleteObjects(emu(), b, deleteBody(['a', 'b'], true))
      assert.equal(r.status, 200)
      if (d === 's3') assert.equal(r.text, '<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>')
      else assert.equal(r.text, '')
      assert.equal((await objectsByKey(emu(), b)).size, 0)
    })

    it('decodes XML entities and character references in keys (CR, control characters, quotes) and escapes them back', async () => {
      const keys = ['a&b', '<tag>', `q"'q`, 'cr\rlf\n', 'ctl\u0001\u0008\u001f', 'tab\there', ' spaced ', '中文 🙂', '%41+']
      const b = newBucket(`${d}-entities`)
      await seedObjectStoreBucket(emu().url, b, [...keys.map((key) => ({ key })), { key: 'keep' }])
      const r = await deleteObjects(emu(), b, deleteBody(keys))
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(result(r).deleted.map((x) => x.Key), keys)
      assert.ok(r.text.includes('cr&#xD;lf\n'), 'CR is written as a character reference')
      assert.ok(r.text.includes('ctl&#x1;&#x8;&#x1F;'))
      assert.deepEqual([...(await objectsByKey(emu(), b)).keys()], ['keep'])
      // Decimal references and &#x0D; (leading zero) too.
      await seedObjectStoreBucket(emu().url, b, [{ key: 'x\ry' }, { key: 'A' }])
      const r2 = await deleteObjects(emu(), b, '<Delete><Object><Key>x&#13;y</Key></Object><Object><Key>&#x0041;</Key></Object></Delete>')
      assert.equal(r2.status, 200)
      assert.equal((await objectsByKey(emu(), b)).size, 0)
      // A literal CR in the document is end-of-line handling (CR → LF), so it names another key.
      await seedObjectStoreBucket(emu().url, b, [{ key: 'x\ry' }])
      await deleteObjects(emu(), b, '<Delete><Object><Key>x\ry</Key></Object></Delete>')
      assert.ok((await objectsByKey(emu(), b)).has('x\ry'))
    })

    it('honours VersionId in versioned buckets; without one a delete marker is added', async () => {
      const b = newBucket(`${d}-versions`)
      await seedObjectStoreBucket(emu().url, b, [
        { key: 'a', body: 'a1', versionId: 'a1' },
        { key: 'a', body: 'a2', versionId: 'a2' },
        { key: 'b', body: 'b1', versionId: 'b1' },
      ], { versioning: 'Enabled' })
      let r = await deleteObjects(emu(), b, deleteBody([{ key: 'a', versionId: 'a2' }, 'b', { key: 'a', versionId: 'nope' }]))
      assert.equal(r.status, 200, r.text)
      const res = result(r)
      assert.deepEqual(res.deleted[0], { Key: 'a', VersionId: 'a2' })
      assert.equal(res.deleted[1]!.Key, 'b')
      assert.equal(res.deleted[1]!.DeleteMarker, 'true')
      const marker = res.deleted[1]!.DeleteMarkerVersionId!
      assert.ok(marker.length > 0)
      assert.deepEqual(res.deleted[2], { Key: 'a', VersionId: 'nope' })
      let state = await getObjectStoreBucket(emu().url, b)
      assert.deepEqual(state.objects.map((o) => [o.key, o.body]), [['a', 'a1']])
      assert.deepEqual(state.versions.map((o) => [o.key, o.versionId, o.deleteMarker, o.isLatest]), [
        ['a', 'a1', false, true],
        ['b', marker, true, true],
        ['b', 'b1', false, false],
      ])
      r = await deleteObjects(emu(), b, deleteBody([{ key: 'b', versionId: marker }]))
      assert.deepEqual(result(r).deleted, [{ Key: 'b', VersionId: marker, DeleteMarker: 'true', DeleteMarkerVersionId: marker }])
      state = await getObjectStoreBucket(emu().url, b)
      assert.deepEqual(state.objects.map((o) => o.key), ['a', 'b'])
    })

    if (d === 'oss') {
      it('encoding-type=url URL-encodes the returned keys and says so', async () => {
        const b = newBucket('oss-enc')
        const keys = ['a b', 'c+d/e', 'x\u0001y', 'é']
        await seedObjectStoreBucket(emu().url, b, keys.map((key) => ({ key })))
        const r = await deleteObjects(emu(), b, deleteBody(keys), { query: [['encoding-type', 'url']] })
        assert.equal(r.status, 200, r.text)
        const res = result(r)
        assert.deepEqual(res.deleted.map((x) => x.Key), ['a%20b', 'c%2Bd%2Fe', 'x%01y', '%C3%A9'])
        assert.equal(res.encoding, 'url')
        assert.deepEqual(res.deleted.map((x) => decodeURIComponent(x.Key!)), keys)
        const bad = await deleteObjects(emu(), b, deleteBody(['a']), { query: [['encoding-type', 'base64']] })
        assert.equal(bad.status, 400)
      })
    } else {
      it('ignores encoding-type (S3 DeleteObjects has none)', async () => {
        const b = newBucket('s3-enc')
        await seedObjectStoreBucket(emu().url, b, [{ key: 'a b' }])
        const r = await deleteObjects(emu(), b, deleteBody(['a b']), { query: [['encoding-type', 'url']] })
        assert.deepEqual(result(r), { deleted: [{ Key: 'a b' }], errors: [] })
      })
    }
  })
}
