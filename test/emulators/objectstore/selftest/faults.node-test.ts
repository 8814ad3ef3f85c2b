/**
 * Bucket-scoped fault rules on both dialects: http, op (per-key DeleteObjects errors and whole
 * single-object requests), inner-error, delay, drop (with and without apply), garbage; rule
 * validation and consumption. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addFault, clearFaults, listFaults, objectStoreRequestLog, seedObjectStoreBucket } from '../../control.ts'
import { FaultRegistry } from '../../faults.ts'
import { deleteBody, deleteObjects, DIALECTS, md5b64, newBucket, objectsByKey, px, send, useEmulators } from './harness.ts'

const emus = useEmulators()

for (const d of DIALECTS) {
  const emu = emus[d]
  const copyHeaders = (src: string) => ({ [`${px(emu())}copy-source`]: src })

  describe(`${d}: http fault`, () => {
    it('answers SlowDown 503 (error XML, Retry-After) by default, applies nothing, is consumed', async () => {
      const b = newBucket(`${d}-fhttp`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      const rule = await addFault(emu().url, { bucket: b, kind: 'http', status: 503, retryAfter: 3 })
      assert.equal(rule.times, 1)
      let r = await deleteObjects(emu(), b, deleteBody(['a']))
      assert.equal(r.status, 503)
      assert.equal(r.headers['retry-after'], '3')
      assert.equal(r.xml.Error.Code, 'SlowDown')
      assert.equal(r.xml.Error.Message, 'Please reduce your request rate.')
      assert.ok(r.xml.Error.RequestId)
      assert.ok((await objectsByKey(emu(), b)).has('a'))
      assert.deepEqual(await listFaults(emu().url, b), [])
      r = await deleteObjects(emu(), b, deleteBody(['a']))
      assert.equal(r.status, 200)
      const log = await objectStoreRequestLog(emu().url, b)
      assert.deepEqual(log.map((e) => [e.httpStatus, e.fault, e.errorCode]), [[503, 'http', 'SlowDown'], [200, undefined, undefined]])
    })

    it('takes an errorCode or a raw body, fires `times` times, matches the copy source bucket, not other buckets', async () => {
      const b = newBucket(`${d}-fhttp2`)
      const other = newBucket(`${d}-fhttp-other`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      await seedObjectStoreBucket(emu().url, other, [{ key: 'o' }])
      await addFault(emu().url, { bucket: b, kind: 'http', status: 500, errorCode: 'InternalError', times: 2 })
      let r = await send(emu(), { bucket: other, key: 'o' })
      assert.equal(r.status, 200, 'other bucket unaffected')
      r = await send(emu(), { method: 'PUT', bucket: other, key: 'c', headers: copyHeaders(`/${b}/a`) })
      assert.equal(r.status, 500, 'the copy source bucket counts')
      assert.equal(r.xml.Error.Code, 'InternalError')
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'a' })
      assert.equal(r.status, 500)
      assert.equal(r.text, '', 'no body on HEAD')
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'a' })
      assert.equal(r.status, 200)
      await addFault(emu().url, { bucket: b, kind: 'http', status: 502, body: '<html>bad gateway</html>', times: -1 })
      for (let i = 0; i < 3; i++) assert.equal((await send(emu(), { bucket: b, key: 'a' })).text, '<html>bad gateway</html>')
      assert.equal(await clearFaults(emu().url, b), 1)
      assert.equal((await send(emu(), { bucket: b, key: 'a' })).status, 200)
    })

    it('is not consumed by requests that fail auth or validation', async () => {
      const b = newBucket(`${d}-fhttp-order`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      await addFault(emu().url, { bucket: b, kind: 'http', status: 503 })
      let r = await deleteObjects(emu(), b, deleteBody(['a']), { sk: 'wrong' })
      assert.equal(r.status, 403)
      r = await deleteObjects(emu(), b, deleteBody(['a']), { contentMd5: md5b64('x') })
      assert.equal(r.status, 400)
      assert.equal((await listFaults(emu().url, b)).length, 1)
    })
  })

  describe(`${d}: op fault`, () => {
    it('DeleteObjects: matching keys get per-key <Error> (not deleted), the others are deleted; one firing per request', async () => {
      const b = newBucket(`${d}-fop`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }, { key: 'b&c' }, { key: 'd' }])
      await addFault(emu().url, { bucket: b, kind: 'op', key: 'b&c', code: 500 })
      let r = await deleteObjects(emu(), b, deleteBody(['a', 'b&c', 'd']))
      assert.equal(r.status, 200)
      assert.deepEqual(r.xml.DeleteResult.Deleted, [{ Key: 'a' }, { Key: 'd' }])
      assert.deepEqual(r.xml.DeleteResult.Error, [{ Key: 'b&c', Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' }])
      assert.deepEqual([...(await objectsByKey(emu(), b)).keys()], ['b&c'])
      const log = await objectStoreRequestLog(emu().url, b)
      assert.deepEqual([log[0]!.fault, log[0]!.keyErrors, log[0]!.ops], ['op', 1, 3])
      r = await deleteObjects(emu(), b, deleteBody(['b&c']))
      assert.deepEqual(r.xml.DeleteResult.Deleted, [{ Key: 'b&c' }], 'the rule fired once')
    })

    it('DeleteObjects: errorCode and message, all keys of the bucket without `key`, errors listed in quiet mode', async () => {
      const b = newBucket(`${d}-fop2`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }, { key: 'b' }])
      await addFault(emu().url, { bucket: b, kind: 'op', code: 403, errorCode: 'AccessDenied', error: 'Access Denied by rule' })
      const r = await deleteObjects(emu(), b, deleteBody(['a', 'b'], true))
      assert.equal(r.status, 200)
      assert.equal(r.xml.DeleteResult.Deleted, undefined)
      assert.deepEqual(r.xml.DeleteResult.Error.map((e: { Code: string; Message: string }) => [e.Code, e.Message]), [['AccessDenied', 'Access Denied by rule'], ['AccessDenied', 'Access Denied by rule']])
      assert.equal((await objectsByKey(emu(), b)).size, 2)
    })

    it('single-object requests answer the rule\'s status with an error document; copies match source or destination key', async () => {
      const b = newBucket(`${d}-fop3`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', body: 'v' }])
      await addFault(emu().url, { bucket: b, kind: 'op', key: 'k', code: 503, times: 3 })
      let r = await send(emu(), { bucket: b, key: 'k' })
      assert.equal(r.status, 503)
      assert.equal(r.xml.Error.Code, 'SlowDown')
      r = await send(emu(), { method: 'PUT', bucket: b, key: 'copy', headers: copyHeaders(`/${b}/k`) })
      assert.equal(r.status, 503)
      r = await send(emu(), { method: 'PUT', bucket: b, key: 'other', body: 'x' })
      assert.equal(r.status, 200, 'another key is not matched')
      r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', body: 'new', headers: { 'content-type': 'text/plain' } })
      assert.equal(r.status, 503)
      assert.equal((await objectsByKey(emu(), b)).get('k')!.body, 'v')
      assert.deepEqual(await listFaults(emu().url, b), [])
    })
  })

  describe(`${d}: inner-error fault`, () => {
    it('DeleteObjects answers HTTP 200 whose body is an <Error> document; nothing is deleted', async () => {
      const b = newBucket(`${d}-finner`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      await addFault(emu().url, { bucket: b, kind: 'inner-error' })
      const r = await deleteObjects(emu(), b, deleteBody(['a']))
      assert.equal(r.status, 200)
      assert.equal(r.xml.Error.Code, 'InternalError')
      assert.ok(r.xml.Error.RequestId)
      assert.equal(r.xml.DeleteResult, undefined)
      assert.ok((await objectsByKey(emu(), b)).has('a'))
      const log = await objectStoreRequestLog(emu().url, b)
      assert.deepEqual([log[0]!.httpStatus, log[0]!.fault, log[0]!.errorCode], [200, 'inner-error', 'InternalError'])
    })

    it('CopyObject answers 200 with an <Error> (code and message of the rule); other requests leave the rule alone', async () => {
      const b = newBucket(`${d}-finner2`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 's' }])
      await addFault(emu().url, { bucket: b, kind: 'inner-error', errorCode: 'SlowDown', message: 'inner slow down' })
      let r = await send(emu(), { method: 'HEAD', bucket: b, key: 's' })
      assert.equal(r.status, 200)
      assert.equal((await listFaults(emu().url, b)).length, 1, 'HEAD does not match an inner-error rule')
      r = await send(emu(), { method: 'PUT', bucket: b, key: 'd', headers: copyHeaders(`/${b}/s`) })
      assert.equal(r.status, 200)
      assert.equal(r.xml.Error.Code, 'SlowDown')
      assert.equal(r.xml.Error.Message, 'inner slow down')
      assert.equal(r.xml.CopyObjectResult, undefined)
      assert.ok(!(await objectsByKey(emu(), b)).has('d'))
    })
  })

  describe(`${d}: delay, drop, garbage`, () => {
    it('delay waits, then applies the request', async () => {
      const b = newBucket(`${d}-fdelay`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      await addFault(emu().url, { bucket: b, kind: 'delay', ms: 150 })
      const t0 = Date.now()
      const r = await deleteObjects(emu(), b, deleteBody(['a']))
      assert.ok(Date.now() - t0 >= 140)
      assert.equal(r.status, 200)
      assert.equal((await objectsByKey(emu(), b)).size, 0)
      assert.equal((await objectStoreRequestLog(emu().url, b))[0]!.fault, 'delay')
    })

    it('drop destroys the connection without applying; with apply the request is applied first', async () => {
      const b = newBucket(`${d}-fdrop`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }, { key: 'b' }])
      await addFault(emu().url, { bucket: b, kind: 'drop' })
      await assert.rejects(deleteObjects(emu(), b, deleteBody(['a'])))
      assert.ok((await objectsByKey(emu(), b)).has('a'))
      await addFault(emu().url, { bucket: b, kind: 'drop', apply: true })
      await assert.rejects(deleteObjects(emu(), b, deleteBody(['a'])))
      assert.ok(!(await objectsByKey(emu(), b)).has('a'))
      await addFault(emu().url, { bucket: b, kind: 'drop', apply: true })
      await assert.rejects(send(emu(), { method: 'PUT', bucket: b, key: 'new', body: 'applied' }))
      assert.equal((await objectsByKey(emu(), b)).get('new')!.body, 'applied')
      const log = await objectStoreRequestLog(emu().url, b)
      assert.deepEqual(log.map((e) => [e.httpStatus, e.fault]), [[0, 'drop'], [0, 'drop'], [0, 'drop']])
    })

    it('garbage answers 200 with a body that is not an XML document, applying nothing', async () => {
      const b = newBucket(`${d}-fgarbage`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a' }])
      await addFault(emu().url, { bucket: b, kind: 'garbage' })
      let r = await deleteObjects(emu(), b, deleteBody(['a']))
      assert.equal(r.status, 200)
      assert.match(r.text, /^<\?xml .*<Deleted><Key>emulator-garbage<\/Ke$/s)
      assert.ok((await objectsByKey(emu(), b)).has('a'))
      await addFault(emu().url, { bucket: b, kind: 'garbage', body: '{"not":"xml"}' })
      r = await send(emu(), { bucket: b, key: 'a' })
      assert.equal(r.text, '{"not":"xml"}')
    })
  })

  describe(`${d}: rule validation`, () => {
    it('accepts the object-store fields and refuses bad rules with 400', async () => {
      const b = newBucket(`${d}-fvalid`)
      const ok = await addFault(emu().url, { bucket: b, kind: 'inner-error', errorCode: 'InternalError', message: 'm', times: -1 })
      assert.equal(ok.kind, 'inner-error')
      for (const bad of [
        { bucket: b, kind: 'inner-error', errorCode: 'not a code' },
        { bucket: b, kind: 'op', code: 500, errorCode: 42 },
        { bucket: b, kind: 'explode' },
        { bucket: b, kind: 'http', status: 503, unknown: 1 },
        { kind: 'http', status: 503 },
      ]) {
        await assert.rejects(addFault(emu().url, bad as never), /→ 400/, JSON.stringify(bad))
      }
    })
  })
}

describe('the shared fault registry', () => {
  it('keeps the Qiniu emulator\'s rules as they were: no inner-error, no errorCode', () => {
    const qiniu = new FaultRegistry()
    assert.throws(() => qiniu.add({ bucket: 'b', kind: 'inner-error' }), /"kind" must be one of http, op, delay, drop, garbage/)
    assert.throws(() => qiniu.add({ bucket: 'b', kind: 'op', code: 612, errorCode: 'NoSuchKey' }), /unknown field "errorCode"/)
    const objectStore = new FaultRegistry({ kinds: ['http', 'op', 'delay', 'drop', 'garbage', 'inner-error'], errorCodes: true })
    objectStore.add({ bucket: 'b', kind: 'inner-error' })
    objectStore.add({ bucket: 'b', kind: 'http', status: 503 })
    assert.equal(objectStore.takeInnerError(new Set(['other'])), undefined)
    assert.equal(objectStore.takeTerminal(new Set(['b']))?.kind, 'http', 'takeTerminal never returns an inner-error rule')
    assert.deepEqual(objectStore.takeInnerError(new Set(['b'])), { kind: 'inner-error', bucket: 'b' })
    assert.deepEqual(objectStore.list(), [])
  })
})
