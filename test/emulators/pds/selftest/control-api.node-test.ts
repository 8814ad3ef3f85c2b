/** The control API of the PDS emulator: seeding, patching, listing, deleting drives, and the log. (Node side; see harness.ts.) */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { clearRequestLog, deleteBucket, listDriveFiles, patchDrive, pdsRequestLog, seedDrive } from '../../control.ts'
import { sha1Upper } from '../pds-store.ts'
import { BASE, batch, newDrive, statuses, sub, TOKEN, useEmulator } from './harness.ts'

useEmulator()

describe('drives', () => {
  it('fills defaults when seeding, lists by file id, and replaces the whole drive on a second seed', async () => {
    const d = newDrive('seed')
    await seedDrive(BASE, d, [{ fileId: 'b', name: 'b.txt', parentFileId: 'root' }, { fileId: 'a', name: 'dir', parentFileId: 'root', type: 'folder' }])
    const files = await listDriveFiles(BASE, d)
    assert.deepEqual(files.map((f) => f.fileId), ['a', 'b'])
    const b = files[1]!
    assert.deepEqual([b.type, b.size, b.contentHash, b.mimeType, b.userTags, b.userMeta], ['file', 0, sha1Upper('b'), 'application/octet-stream', {}, undefined])
    assert.match(b.createdAt, /^\d{4}-\d\d-\d\dT/)
    await seedDrive(BASE, d, [{ fileId: 'c', name: 'c', parentFileId: 'root' }])
    assert.deepEqual((await listDriveFiles(BASE, d)).map((f) => f.fileId), ['c'])
  })

  it('refuses invalid seed files with 400', async () => {
    const d = newDrive('seed-bad')
    const bad = [
      [{ fileId: 'a', parentFileId: 'root' }],
      [{ fileId: 'a', name: 'x/y', parentFileId: 'root' }],
      [{ fileId: 'a', name: 'a', parentFileId: 'root' }, { fileId: 'a', name: 'b', parentFileId: 'root' }],
      [{ fileId: 'a', name: 'a', parentFileId: 'root', type: 'dir' }],
      [{ fileId: 'a', name: 'a', parentFileId: 'root', size: -1 }],
      [{ fileId: 'a', name: 'a', parentFileId: 'root', userTags: { k: 1 } }],
      [{ fileId: 'a', name: 'a', parentFileId: 'root', updatedAt: 'yesterday' }],
      [{ fileId: 'a', name: 'a', parentFileId: 'root', colour: 'red' }],
      [{ name: 'a', parentFileId: 'root' }],
    ]
    for (const files of bad) await assert.rejects(seedDrive(BASE, d, files as never), /400/, JSON.stringify(files))
  })

  it('patches with upserts, updates (null removes a field) and deletes (with what is under a folder)', async () => {
    const d = newDrive('patch')
    await seedDrive(BASE, d, [{ fileId: 'f', name: 'f', parentFileId: 'root', userMeta: 'x' }, { fileId: 'dir', name: 'dir', parentFileId: 'root', type: 'folder' }, { fileId: 'in', name: 'in', parentFileId: 'dir' }])
    await patchDrive(BASE, d, { upsert: [{ fileId: 'g', name: 'g', parentFileId: 'root', size: 4 }], update: [{ fileId: 'f', userMeta: null, userTags: { t: 'v' } }], delete: ['dir', 'nope'] })
    const files = await listDriveFiles(BASE, d)
    assert.deepEqual(files.map((f) => f.fileId), ['f', 'g'])
    assert.deepEqual([files[0]!.userMeta, files[0]!.userTags, files[1]!.size], [undefined, { t: 'v' }, 4])
    await assert.rejects(patchDrive(BASE, d, { update: [{ fileId: 'zz', size: 1 }] }), /400/)
    await assert.rejects(patchDrive(BASE, newDrive('no-drive'), {}), /404/)
  })

  it('deletes a drive, after which it is 404 to the control API and NotFound.Drive to requests', async () => {
    const d = newDrive('delete')
    await seedDrive(BASE, d, [{ fileId: 'f', name: 'f', parentFileId: 'root' }])
    assert.equal(await deleteBucket(BASE, d), true)
    assert.equal(await deleteBucket(BASE, d), false)
    await assert.rejects(listDriveFiles(BASE, d), /404/)
    const r = await batch([sub.get(d, 'f')])
    assert.equal(r.json.responses[0].body.code, 'NotFound.Drive')
  })

  it('answers 404 to an unknown control route', async () => {
    assert.equal((await fetch(BASE + '/__emulator/nope')).status, 404)
  })
})

describe('request log', () => {
  it('records each request against every drive it touches, with its child urls and status, and never the token', async () => {
    const d = newDrive('log')
    const other = newDrive('log-other')
    await seedDrive(BASE, d, [{ fileId: 'f', name: 'f', parentFileId: 'root' }])
    await seedDrive(BASE, other, [{ fileId: 'dir', name: 'dir', parentFileId: 'root', type: 'folder' }])
    const before = Date.now()
    assert.deepEqual(statuses(await batch([sub.get(d, 'f'), sub.copy(d, 'f', 'dir', { to_drive_id: other })])), [200, 201])
    await batch([sub.get(other, 'dir')])
    await batch([sub.get(d, 'f')], { token: null })
    await batch([])
    const log = await pdsRequestLog(BASE, d)
    assert.deepEqual(
      log.map((e) => [e.method, e.path, e.auth, e.tokenValid, e.ops, e.urls, e.httpStatus]),
      [
        ['POST', '/v2/batch', 'Bearer', true, 2, ['/file/get', '/file/copy'], 200],
        ['POST', '/v2/batch', 'none', false, 1, ['/file/get'], 401],
      ],
    )
    for (const e of log) assert.ok(e.at >= before - 1000 && e.at <= Date.now())
    assert.equal((await pdsRequestLog(BASE, other)).length, 2)
    assert.ok(!JSON.stringify(log).includes(TOKEN))
    assert.equal(await clearRequestLog(BASE, d), 2)
    assert.deepEqual(await pdsRequestLog(BASE, d), [])
  })
})
