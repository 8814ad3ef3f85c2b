/** What each child request does to the drives. (Node side; see harness.ts; semantics in pds-store.ts.) */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { seedDrive } from '../../control.ts'
import type { PdsSeedFile } from '../../control.ts'
import { BASE, batch, byId, filesById, newDrive, statuses, sub, useEmulator } from './harness.ts'

useEmulator()

const file = (fileId: string, name: string, parentFileId = 'root', extra: Partial<PdsSeedFile> = {}): PdsSeedFile => ({ fileId, name, parentFileId, ...extra })
const folder = (fileId: string, name: string, parentFileId = 'root'): PdsSeedFile => ({ fileId, name, parentFileId, type: 'folder' })

describe('/file/get', () => {
  it('answers the file in PDS shape, and 404 NotFound.File / NotFound.Drive', async () => {
    const d = newDrive('get')
    await seedDrive(BASE, d, [file('f', 'photo.jpg', 'root', { size: 1024, contentHash: 'ABC', mimeType: 'image/jpeg', userMeta: '{"a":"1"}', userTags: { k: 'v' }, updatedAt: '2024-01-01T00:00:00Z' })])
    const r = await batch([sub.get(d, 'f'), sub.get(d, 'nope'), sub.get(newDrive('none'), 'f')])
    const m = byId(r)
    assert.deepEqual(m.get('0')!.body, {
      domain_id: 'emulator', drive_id: d, file_id: 'f', parent_file_id: 'root', name: 'photo.jpg', type: 'file',
      created_at: m.get('0')!.body.created_at, updated_at: '2024-01-01T00:00:00.000Z', size: 1024, content_hash: 'ABC',
      content_hash_name: 'sha1', mime_type: 'image/jpeg', file_extension: 'jpg', user_meta: '{"a":"1"}', user_tags: [{ key: 'k', value: 'v' }],
    })
    assert.deepEqual([m.get('1')!.status, m.get('1')!.body.code], [404, 'NotFound.File'])
    assert.deepEqual([m.get('2')!.status, m.get('2')!.body.code], [404, 'NotFound.Drive'])
  })
})

describe('/file/copy', () => {
  it('copies a file under a new id (201), keeping content, user_meta and tags, into a folder or another drive', async () => {
    const d = newDrive('copy')
    const other = newDrive('copy-other')
    await seedDrive(BASE, d, [file('f', 'a.txt', 'root', { size: 3, userMeta: 'm', userTags: { t: '1' } }), folder('dir', 'dir')])
    await seedDrive(BASE, other, [folder('od', 'od')])
    const r = await batch([sub.copy(d, 'f', 'dir'), sub.copy(d, 'f', 'od', { to_drive_id: other, new_name: 'b.txt' })])
    assert.deepEqual(statuses(r), [201, 201])
    const m = byId(r)
    const inDir = (await filesById(d)).get(m.get('0')!.body.file_id)!
    assert.deepEqual([inDir.name, inDir.parentFileId, inDir.size, inDir.userMeta, inDir.userTags], ['a.txt', 'dir', 3, 'm', { t: '1' }])
    assert.notEqual(inDir.fileId, 'f')
    assert.equal(m.get('1')!.body.drive_id, other)
    const inOther = (await filesById(other)).get(m.get('1')!.body.file_id)!
    assert.deepEqual([inOther.name, inOther.parentFileId], ['b.txt', 'od'])
    assert.ok((await filesById(d)).has('f'), 'the source stays')
  })

  it('refuses a same-named file with 409 AlreadyExist.File unless auto_rename, which renames the copy', async () => {
    const d = newDrive('copy-clash')
    await seedDrive(BASE, d, [file('f', 'a.txt', 'root'), folder('dir', 'dir'), file('g', 'a.txt', 'dir')])
    const r = await batch([sub.copy(d, 'f', 'dir'), sub.copy(d, 'f', 'dir', { auto_rename: true }), sub.copy(d, 'f', 'dir', { auto_rename: false })])
    const m = byId(r)
    assert.deepEqual(statuses(r), [409, 201, 409])
    assert.equal(m.get('0')!.body.code, 'AlreadyExist.File')
    assert.match((await filesById(d)).get(m.get('1')!.body.file_id)!.name, /^a_\d{8}_\d{6}\.txt$/)
  })

  it('copies a folder with everything under it (202 + async_task_id), and answers 404 for a missing destination folder', async () => {
    const d = newDrive('copy-folder')
    await seedDrive(BASE, d, [folder('dir', 'dir'), folder('sub', 'sub', 'dir'), file('x', 'x', 'sub'), folder('to', 'to')])
    const r = await batch([sub.copy(d, 'dir', 'to'), sub.copy(d, 'x', 'nowhere'), sub.copy(d, 'x', 'x'), sub.copy(d, 'dir', 'sub')])
    const m = byId(r)
    assert.deepEqual(statuses(r), [202, 404, 404, 400])
    assert.match(m.get('0')!.body.async_task_id, /^[0-9a-f]{32}$/)
    assert.equal((await filesById(d)).size, 7)
    const files = [...(await filesById(d)).values()]
    const copyDir = files.find((f) => f.name === 'dir' && f.parentFileId === 'to')!
    const copySub = files.find((f) => f.name === 'sub' && f.parentFileId === copyDir.fileId)!
    assert.ok(files.some((f) => f.name === 'x' && f.parentFileId === copySub.fileId))
  })
})

