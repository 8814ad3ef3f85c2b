/**
 * Single-object requests on both dialects: HEAD, GET (Range), PUT (Content-MD5, metadata, storage
 * class, ACL, tagging, conditional writes), CopyObject (directives, storage class, versions,
 * in-place rules, frozen sources), DELETE; addressing and key encoding. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { getObjectStoreBucket, markObjectRestored, seedObjectStoreBucket } from '../../control.ts'
import { ARCHIVE_CLASS, DIALECTS, IA_CLASS, md5b64, md5hex, newBucket, objectsByKey, px, rawSend, send, STANDARD_CLASS, useEmulators } from './harness.ts'

const emus = useEmulators()
const WEIRD_KEYS = ['a b+c', '100%/x&y=z?#', "quote\"'<>", 'tab\tnew\nline\rcr', 'ctrl\u0001\u001f', 'ünï/中文/🙂', ' lead and trail ', 'dir//double/', '~!*()']

for (const d of DIALECTS) {
  const emu = emus[d]
  const etagOf = (body: string) => (d === 's3' ? `"${md5hex(body)}"` : `"${md5hex(body).toUpperCase()}"`)

  describe(`${d}: HEAD and GET`, () => {
    it('HEAD answers the object headers and no body; 404 without body for a missing key or bucket', async () => {
      const b = newBucket(`${d}-head`)
      await seedObjectStoreBucket(emu().url, b, [
        { key: 'k', body: 'hello', contentType: 'text/plain', meta: { Author: 'alice' }, storageClass: IA_CLASS[d], tags: { t: '1' }, lastModified: '2024-01-02T03:04:05.000Z' },
        { key: 'std', body: '' },
      ])
      let r = await send(emu(), { method: 'HEAD', bucket: b, key: 'k' })
      assert.equal(r.status, 200)
      assert.equal(r.text, '')
      assert.equal(r.headers.etag, etagOf('hello'))
      assert.equal(r.headers['content-length'], '5')
      assert.equal(r.headers['content-type'], 'text/plain')
      assert.equal(r.headers['last-modified'], 'Tue, 02 Jan 2024 03:04:05 GMT')
      assert.equal(r.headers[`${px(emu())}meta-author`], 'alice')
      assert.equal(r.headers[`${px(emu())}storage-class`], IA_CLASS[d])
      assert.equal(r.headers[`${px(emu())}version-id`], undefined, 'unversioned: no version id')
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'std' })
      assert.equal(r.headers[`${px(emu())}storage-class`], d === 's3' ? undefined : 'Standard', 'S3 omits STANDARD, OSS always sends it')
      assert.equal(r.headers['content-type'], d === 's3' ? 'binary/octet-stream' : 'application/octet-stream')
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'missing' })
      assert.equal(r.status, 404)
      assert.equal(r.text, '')
      r = await send(emu(), { method: 'HEAD', bucket: newBucket('nobucket'), key: 'k' })
      assert.equal(r.status, 404)
      r = await send(emu(), { bucket: newBucket('nobucket'), key: 'k' })
      assert.equal(r.xml.Error.Code, 'NoSuchBucket')
      r = await send(emu(), { bucket: b, key: 'missing' })
      assert.equal(r.xml.Error.Code, 'NoSuchKey')
    })

    it('GET honours one byte range (206 + Content-Range), 416 when unsatisfiable, ignores multiple ranges', async () => {
      const b = newBucket(`${d}-range`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', body: '0123456789' }, { key: 'empty' }])
      const get = (range: string) => send(emu(), { bucket: b, key: 'k', headers: { range } })
      let r = await get('bytes=2-4')
      assert.equal(r.status, 206)
      assert.equal(r.text, '234')
      assert.equal(r.headers['content-range'], 'bytes 2-4/10')
      assert.equal(r.headers['content-length'], '3')
      r = await get('bytes=7-')
      assert.equal(r.text, '789')
      r = await get('bytes=-3')
      assert.equal(r.text, '789')
      r = await get('bytes=8-100')
      assert.equal(r.headers['content-range'], 'bytes 8-9/10')
      r = await get('bytes=10-')
      assert.equal(r.status, 416)
      assert.equal(r.xml.Error.Code, 'InvalidRange')
      assert.equal(r.headers['content-range'], 'bytes */10')
      r = await get('bytes=0-1,4-5')
      assert.equal(r.status, 200)
      assert.equal(r.text, '0123456789')
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'k', headers: { range: 'bytes=0-0' } })
      assert.equal(r.status, 206)
      assert.equal(r.headers['content-length'], '1')
      r = await send(emu(), { bucket: b, key: 'empty', headers: { range: 'bytes=0-0' } })
      assert.equal(r.status, 416)
    })

    it('GET of an archived object needs a finished restore (403 InvalidObjectState); HEAD shows the restore state', async () => {
      const b = newBucket(`${d}-frozen`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'cold', body: 'ice', storageClass: ARCHIVE_CLASS[d] }])
      let r = await send(emu(), { bucket: b, key: 'cold' })
      assert.equal(r.status, 403)
      assert.equal(r.xml.Error.Code, 'InvalidObjectState')
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'cold' })
      assert.equal(r.status, 200)
      assert.equal(r.headers[`${px(emu())}restore`], undefined)
      await markObjectRestored(emu().url, b, 'cold', { days: 2 })
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'cold' })
      assert.match(r.headers[`${px(emu())}restore`] ?? '', /^ongoing-request="false", expiry-date=".+ GMT"$/)
      r = await send(emu(), { bucket: b, key: 'cold' })
      assert.equal(r.text, 'ice')
    })

    it('If-Match / If-None-Match on GET: 412 and 304', async () => {
      const b = newBucket(`${d}-cond-get`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', body: 'v' }])
      let r = await send(emu(), { bucket: b, key: 'k', headers: { 'if-match': '"nope"' } })
      assert.equal(r.status, 412)
      r = await send(emu(), { bucket: b, key: 'k', headers: { 'if-none-match': etagOf('v') } })
      assert.equal(r.status, 304)
      r = await send(emu(), { bucket: b, key: 'k', headers: { 'if-match': etagOf('v') } })
      assert.equal(r.status, 200)
    })
  })

  describe(`${d}: PutObject`, () => {
    it('stores body, Content-Type, metadata, storage class, ACL and tags; answers the ETag', async () => {
      const b = newBucket(`${d}-put`)
      await seedObjectStoreBucket(emu().url, b, [])
      const p = px(emu())
      const r = await send(emu(), {
        method: 'PUT',
        bucket: b,
        key: 'k',
        body: 'content',
        headers: {
          'content-type': 'text/csv',
          'content-md5': md5b64('content'),
          [`${p}meta-Color`]: 'blue',
          [`${p}storage-class`]: IA_CLASS[d],
          [emu().dialect.aclHeader]: 'public-read',
          [`${p}tagging`]: 'a=1&b=two%20words',
        },
      })
      assert.equal(r.status, 200, r.text)
      assert.equal(r.headers.etag, etagOf('content'))
      const o = (await objectsByKey(emu(), b)).get('k')!
      assert.deepEqual(
        { body: o.body, etag: o.etag, ct: o.contentType, meta: o.meta, sc: o.storageClass, acl: o.acl, tags: o.tags, size: o.size },
        { body: 'content', etag: md5hex('content'), ct: 'text/csv', meta: { color: 'blue' }, sc: IA_CLASS[d], acl: 'public-read', tags: { a: '1', b: 'two words' }, size: 7 },
      )
    })

    it('checks Content-MD5 (mismatch and malformed), storage class, ACL and tag values', async () => {
      const b = newBucket(`${d}-put-bad`)
      await seedObjectStoreBucket(emu().url, b, [])
      const put = (headers: Record<string, string>) => send(emu(), { method: 'PUT', bucket: b, key: 'k', body: 'x', headers })
      let r = await put({ 'content-md5': md5b64('y') })
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, d === 's3' ? 'BadDigest' : 'InvalidDigest')
      r = await put({ 'content-md5': 'abc' })
      assert.equal(r.xml.Error.Code, 'InvalidDigest')
      r = await put({ [`${px(emu())}storage-class`]: 'ICY' })
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, d === 's3' ? 'InvalidStorageClass' : 'InvalidArgument')
      r = await put({ [emu().dialect.aclHeader]: 'everyone' })
      assert.equal(r.xml.Error.Code, 'InvalidArgument')
      r = await put({ [`${px(emu())}tagging`]: Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&') })
      assert.equal(r.status, 400)
      assert.equal((await getObjectStoreBucket(emu().url, b)).objects.length, 0)
      r = await send(emu(), { method: 'PUT', bucket: b, key: 'x'.repeat(1025), body: 'x' })
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, d === 's3' ? 'KeyTooLongError' : 'InvalidObjectName')
    })

    it('answers 411 MissingContentLength to a chunked upload', async () => {
      const b = newBucket(`${d}-chunked`)
      await seedObjectStoreBucket(emu().url, b, [])
      const r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', headers: { 'transfer-encoding': 'chunked' }, body: 'abc', afterSign: (h) => delete h['content-length'] })
      assert.equal(r.status, 411)
      assert.equal(r.xml.Error.Code, 'MissingContentLength')
    })

    if (d === 's3') {
      it('If-None-Match: * refuses to overwrite (412 PreconditionFailed); If-Match needs the current ETag', async () => {
        const b = newBucket('s3-inm')
        await seedObjectStoreBucket(emu().url, b, [{ key: 'there', body: 'old' }])
        let r = await send(emu(), { method: 'PUT', bucket: b, key: 'there', body: 'new', headers: { 'if-none-match': '*' } })
        assert.equal(r.status, 412)
        assert.equal(r.xml.Error.Code, 'PreconditionFailed')
        r = await send(emu(), { method: 'PUT', bucket: b, key: 'fresh', body: 'new', headers: { 'if-none-match': '*' } })
        assert.equal(r.status, 200)
        r = await send(emu(), { method: 'PUT', bucket: b, key: 'there', body: 'new', headers: { 'if-match': '"0123"' } })
        assert.equal(r.status, 412)
        r = await send(emu(), { method: 'PUT', bucket: b, key: 'there', body: 'new', headers: { 'if-match': etagOf('old') } })
        assert.equal(r.status, 200)
        r = await send(emu(), { method: 'PUT', bucket: b, key: 'nothere', body: 'new', headers: { 'if-match': etagOf('old') } })
        assert.equal(r.status, 404)
        assert.equal((await objectsByKey(emu(), b)).get('there')!.body, 'new')
      })
    } else {
      it('x-oss-forbid-overwrite: true answers 409 FileAlreadyExists, except in versioned buckets (OSS ignores it there)', async () => {
        const b = newBucket('oss-forbid')
        await seedObjectStoreBucket(emu().url, b, [{ key: 'there', body: 'old' }])
        let r = await send(emu(), { method: 'PUT', bucket: b, key: 'there', body: 'new', headers: { 'x-oss-forbid-overwrite': 'true' } })
        assert.equal(r.status, 409)
        assert.equal(r.xml.Error.Code, 'FileAlreadyExists')
        r = await send(emu(), { method: 'PUT', bucket: b, key: 'there', body: 'new', headers: { 'x-oss-forbid-overwrite': 'false' } })
        assert.equal(r.status, 200)
        r = await send(emu(), { method: 'PUT', bucket: b, key: 'fresh', body: 'new', headers: { 'x-oss-forbid-overwrite': 'true' } })
        assert.equal(r.status, 200)
        const v = newBucket('oss-forbid-versioned')
        await seedObjectStoreBucket(emu().url, v, [{ key: 'there', body: 'old' }], { versioning: 'Enabled' })
        r = await send(emu(), { method: 'PUT', bucket: v, key: 'there', body: 'new', headers: { 'x-oss-forbid-overwrite': 'true' } })
        assert.equal(r.status, 200)
        // OSS has no conditional PUT: If-None-Match is not honoured.
        r = await send(emu(), { method: 'PUT', bucket: b, key: 'there', body: 'newer', headers: { 'if-none-match': '*' } })
        assert.equal(r.status, 200)
      })
    }
  })

  describe(`${d}: CopyObject`, () => {
    const p = () => px(emu())
    const copy = (bucket: string, key: string, source: string, headers: Record<string, string> = {}) =>
      send(emu(), { method: 'PUT', bucket, key, headers: { [`${p()}copy-source`]: source, ...headers } })

    it('copies across buckets (source key URL-encoded once), keeping metadata and tags with COPY', async () => {
      const src = newBucket(`${d}-csrc`)
      const dst = newBucket(`${d}-cdst`)
      await seedObjectStoreBucket(emu().url, src, WEIRD_KEYS.map((k) => ({ key: k, body: `body of ${k}`, contentType: 'text/x', meta: { m: '1' }, tags: { t: 'x' }, storageClass: IA_CLASS[d] })))
      await seedObjectStoreBucket(emu().url, dst, [])
      for (const k of WEIRD_KEYS) {
        const r = await copy(dst, `copy/${k}`, `/${src}/${encodeURIComponent(k)}`)
        assert.equal(r.status, 200, `${JSON.stringify(k)}: ${r.text}`)
        assert.equal(r.xml.CopyObjectResult.ETag, etagOf(`body of ${k}`))
        assert.match(r.xml.CopyObjectResult.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      }
      const objs = await objectsByKey(emu(), dst)
      for (const k of WEIRD_KEYS) {
        const o = objs.get(`copy/${k}`)!
        assert.equal(o.body, `body of ${k}`)
        assert.deepEqual([o.contentType, o.meta, o.tags], ['text/x', { m: '1' }, { t: 'x' }])
        // S3 copies land in STANDARD unless asked; OSS keeps the source's class.
        assert.equal(o.storageClass, d === 's3' ? 'STANDARD' : IA_CLASS[d])
        assert.equal(o.acl, emu().dialect.defaultAcl)
      }
      // Without the leading slash, and a '+' that stays a '+'.
      const r = await copy(dst, 'plus', `${src}/a%20b+c`)
      assert.equal(r.status, 200)
    })

    it('REPLACE takes the request\'s Content-Type and metadata; storage class, ACL and tagging directive apply', async () => {
      const b = newBucket(`${d}-creplace`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 's', body: 'x', contentType: 'text/old', meta: { old: '1' }, tags: { t: 'old' } }])
      const r = await copy(b, 'd', `/${b}/s`, {
        [`${p()}metadata-directive`]: 'REPLACE',
        'content-type': 'text/new',
        [`${p()}meta-new`]: '2',
        [`${p()}storage-class`]: IA_CLASS[d],
        [emu().dialect.aclHeader]: 'private',
        [`${p()}tagging-directive`]: d === 's3' ? 'REPLACE' : 'Replace',
        [`${p()}tagging`]: 't=new',
      })
      assert.equal(r.status, 200, r.text)
      const o = (await objectsByKey(emu(), b)).get('d')!
      assert.deepEqual([o.contentType, o.meta, o.storageClass, o.acl, o.tags], ['text/new', { new: '2' }, IA_CLASS[d], 'private', { t: 'new' }])
      const bad = await copy(b, 'd', `/${b}/s`, { [`${p()}metadata-directive`]: 'MERGE' })
      assert.equal(bad.status, 400)
      assert.equal(bad.xml.Error.Code, 'InvalidArgument')
    })

    it(d === 's3' ? 'refuses a copy onto itself without REPLACE or a storage-class change (400 InvalidRequest)' : 'allows a copy onto itself (OSS only rewrites the metadata)', async () => {
      const b = newBucket(`${d}-cself`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', body: 'x', storageClass: STANDARD_CLASS[d], meta: { a: '1' } }])
      let r = await copy(b, 'k', `/${b}/k`)
      if (d === 's3') {
        assert.equal(r.status, 400)
        assert.equal(r.xml.Error.Code, 'InvalidRequest')
        r = await copy(b, 'k', `/${b}/k`, { [`${p()}storage-class`]: 'STANDARD' })
        assert.equal(r.status, 400, 'the same class is no change')
      } else assert.equal(r.status, 200)
      r = await copy(b, 'k', `/${b}/k`, { [`${p()}metadata-directive`]: 'REPLACE', [`${p()}meta-b`]: '2' })
      assert.equal(r.status, 200)
      assert.deepEqual((await objectsByKey(emu(), b)).get('k')!.meta, { b: '2' })
      r = await copy(b, 'k', `/${b}/k`, { [`${p()}storage-class`]: IA_CLASS[d] })
      assert.equal(r.status, 200)
      assert.equal((await objectsByKey(emu(), b)).get('k')!.storageClass, IA_CLASS[d])
      assert.deepEqual((await objectsByKey(emu(), b)).get('k')!.meta, { b: '2' }, 'COPY keeps the metadata')
    })

    it('answers 404 NoSuchKey / NoSuchBucket for a missing source, 403 for a frozen one, 400 for a bad copy source', async () => {
      const b = newBucket(`${d}-cmissing`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'cold', storageClass: ARCHIVE_CLASS[d] }])
      let r = await copy(b, 'd', `/${b}/nothing`)
      assert.equal(r.status, 404)
      assert.equal(r.xml.Error.Code, 'NoSuchKey')
      r = await copy(b, 'd', `/${newBucket('none')}/k`)
      assert.equal(r.xml.Error.Code, 'NoSuchBucket')
      r = await copy(b, 'd', `/${b}/cold`)
      assert.equal(r.status, 403)
      assert.equal(r.xml.Error.Code, 'InvalidObjectState')
      await markObjectRestored(emu().url, b, 'cold')
      r = await copy(b, 'd', `/${b}/cold`)
      assert.equal(r.status, 200)
      for (const bad of ['/just-a-bucket', `/${b}/%E0%A4%A`, '']) {
        r = await copy(b, 'd', bad)
        assert.equal(r.status, 400, JSON.stringify(bad))
      }
    })

    if (d === 's3') {
      it('If-None-Match: * on a copy refuses an existing destination; copy-source conditions', async () => {
        const b = newBucket('s3-cinm')
        await seedObjectStoreBucket(emu().url, b, [{ key: 's', body: 'src' }, { key: 'd', body: 'dst' }])
        let r = await copy(b, 'd', `/${b}/s`, { 'if-none-match': '*' })
        assert.equal(r.status, 412)
        assert.equal((await objectsByKey(emu(), b)).get('d')!.body, 'dst')
        r = await copy(b, 'new', `/${b}/s`, { 'if-none-match': '*' })
        assert.equal(r.status, 200)
        r = await copy(b, 'x', `/${b}/s`, { 'x-amz-copy-source-if-match': '"other"' })
        assert.equal(r.status, 412)
        r = await copy(b, 'x', `/${b}/s`, { 'x-amz-copy-source-if-none-match': etagOf('src') })
        assert.equal(r.status, 412)
      })
    } else {
      it('x-oss-forbid-overwrite on a copy refuses an existing destination (409 FileAlreadyExists)', async () => {
        const b = newBucket('oss-cforbid')
        await seedObjectStoreBucket(emu().url, b, [{ key: 's', body: 'src' }, { key: 'd', body: 'dst' }])
        let r = await copy(b, 'd', `/${b}/s`, { 'x-oss-forbid-overwrite': 'true' })
        assert.equal(r.status, 409)
        assert.equal(r.xml.Error.Code, 'FileAlreadyExists')
        r = await copy(b, 'new', `/${b}/s`, { 'x-oss-forbid-overwrite': 'true' })
        assert.equal(r.status, 200)
      })
    }

    it('copies a given source version and reports version ids in versioned buckets', async () => {
      const b = newBucket(`${d}-cver`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 's', body: 'v1', versionId: 'one' }, { key: 's', body: 'v2', versionId: 'two' }], { versioning: 'Enabled' })
      let r = await copy(b, 'd', `/${b}/s?versionId=one`)
      assert.equal(r.status, 200, r.text)
      assert.equal(r.headers[`${p()}copy-source-version-id`], 'one')
      assert.ok(r.headers[`${p()}version-id`])
      assert.equal((await objectsByKey(emu(), b)).get('d')!.body, 'v1')
      r = await copy(b, 'd', `/${b}/s?versionId=nope`)
      assert.equal(r.status, 404)
    })
  })

  describe(`${d}: DeleteObject, versions and addressing`, () => {
    it('DELETE answers 204 (also for a missing key); versioned buckets get delete markers', async () => {
      const b = newBucket(`${d}-del`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k' }])
      let r = await send(emu(), { method: 'DELETE', bucket: b, key: 'k' })
      assert.equal(r.status, 204)
      r = await send(emu(), { method: 'DELETE', bucket: b, key: 'k' })
      assert.equal(r.status, 204)
      const v = newBucket(`${d}-delv`)
      await seedObjectStoreBucket(emu().url, v, [{ key: 'k', body: 'old', versionId: 'v1' }], { versioning: 'Enabled' })
      r = await send(emu(), { method: 'DELETE', bucket: v, key: 'k' })
      assert.equal(r.status, 204)
      assert.equal(r.headers[`${px(emu())}delete-marker`], 'true')
      const marker = r.headers[`${px(emu())}version-id`]!
      r = await send(emu(), { method: 'HEAD', bucket: v, key: 'k' })
      assert.equal(r.status, 404)
      assert.equal(r.headers[`${px(emu())}delete-marker`], 'true')
      r = await send(emu(), { bucket: v, key: 'k', query: [['versionId', 'v1']] })
      assert.equal(r.text, 'old')
      r = await send(emu(), { bucket: v, key: 'k', query: [['versionId', 'v9']] })
      assert.equal(r.xml.Error.Code, 'NoSuchVersion')
      r = await send(emu(), { method: 'DELETE', bucket: v, key: 'k', query: [['versionId', marker]] })
      assert.equal(r.status, 204)
      assert.equal((await objectsByKey(emu(), v)).get('k')!.body, 'old', 'removing the marker uncovers v1')
    })

    it('round-trips arbitrary keys path-style and virtual-hosted (path segments decoded once)', async () => {
      const b = newBucket(`${d}-keys`)
      await seedObjectStoreBucket(emu().url, b, [])
      for (const [i, k] of WEIRD_KEYS.entries()) {
        const virtual = i % 2 === 1
        let r = await send(emu(), { method: 'PUT', bucket: b, key: k, body: `v:${k}`, virtual })
        assert.equal(r.status, 200, `${JSON.stringify(k)}: ${r.text}`)
        r = await send(emu(), { bucket: b, key: k, virtual: !virtual })
        assert.equal(r.text, `v:${k}`)
      }
      assert.deepEqual([...(await objectsByKey(emu(), b)).keys()].sort(), [...WEIRD_KEYS].sort())
      // %2520 is the literal key "%20"; a bad escape is 400 InvalidURI.
      let r = await send(emu(), { method: 'PUT', bucket: b, key: '%20', body: 'pct' })
      assert.equal(r.status, 200)
      assert.ok((await objectsByKey(emu(), b)).has('%20'))
      r = await rawSend(emu().port, 'GET', `/${b}/%E0%A4%A`, { host: `127.0.0.1:${emu().port}` })
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, 'InvalidURI')
    })

    it('answers 501 NotImplemented to requests it does not emulate and 405 to unknown methods', async () => {
      const b = newBucket(`${d}-unsupported`)
      await seedObjectStoreBucket(emu().url, b, [])
      let r = await send(emu(), { bucket: b })
      assert.equal(r.status, 501)
      assert.equal(r.xml.Error.Code, 'NotImplemented')
      r = await send(emu(), { method: 'PATCH', bucket: b, key: 'k' })
      assert.equal(r.status, 405)
    })
  })
}
