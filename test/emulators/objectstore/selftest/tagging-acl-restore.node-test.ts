/**
 * Object tagging (?tagging), canned ACLs (?acl) and archive restore (?restore) on both dialects.
 * (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { getObjectStoreBucket, markObjectRestored, seedObjectStoreBucket } from '../../control.ts'
import { startObjectStoreEmulator, type ObjectStoreEmulator } from '../server.ts'
import { ARCHIVE_CLASS, DEEP_CLASS, DIALECTS, HOST, IA_CLASS, md5b64, newBucket, objectsByKey, px, send, useEmulators, type DialectId } from './harness.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from '../../../fixtures/objectstore-credentials.ts'

const emus = useEmulators()

const tagging = (tags: Array<[string, string]>) =>
  `<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`
const restoreBody = (d: DialectId, days: number | undefined, tier?: string) =>
  `<RestoreRequest>${days === undefined ? '' : `<Days>${days}</Days>`}${tier === undefined ? '' : `<${d === 's3' ? 'GlacierJobParameters' : 'JobParameters'}><Tier>${tier}</Tier></${d === 's3' ? 'GlacierJobParameters' : 'JobParameters'}>`}</RestoreRequest>`

for (const d of DIALECTS) {
  const emu = emus[d]

  describe(`${d}: tagging`, () => {
    it('PUT replaces the tag set, GET returns it, DELETE (204) empties it', async () => {
      const b = newBucket(`${d}-tags`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', tags: { old: 'x' } }])
      const body = tagging([['a', '1'], ['b c', 'with space'], ['empty', '']])
      let r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', query: [['tagging', null]], body, headers: { 'content-type': 'application/xml', 'content-md5': md5b64(body) } })
      assert.equal(r.status, 200, r.text)
      assert.deepEqual((await objectsByKey(emu(), b)).get('k')!.tags, { a: '1', 'b c': 'with space', empty: '' })
      r = await send(emu(), { bucket: b, key: 'k', query: [['tagging', null]] })
      assert.equal(r.status, 200)
      assert.deepEqual(r.xml.Tagging.TagSet.Tag, [{ Key: 'a', Value: '1' }, { Key: 'b c', Value: 'with space' }, { Key: 'empty', Value: '' }])
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'k' })
      assert.equal(r.headers[`${px(emu())}tagging-count`], '3')
      r = await send(emu(), { method: 'DELETE', bucket: b, key: 'k', query: [['tagging', null]] })
      assert.equal(r.status, 204)
      r = await send(emu(), { bucket: b, key: 'k', query: [['tagging', null]] })
      assert.equal(r.xml.Tagging.TagSet, '')
      assert.ok((await objectsByKey(emu(), b)).has('k'), 'DELETE ?tagging keeps the object')
    })

    it('refuses more than 10 tags, duplicate keys, bad characters, malformed XML, a bad Content-MD5; 404 for a missing object', async () => {
      const b = newBucket(`${d}-tags-bad`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', tags: { keep: 'me' } }])
      const put = (body: string, headers: Record<string, string> = {}, key = 'k') => send(emu(), { method: 'PUT', bucket: b, key, query: [['tagging', null]], body, headers })
      let r = await put(tagging(Array.from({ length: 11 }, (_, i): [string, string] => [`k${i}`, 'v'])))
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, d === 's3' ? 'BadRequest' : 'InvalidTag')
      r = await put(tagging(Array.from({ length: 10 }, (_, i): [string, string] => [`k${i}`, 'v'])))
      assert.equal(r.status, 200)
      r = await put(tagging([['a', '1'], ['a', '2']]))
      assert.equal(r.xml.Error.Code, 'InvalidTag')
      r = await put(tagging([['bad*key', '1']]))
      assert.equal(r.xml.Error.Code, 'InvalidTag')
      r = await put(tagging([['x'.repeat(129), '1']]))
      assert.equal(r.xml.Error.Code, 'InvalidTag')
      if (d === 's3') {
        r = await put(tagging([['aws:reserved', '1']]))
        assert.equal(r.xml.Error.Code, 'InvalidTag')
      }
      r = await put('<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>')
      assert.equal(r.xml.Error.Code, 'MalformedXML')
      r = await put('<Tagging></Tagging>')
      assert.equal(r.xml.Error.Code, 'MalformedXML')
      r = await put(tagging([['a', '1']]), { 'content-md5': md5b64('other') })
      assert.equal(r.status, 400)
      r = await put(tagging([['a', '1']]), {}, 'missing')
      assert.equal(r.status, 404)
      assert.equal(r.xml.Error.Code, 'NoSuchKey')
      assert.equal(Object.keys((await objectsByKey(emu(), b)).get('k')!.tags).length, 10)
    })

    it('addresses a version with ?versionId', async () => {
      const b = newBucket(`${d}-tags-ver`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', versionId: 'old' }, { key: 'k', versionId: 'new' }], { versioning: 'Enabled' })
      const r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', query: [['tagging', null], ['versionId', 'old']], body: tagging([['v', 'old']]) })
      assert.equal(r.status, 200, r.text)
      assert.equal(r.headers[`${px(emu())}version-id`], 'old')
      const versions = (await getObjectStoreBucket(emu().url, b)).versions
      assert.deepEqual(versions.map((v) => [v.versionId, v.tags]), [['new', {}], ['old', { v: 'old' }]])
    })
  })

  describe(`${d}: ACL`, () => {
    it('PUT ?acl takes a canned ACL from the header; GET ?acl reports it', async () => {
      const b = newBucket(`${d}-acl`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k' }])
      let r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', query: [['acl', null]], headers: { [emu().dialect.aclHeader]: 'public-read' } })
      assert.equal(r.status, 200, r.text)
      assert.equal((await objectsByKey(emu(), b)).get('k')!.acl, 'public-read')
      r = await send(emu(), { bucket: b, key: 'k', query: [['acl', null]] })
      assert.equal(r.status, 200)
      if (d === 's3') {
        const grants = r.xml.AccessControlPolicy.AccessControlList.Grant
        assert.deepEqual(grants.map((g: { Permission: string }) => g.Permission), ['FULL_CONTROL', 'READ'])
        assert.equal(grants[1].Grantee.URI, 'http://acs.amazonaws.com/groups/global/AllUsers')
      } else assert.deepEqual(r.xml.AccessControlPolicy.AccessControlList.Grant, ['public-read'])
      const dflt = d === 's3' ? 'private' : 'default'
      r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', query: [['acl', null]], headers: { [emu().dialect.aclHeader]: dflt } })
      assert.equal(r.status, 200)
      assert.equal((await objectsByKey(emu(), b)).get('k')!.acl, dflt)
    })

    it('refuses a value that is not a canned ACL, a missing header, grant headers; 404 for a missing object', async () => {
      const b = newBucket(`${d}-acl-bad`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k' }])
      const put = (headers: Record<string, string>, key = 'k') => send(emu(), { method: 'PUT', bucket: b, key, query: [['acl', null]], headers })
      let r = await put({ [emu().dialect.aclHeader]: d === 's3' ? 'default' : 'authenticated-read' })
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, 'InvalidArgument')
      r = await put({})
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, d === 's3' ? 'MissingSecurityHeader' : 'InvalidArgument')
      r = await put({ [`${px(emu())}grant-read`]: 'id=x' })
      assert.equal(r.status, 501)
      r = await put({ [emu().dialect.aclHeader]: 'private' }, 'missing')
      assert.equal(r.status, 404)
    })
  })

  describe(`${d}: restore`, () => {
    const restore = (bucket: string, key: string, body: string | undefined) =>
      send(emu(), { method: 'POST', bucket, key, query: [['restore', null]], ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/xml' } }) })

    it('202 the first time, 409 RestoreAlreadyInProgress while it runs, 200 once restored; HEAD shows the state', async () => {
      const b = newBucket(`${d}-restore`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'cold', body: 'ice', storageClass: ARCHIVE_CLASS[d] }])
      let r = await restore(b, 'cold', restoreBody(d, 2, 'Standard'))
      assert.equal(r.status, 202, r.text)
      assert.deepEqual((await objectsByKey(emu(), b)).get('cold')!.restore, { ongoing: true, days: 2, tier: 'Standard' })
      r = await send(emu(), { method: 'HEAD', bucket: b, key: 'cold' })
      assert.equal(r.headers[`${px(emu())}restore`], 'ongoing-request="true"')
      r = await restore(b, 'cold', restoreBody(d, 2))
      assert.equal(r.status, 409)
      assert.equal(r.xml.Error.Code, 'RestoreAlreadyInProgress')
      r = await send(emu(), { bucket: b, key: 'cold' })
      assert.equal(r.status, 403, 'still frozen while restoring')
      await markObjectRestored(emu().url, b, 'cold')
      r = await restore(b, 'cold', restoreBody(d, 3))
      assert.equal(r.status, 200)
      const o = (await objectsByKey(emu(), b)).get('cold')!
      assert.equal(o.restore!.ongoing, false)
      assert.ok(Math.abs(Date.parse(o.restore!.expiry!) - (Date.now() + 3 * 86_400_000)) < 60_000)
    })

    it(d === 's3' ? 'refuses a non-archive object with 403 InvalidObjectState' : 'refuses a non-archive object with 400 OperationNotSupported', async () => {
      const b = newBucket(`${d}-restore-std`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'warm', storageClass: IA_CLASS[d] }])
      const r = await restore(b, 'warm', restoreBody(d, 1))
      assert.equal(r.status, d === 's3' ? 403 : 400)
      assert.equal(r.xml.Error.Code, d === 's3' ? 'InvalidObjectState' : 'OperationNotSupported')
      assert.equal((await objectsByKey(emu(), b)).get('warm')!.restore, undefined)
    })

    it('validates the body: Days, Tier (and Expedited on the deepest class), required or optional per provider', async () => {
      const b = newBucket(`${d}-restore-body`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'cold', storageClass: ARCHIVE_CLASS[d] }, { key: 'deep', storageClass: d === 's3' ? 'DEEP_ARCHIVE' : 'DeepColdArchive' }, { key: 'cold2', storageClass: DEEP_CLASS[d] }])
      let r = await restore(b, 'cold', restoreBody(d, 1, 'Fastest'))
      assert.equal(r.xml.Error.Code, 'MalformedXML')
      r = await restore(b, 'cold', '<RestoreRequest><Days>two</Days></RestoreRequest>')
      assert.equal(r.xml.Error.Code, 'MalformedXML')
      r = await restore(b, 'cold', restoreBody(d, 0))
      assert.equal(r.status, 400)
      r = await restore(b, 'deep', restoreBody(d, 1, 'Expedited'))
      assert.equal(r.status, 400)
      assert.equal(r.xml.Error.Code, 'InvalidArgument')
      if (d === 's3') {
        r = await restore(b, 'cold', undefined)
        assert.equal(r.xml.Error.Code, 'MalformedXML', 'S3 needs a body')
        r = await restore(b, 'cold', '<RestoreRequest></RestoreRequest>')
        assert.equal(r.xml.Error.Code, 'MalformedXML', 'S3 needs <Days>')
      } else {
        r = await restore(b, 'cold', restoreBody(d, 8))
        assert.equal(r.status, 400, 'Archive: at most 7 days')
        r = await restore(b, 'cold2', restoreBody(d, 300, 'Bulk'))
        assert.equal(r.status, 202, 'ColdArchive: up to 365 days')
        r = await restore(b, 'cold', undefined)
        assert.equal(r.status, 202, 'OSS takes no body (1 day)')
        assert.equal((await objectsByKey(emu(), b)).get('cold')!.restore!.days, 1)
      }
    })
  })
}

describe('restoreDelayMs: restores complete by themselves', () => {
  const started: ObjectStoreEmulator[] = []
  before(async () => {
    started.push(await startObjectStoreEmulator({ dialect: 's3', host: HOST, port: 0, credentials: S3_CREDENTIALS, restoreDelayMs: 30 }))
    started.push(await startObjectStoreEmulator({ dialect: 'oss', host: HOST, port: 0, credentials: OSS_CREDENTIALS, restoreDelayMs: 30 }))
  })
  after(async () => {
    for (const e of started) await e.close()
  })

  it('an archived object becomes readable after the delay', async () => {
    for (const emu of started) {
      const d = emu.dialect.id
      const b = newBucket(`${d}-auto`)
      await seedObjectStoreBucket(emu.url, b, [{ key: 'cold', body: 'thawed', storageClass: ARCHIVE_CLASS[d] }])
      let r = await send(emu, { method: 'POST', bucket: b, key: 'cold', query: [['restore', null]], body: restoreBody(d, 1) })
      assert.equal(r.status, 202)
      assert.equal((await send(emu, { bucket: b, key: 'cold' })).status, 403)
      await new Promise((res) => setTimeout(res, 60))
      r = await send(emu, { bucket: b, key: 'cold' })
      assert.equal(r.text, 'thawed')
      r = await send(emu, { method: 'HEAD', bucket: b, key: 'cold' })
      assert.match(r.headers[`${emu.dialect.prefix}restore`] ?? '', /ongoing-request="false"/)
    }
  })
})