describe('/file/move', () => {
  it('moves per check_name_mode: ignore keeps both, refuse 409, auto_rename renames, overwrite replaces', async () => {
    const d = newDrive('move')
    await seedDrive(BASE, d, [folder('dir', 'dir'), file('old', 'a.txt', 'dir'), file('m1', 'a.txt'), file('m2', 'a.txt', 'root', { size: 2 }), folder('d2', 'd2'), file('x', 'a.txt', 'd2')])
    let r = await batch([sub.move(d, 'm1', 'dir', { check_name_mode: 'refuse' })])
    assert.deepEqual([r.json.responses[0].status, r.json.responses[0].body.code], [409, 'AlreadyExist.File'])
    r = await batch([sub.move(d, 'm2', 'dir', { check_name_mode: 'overwrite' })])
    assert.deepEqual(r.json.responses[0], { id: '0', status: 200, body: { domain_id: 'emulator', drive_id: d, file_id: 'm2', async_task_id: '', exist: false } })
    let files = await filesById(d)
    assert.ok(!files.has('old'), 'overwritten')
    assert.equal(files.get('m2')!.parentFileId, 'dir')
    r = await batch([sub.move(d, 'm1', 'dir', { check_name_mode: 'auto_rename' }), sub.move(d, 'x', 'dir')])
    assert.deepEqual(statuses(r), [200, 200])
    files = await filesById(d)
    assert.match(files.get('m1')!.name, /^a_\d{8}_\d{6}\.txt$/)
    assert.deepEqual([files.get('x')!.parentFileId, files.get('x')!.name], ['dir', 'a.txt'], 'ignore (the default): same names allowed')
    assert.equal([...files.values()].filter((f) => f.parentFileId === 'dir' && f.name === 'a.txt').length, 2)
  })

  it('renames with new_name, changes nothing when moved onto itself, moves across drives with children, and refuses a folder into itself', async () => {
    const d = newDrive('move2')
    const other = newDrive('move2-other')
    await seedDrive(BASE, d, [file('f', 'a.txt'), folder('dir', 'dir'), file('in', 'in', 'dir'), folder('inner', 'inner', 'dir')])
    await seedDrive(BASE, other, [])
    const r = await batch([sub.move(d, 'f', 'root', { new_name: 'b.txt', check_name_mode: 'refuse' })])
    assert.equal(r.json.responses[0].status, 200)
    assert.equal((await filesById(d)).get('f')!.name, 'b.txt')
    const self = await batch([sub.move(d, 'f', 'root', { check_name_mode: 'refuse' })])
    assert.equal(self.json.responses[0].status, 200, 'onto itself: no conflict with itself')
    assert.equal((await batch([sub.move(d, 'dir', 'inner')])).json.responses[0].status, 400)
    const x = await batch([sub.move(d, 'dir', 'root', { to_drive_id: other })])
    assert.equal(x.json.responses[0].body.drive_id, other)
    assert.deepEqual([...(await filesById(d)).keys()], ['f'])
    assert.deepEqual([...(await filesById(other)).keys()].sort(), ['dir', 'in', 'inner'])
  })
})

