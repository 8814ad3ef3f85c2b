/**
 * Multipart uploads on both dialects: the whole flow and its ETags, the rules CompleteMultipartUpload
 * checks (order, ETags, minimum part size, unknown uploads), abort, and signatures over the
 * uploads / partNumber / uploadId sub-resources. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { addFault, getObjectStoreBucket, seedObjectStoreBucket } from '../../control.ts'
import { DIALECTS, md5b64, md5hex, newBucket, px, send, useEmulators, type SendOpts } from './harness.ts'

// Small parts keep these tests light; the services' own minimums are checked below with `real`.
const MIN = 1024
const emus = useEmulators({ s3: { minPartBytes: MIN }, oss: { minPartBytes: MIN } })
const real = useEmulators()

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff))
const multipartEtag = (parts: Buffer[]) => `${createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex')}-${parts.length}`
const completeXml = (parts: Array<[number, string]>) =>
  `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e.replace(/"/g, '&quot;')}</ETag></Part>`).join('')}</CompleteMultipartUpload>`

for (const d of DIALECTS) {
  const wireEtag = (hex: string) => (d === 's3' ? `"${hex}"` : `"${hex.toUpperCase()}"`)

  function client(emu: () => ReturnType<typeof emus.s3>) {
    return {
      async create(bucket: string, key: string, o: SendOpts = {}) {
        const r = await send(emu(), { ...o, method: 'POST', bucket, key, query: [['uploads', null]] })
        assert.equal(r.status, 200, r.text)
        return r.xml.InitiateMultipartUploadResult.UploadId as string
      },
      part: (bucket: string, key: string, id: string, n: number | string, body: Buffer, o: SendOpts = {}) =>
        send(emu(), { ...o, method: 'PUT', bucket, key, query: [['partNumber', String(n)], ['uploadId', id]], body, headers: { 'content-md5': md5b64(body), ...o.headers } }),
      complete: (bucket: string, key: string, id: string, xml: string, o: SendOpts = {}) =>
        send(emu(), { ...o, method: 'POST', bucket, key, query: [['uploadId', id]], body: xml, headers: { 'content-type': 'application/xml' } }),
      abort: (bucket: string, key: string, id: string) => send(emu(), { method: 'DELETE', bucket, key, query: [['uploadId', id]] }),
    }
  }
  const c = client(emus[d])
  const bucketOf = async (tag: string, emu = emus[d]) => {
    const b = newBucket(`${d}-${tag}`)
    await seedObjectStoreBucket(emu().url, b, [])
    return b
  }

  describe(`${d}: multipart uploads`, () => {
    it('creates, uploads parts (ETag = part MD5) and completes into one object with the multipart ETag', async () => {
      const b = await bucketOf('flow')
      const id = await c.create(b, 'dir/report.csv', { headers: { 'content-type': 'text/csv', [`${px(emus[d]())}meta-run`]: '7' } })
      assert.match(id, d === 's3' ? /^[A-Za-z0-9_-]{64}$/ : /^[0-9A-F]{32}$/)
      const parts = [bytes(MIN, 1), bytes(MIN + 5, 2), bytes(10, 3)]
      const etags: string[] = []
      for (const [i, p] of parts.entries()) {
        const r = await c.part(b, 'dir/report.csv', id, i + 1, p)
        assert.equal(r.status, 200, r.text)
        assert.equal(r.headers.etag, wireEtag(md5hex(p)))
        etags.push(r.headers.etag!)
      }
      const state = await getObjectStoreBucket(emus[d]().url, b)
      assert.deepEqual(state.uploads.map((u) => [u.key, u.uploadId, u.parts.length]), [['dir/report.csv', id, 3]])
      const r = await c.complete(b, 'dir/report.csv', id, completeXml(etags.map((e, i) => [i + 1, e])))
      assert.equal(r.status, 200, r.text)
      const result = r.xml.CompleteMultipartUploadResult
      assert.equal(result.Key, 'dir/report.csv')
      assert.equal(result.Bucket, b)
      assert.equal(result.ETag, wireEtag(multipartEtag(parts)))
      const after = await getObjectStoreBucket(emus[d]().url, b)
      assert.deepEqual(after.uploads, [])
      const o = after.objects[0]!
      assert.equal(o.etag, multipartEtag(parts))
      assert.deepEqual(Buffer.from(o.bodyBase64, 'base64'), Buffer.concat(parts))
      assert.equal(o.contentType, 'text/csv')
      assert.deepEqual(o.meta, { run: '7' })
      const head = await send(emus[d](), { method: 'HEAD', bucket: b, key: 'dir/report.csv' })
      assert.equal(head.headers.etag, wireEtag(multipartEtag(parts)))
      const listed = await send(emus[d](), { bucket: b, query: [['list-type', '2']] })
      assert.equal(listed.xml.ListBucketResult.Contents[0].ETag, wireEtag(multipartEtag(parts)))
      if (d === 'oss') assert.equal(listed.xml.ListBucketResult.Contents[0].Type, 'Multipart')
      assert.equal((await c.complete(b, 'dir/report.csv', id, completeXml([[1, etags[0]!]]))).xml.Error.Code, 'NoSuchUpload', 'a completed upload is gone')
    })

    it('completes with the listed parts only; a re-sent part number replaces the part', async () => {
      const b = await bucketOf('subset')
      const id = await c.create(b, 'k')
      const p1 = bytes(MIN, 1)
      await c.part(b, 'k', id, 1, bytes(MIN, 9))
      const e1 = (await c.part(b, 'k', id, 1, p1)).headers.etag!
      await c.part(b, 'k', id, 2, bytes(MIN, 2))
      const e3 = (await c.part(b, 'k', id, 3, bytes(5, 3))).headers.etag!
      const r = await c.complete(b, 'k', id, completeXml([[1, e1], [3, e3]]))
      assert.equal(r.status, 200, r.text)
      const o = (await getObjectStoreBucket(emus[d]().url, b)).objects[0]!
      assert.deepEqual(Buffer.from(o.bodyBase64, 'base64'), Buffer.concat([p1, bytes(5, 3)]))
    })

    it('refuses parts out of order (InvalidPartOrder), unknown parts or wrong ETags (InvalidPart), a bad or missing list (MalformedXML)', async () => {
      const b = await bucketOf('rules')
      const id = await c.create(b, 'k')
      const e1 = (await c.part(b, 'k', id, 1, bytes(MIN, 1))).headers.etag!
      const e2 = (await c.part(b, 'k', id, 2, bytes(MIN, 2))).headers.etag!
      const code = async (xml: string) => (await c.complete(b, 'k', id, xml)).xml.Error.Code
      assert.equal(await code(completeXml([[2, e2], [1, e1]])), 'InvalidPartOrder')
      assert.equal(await code(completeXml([[1, e1], [1, e1]])), 'InvalidPartOrder')
      assert.equal(await code(completeXml([[1, e1], [3, e2]])), 'InvalidPart')
      assert.equal(await code(completeXml([[1, e2], [2, e2]])), 'InvalidPart')
      const id2 = await c.create(b, 'k2')
      assert.equal((await c.complete(b, 'k2', id2, '<CompleteMultipartUpload></CompleteMultipartUpload>')).xml.Error.Code, 'MalformedXML')
      assert.equal((await c.complete(b, 'k2', id2, '<Complete')).xml.Error.Code, 'MalformedXML')
      // ETags match without their quotes and in any case.
      const ok = await c.complete(b, 'k', id, completeXml([[1, e1.toLowerCase().replace(/"/g, '')], [2, e2.toUpperCase()]]))
      assert.equal(ok.status, 200, ok.text)
    })

    it('refuses part numbers outside 1..10000 and unknown uploads (also of another key)', async () => {
      const b = await bucketOf('numbers')
      const id = await c.create(b, 'k')
      for (const n of ['0', '10001', 'x']) {
        const r = await c.part(b, 'k', id, n, bytes(1, 1))
        assert.equal(r.status, 400, n)
        assert.equal(r.xml.Error.Code, 'InvalidArgument')
      }
      assert.equal((await c.part(b, 'k', id, 10000, bytes(1, 1))).status, 200)
      const other = await c.part(b, 'other', id, 1, bytes(1, 1))
      assert.equal(other.status, 404)
      assert.equal(other.xml.Error.Code, 'NoSuchUpload')
      assert.equal((await c.part(b, 'k', 'nope', 1, bytes(1, 1))).xml.Error.Code, 'NoSuchUpload')
      const bad = await c.part(b, 'k', id, 1, bytes(3, 1), { headers: { 'content-md5': md5b64('other') } })
      assert.equal(bad.status, 400)
      const missing = await send(emus[d](), { method: 'POST', bucket: newBucket('nobucket'), key: 'k', query: [['uploads', null]] })
      assert.equal(missing.xml.Error.Code, 'NoSuchBucket')
    })

    it('aborts: 204, the upload and its parts are gone, a second abort is NoSuchUpload', async () => {
      const b = await bucketOf('abort')
      const id = await c.create(b, 'k')
      await c.part(b, 'k', id, 1, bytes(MIN, 1))
      assert.equal((await c.abort(b, 'k', id)).status, 204)
      assert.deepEqual((await getObjectStoreBucket(emus[d]().url, b)).uploads, [])
      const again = await c.abort(b, 'k', id)
      assert.equal(again.status, 404)
      assert.equal(again.xml.Error.Code, 'NoSuchUpload')
      assert.deepEqual((await getObjectStoreBucket(emus[d]().url, b)).objects, [])
    })

    it(`enforces the service's minimum part size, all but the last (${d === 's3' ? '5 MiB' : '100 KiB'}): EntityTooSmall`, async () => {
      const min = d === 's3' ? 5 * 1024 * 1024 : 100 * 1024
      const r = client(real[d])
      const b = await bucketOf('small', real[d])
      const id = await r.create(b, 'k')
      const e1 = (await r.part(b, 'k', id, 1, bytes(min - 1, 1))).headers.etag!
      const e2 = (await r.part(b, 'k', id, 2, bytes(1, 2))).headers.etag!
      const small = await r.complete(b, 'k', id, completeXml([[1, e1], [2, e2]]))
      assert.equal(small.status, 400)
      assert.equal(small.xml.Error.Code, 'EntityTooSmall')
      const e1ok = (await r.part(b, 'k', id, 1, bytes(min, 1))).headers.etag!
      assert.equal((await r.complete(b, 'k', id, completeXml([[1, e1ok], [2, e2]]))).status, 200)
    })

    it('verifies signatures over uploads / partNumber / uploadId with every signing version', async () => {
      const b = await bucketOf('auth')
      for (const sign of d === 's3' ? (['v4', 'v2'] as const) : (['v4', 'v1'] as const)) {
        const id = await c.create(b, `k-${sign}`, { sign })
        const p = await c.part(b, `k-${sign}`, id, 1, bytes(10, 1), { sign })
        assert.equal(p.status, 200, p.text)
        const wrong = await c.part(b, `k-${sign}`, id, 2, bytes(10, 1), { sign, sk: 'not-the-secret' })
        assert.equal(wrong.xml.Error.Code, 'SignatureDoesNotMatch')
        assert.equal((await c.complete(b, `k-${sign}`, id, completeXml([[1, p.headers.etag!]]), { sign })).status, 200)
      }
    })

    it('CompleteMultipartUpload takes inner-error rules (HTTP 200 with an <Error> body, nothing written)', async () => {
      const b = await bucketOf('inner')
      const id = await c.create(b, 'k')
      const e = (await c.part(b, 'k', id, 1, bytes(10, 1))).headers.etag!
      await addFault(emus[d]().url, { bucket: b, kind: 'inner-error', errorCode: 'InternalError' })
      const r = await c.complete(b, 'k', id, completeXml([[1, e]]))
      assert.equal(r.status, 200)
      assert.equal(r.xml.Error.Code, 'InternalError')
      assert.deepEqual((await getObjectStoreBucket(emus[d]().url, b)).objects, [])
      assert.equal((await c.complete(b, 'k', id, completeXml([[1, e]]))).status, 200)
    })
  })
}

