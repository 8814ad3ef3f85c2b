/**
 * The control API of the object-store emulators (same routes as the Qiniu emulator's): seeding,
 * patching, reading and deleting buckets with versions; request logs; fault routes. Plus the
 * versioning semantics seen through provider requests. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  clearRequestLog,
  deleteBucket,
  getObjectStoreBucket,
  listObjectStoreObjects,
  markObjectRestored,
  objectStoreRequestLog,
  patchObjectStoreBucket,
  seedObjectStoreBucket,
} from '../../control.ts'
import { ARCHIVE_CLASS, DIALECTS, IA_CLASS, md5hex, newBucket, px, send, useEmulators } from './harness.ts'

const emus = useEmulators()

for (const d of DIALECTS) {
  const emu = emus[d]

  describe(`${d}: buckets through the control API`, () => {
    it('seeds objects with every field and reads them back (sorted by key bytes)', async () => {
      const b = newBucket(`${d}-seed`)
      await seedObjectStoreBucket(emu().url, b, [
        { key: 'z', body: 'text body', contentType: 'text/plain', meta: { Mixed: 'Case' }, storageClass: IA_CLASS[d], tags: { a: '1' }, acl: 'public-read', lastModified: '2020-02-02T02:02:02.000Z' },
        { key: 'a', bodyBase64: Buffer.from([0, 255, 1]).toString('base64') },
        { key: 'cold', storageClass: ARCHIVE_CLASS[d], restore: { ongoing: true, days: 3, tier: 'Bulk' } },
      ])
      const state = await getObjectStoreBucket(emu().url, b)
      assert.equal(state.versioning, 'Unversioned')
      assert.deepEqual(state.objects.map((o) => o.key), ['a', 'cold', 'z'])
      const z = state.objects[2]!
      assert.deepEqual(z, {
        key: 'z',
        versionId: 'null',
        isLatest: true,
        deleteMarker: false,
        size: 9,
        etag: md5hex('text body'),
        contentType: 'text/plain',
        lastModified: '2020-02-02T02:02:02.000Z',
        meta: { mixed: 'Case' },
        storageClass: IA_CLASS[d],
        tags: { a: '1' },
        acl: 'public-read',
        body: 'text body',
        bodyBase64: Buffer.from('text body').toString('base64'),
      })
      assert.equal(state.objects[0]!.bodyBase64, 'AP8B')
      assert.equal(state.objects[0]!.contentType, emu().dialect.defaultContentType)
      assert.equal(state.objects[0]!.storageClass, emu().dialect.defaultStorageClass)
      assert.equal(state.objects[0]!.acl, emu().dialect.defaultAcl)
      assert.deepEqual(state.objects[1]!.restore, { ongoing: true, days: 3, tier: 'Bulk' })
      assert.deepEqual((await listObjectStoreObjects(emu().url, b)).map((o) => o.key), ['a', 'cold', 'z'])
    })

    it('refuses invalid seeds with 400 and leaves an existing bucket as it was', async () => {
      const b = newBucket(`${d}-seed-bad`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'keep' }])
      const bad: unknown[] = [
        [{ key: 'x', storageClass: 'NOPE' }],
        [{ key: 'x', acl: 'nope' }],
        [{ key: 'x', restore: { ongoing: true } }],
        [{ key: 'x' }, { key: 'x' }],
        [{ key: 'x', versionId: 'v1' }],
        [{ key: 'x', body: 'a', bodyBase64: 'YQ==' }],
        [{ key: 'x', colour: 'red' }],
        [{ key: '' }],
        [{ key: 'x', meta: { a: 1 } }],
      ]
      for (const objects of bad) {
        await assert.rejects(seedObjectStoreBucket(emu().url, b, objects as never), /→ 400/, JSON.stringify(objects))
      }
      await assert.rejects(seedObjectStoreBucket(emu().url, b, [], { versioning: 'On' as never }), /→ 400/)
      await assert.rejects(patchObjectStoreBucket(emu().url, b, { upsert: [{ key: 'new' }], update: [{ key: 'absent', contentType: 'x' }] }), /→ 400/)
      assert.deepEqual((await listObjectStoreObjects(emu().url, b)).map((o) => o.key), ['keep'], 'all or nothing')
      await assert.rejects(patchObjectStoreBucket(emu().url, newBucket('none'), {}), /→ 404/)
      await assert.rejects(getObjectStoreBucket(emu().url, newBucket('none')), /→ 404/)
    })

    it('patches: upsert, update (null resets a field), delete; markObjectRestored; deleteBucket', async () => {
      const b = newBucket(`${d}-patch`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'a', body: 'a', meta: { m: '1' }, contentType: 'text/a' }, { key: 'b' }, { key: 'cold', storageClass: ARCHIVE_CLASS[d] }])
      await patchObjectStoreBucket(emu().url, b, {
        upsert: [{ key: 'c', body: 'c' }],
        update: [{ key: 'a', meta: null, contentType: null, tags: { t: 'x' } }],
        delete: ['b', 'not-there'],
      })
      let state = await getObjectStoreBucket(emu().url, b)
      assert.deepEqual(state.objects.map((o) => o.key), ['a', 'c', 'cold'])
      const a = state.objects[0]!
      assert.deepEqual([a.body, a.meta, a.contentType, a.tags], ['a', {}, emu().dialect.defaultContentType, { t: 'x' }])
      await markObjectRestored(emu().url, b, 'cold', { days: 5 })
      state = await getObjectStoreBucket(emu().url, b)
      const r = state.objects[2]!.restore!
      assert.equal(r.ongoing, false)
      assert.ok(Math.abs(Date.parse(r.expiry!) - (Date.now() + 5 * 86_400_000)) < 60_000)
      assert.equal(await deleteBucket(emu().url, b), true)
      assert.equal(await deleteBucket(emu().url, b), false)
    })

    it('versioned buckets: versions in seed order, delete markers, newest first; upserts add versions', async () => {
      const b = newBucket(`${d}-versions`)
      await seedObjectStoreBucket(emu().url, b, [
        { key: 'k', body: '1', versionId: 'v1' },
        { key: 'k', body: '2', versionId: 'v2' },
        { key: 'gone', body: 'x', versionId: 'g1' },
        { key: 'gone', deleteMarker: true, versionId: 'g2' },
      ], { versioning: 'Enabled' })
      let state = await getObjectStoreBucket(emu().url, b)
      assert.equal(state.versioning, 'Enabled')
      assert.deepEqual(state.objects.map((o) => [o.key, o.versionId, o.body]), [['k', 'v2', '2']])
      assert.deepEqual(state.versions.map((o) => [o.key, o.versionId, o.isLatest, o.deleteMarker]), [
        ['gone', 'g2', true, true],
        ['gone', 'g1', false, false],
        ['k', 'v2', true, false],
        ['k', 'v1', false, false],
      ])
      await patchObjectStoreBucket(emu().url, b, { upsert: [{ key: 'k', body: '3' }], update: [{ key: 'k', versionId: 'v1', tags: { old: 'yes' } }] })
      state = await getObjectStoreBucket(emu().url, b)
      assert.deepEqual(state.versions.filter((o) => o.key === 'k').map((o) => [o.body, o.tags]), [['3', {}], ['2', {}], ['1', { old: 'yes' }]])
      await assert.rejects(seedObjectStoreBucket(emu().url, b, [{ key: 'k', versionId: 'same' }, { key: 'k', versionId: 'same' }], { versioning: 'Enabled' }), /→ 400/)
    })

    it('suspended versioning: writes replace the null version, deletes leave a null delete marker', async () => {
      const b = newBucket(`${d}-suspended`)
      await seedObjectStoreBucket(emu().url, b, [{ key: 'k', body: 'kept', versionId: 'v1' }], { versioning: 'Enabled' })
      await patchObjectStoreBucket(emu().url, b, { versioning: 'Suspended' })
      let r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', body: 'n1' })
      assert.equal(r.headers[`${px(emu())}version-id`], 'null')
      r = await send(emu(), { method: 'PUT', bucket: b, key: 'k', body: 'n2' })
      let state = await getObjectStoreBucket(emu().url, b)
      assert.deepEqual(state.versions.map((o) => [o.versionId, o.body]), [['null', 'n2'], ['v1', 'kept']])
      r = await send(emu(), { method: 'DELETE', bucket: b, key: 'k' })
      assert.equal(r.headers[`${px(emu())}delete-marker`], 'true')
      state = await getObjectStoreBucket(emu().url, b)
      assert.deepEqual(state.versions.map((o) => [o.versionId, o.deleteMarker]), [['null', true], ['v1', false]])
      assert.deepEqual(state.objects, [])
    })
  })

  describe(`${d}: request log`, () => {
    it('records each request under every bucket it touched; clearing returns the count', async () => {
      const b = newBucket(`${d}-log`)
      const src = newBucket(`${d}-log-src`)
      await seedObjectStoreBucket(emu().url, b, [])
      await seedObjectStoreBucket(emu().url, src, [{ key: 's' }])
      const t0 = Date.now()
      await send(emu(), { method: 'PUT', bucket: b, key: 'd', query: [], headers: { [`${px(emu())}copy-source`]: `/${src}/s` } })
      await send(emu(), { method: 'GET', bucket: b, key: 'd', query: [['tagging', null]], virtual: true })
      const log = await objectStoreRequestLog(emu().url, b)
      assert.equal(log.length, 2)
      const e = log[0]!
      assert.deepEqual(
        { method: e.method, path: e.path, query: e.query, operation: e.operation, bucket: e.bucket, key: e.key, addressing: e.addressing, ops: e.ops, httpStatus: e.httpStatus },
        { method: 'PUT', path: `/${b}/d`, query: '', operation: 'CopyObject', bucket: b, key: 'd', addressing: 'path', ops: 1, httpStatus: 200 },
      )
      assert.ok(e.at >= t0 && e.at <= Date.now())
      assert.deepEqual([log[1]!.path, log[1]!.query, log[1]!.operation, log[1]!.addressing], ['/d', 'tagging', 'GetObjectTagging', 'virtual'])
      assert.deepEqual((await objectStoreRequestLog(emu().url, src)).map((x) => x.operation), ['CopyObject'])
      assert.equal(await clearRequestLog(emu().url, b), 2)
      assert.deepEqual(await objectStoreRequestLog(emu().url, b), [])
    })

    it('the log and faults routes need ?bucket=, unknown routes are 404', async () => {
      for (const path of ['/__emulator/log', '/__emulator/faults']) {
        const r = await fetch(`${emu().url}${path}`)
        assert.equal(r.status, 400)
        assert.match(((await r.json()) as { error: string }).error, /bucket/)
      }
      assert.equal((await fetch(`${emu().url}/__emulator/nothing`)).status, 404)
      assert.equal((await fetch(`${emu().url}/__emulator/buckets/x`, { method: 'POST' })).status, 405)
    })
  })
}