describe('/file/delete', () => {
  it('answers 204 for a file, 202 + async_task_id for an async- file or a folder (with its content), 404 when missing', async () => {
    const d = newDrive('delete')
    await seedDrive(BASE, d, [file('f', 'a.txt'), file('a', 'async-big.bin'), folder('dir', 'dir'), file('in', 'in', 'dir'), file('keep', 'keep')])
    const r = await batch([sub.del(d, 'f'), sub.del(d, 'a'), sub.del(d, 'dir'), sub.del(d, 'nope')])
    const m = byId(r)
    assert.deepEqual(statuses(r), [204, 202, 202, 404])
    assert.equal(m.get('0')!.body, undefined)
    assert.deepEqual(Object.keys(m.get('1')!.body).sort(), ['async_task_id', 'domain_id', 'drive_id', 'file_id'])
    assert.equal(m.get('1')!.body.file_id, 'a')
    assert.notEqual(m.get('1')!.body.async_task_id, m.get('2')!.body.async_task_id)
    assert.deepEqual([...(await filesById(d)).keys()], ['keep'])
  })
})

describe('/file/update and user tags', () => {
  it('sets user_meta and name (refusing a same name with check_name_mode refuse)', async () => {
    const d = newDrive('update')
    await seedDrive(BASE, d, [file('f', 'a.txt'), file('g', 'b.txt')])
    const r = await batch([sub.update(d, 'f', { user_meta: '{"team":"data"}' }), sub.update(d, 'g', { name: 'a.txt', check_name_mode: 'refuse' })])
    const m = byId(r)
    assert.deepEqual(statuses(r), [200, 409])
    assert.equal(m.get('0')!.body.user_meta, '{"team":"data"}')
    assert.equal((await filesById(d)).get('f')!.userMeta, '{"team":"data"}')
  })

  it('merges put_usertags (200) and removes named tags with delete_usertags (204), ignoring absent names', async () => {
    const d = newDrive('tags')
    await seedDrive(BASE, d, [file('f', 'a.txt', 'root', { userTags: { a: '1', b: '2' } })])
    let r = await batch([sub.putTags(d, 'f', { b: 'two', c: '3' })])
    assert.equal(r.json.responses[0].status, 200)
    assert.deepEqual((await filesById(d)).get('f')!.userTags, { a: '1', b: 'two', c: '3' })
    r = await batch([sub.delTags(d, 'f', ['a', 'zz'])])
    assert.equal(r.json.responses[0].status, 204)
    assert.deepEqual((await filesById(d)).get('f')!.userTags, { b: 'two', c: '3' })
  })
})

describe('one batch', () => {
  it('runs its child requests in request order', async () => {
    const d = newDrive('sequence')
    await seedDrive(BASE, d, [file('f', 'a.txt')])
    const r = await batch([sub.putTags(d, 'f', { k: 'v' }), sub.get(d, 'f'), sub.del(d, 'f'), sub.get(d, 'f')])
    const m = byId(r)
    assert.deepEqual(statuses(r), [200, 200, 204, 404])
    assert.deepEqual(m.get('1')!.body.user_tags, [{ key: 'k', value: 'v' }])
  })
})
