/**
 * `POST /v2/file/list`: one folder's children page by page (limit, next_marker, order, type),
 * parameter checks, Bearer auth, and the drive's fault rules and log. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addFault, pdsRequestLog, seedDrive, type PdsSeedFile } from '../../control.ts'
import { BASE, newDrive, send, useEmulator, type SendOpts } from './harness.ts'

useEmulator()

const list = (body: Record<string, unknown>, o: SendOpts = {}) => send(JSON.stringify(body), { ...o, path: '/v2/file/list' })
const names = (r: { json: { items: Array<{ name: string }> } }) => r.json.items.map((i) => i.name)

async function tree(tag: string, extra: PdsSeedFile[] = []): Promise<string> {
  const d = newDrive(tag)
  await seedDrive(BASE, d, [
    { fileId: 'f-b', name: 'b.txt', parentFileId: 'root', size: 2, createdAt: '2024-01-02T00:00:00Z', updatedAt: '2024-01-03T00:00:00Z' },
    { fileId: 'f-a', name: 'a.txt', parentFileId: 'root', size: 10 },
    { fileId: 'dir', name: 'docs', parentFileId: 'root', type: 'folder' },
    { fileId: 'f-in', name: 'inner.txt', parentFileId: 'dir', size: 1 },
    ...extra,
  ])
  return d
}

describe('/v2/file/list', () => {
  it("answers a folder's direct children by name, with the /file/get fields, and an empty next_marker at the end", async () => {
    const d = await tree('basic')
    const r = await list({ drive_id: d, parent_file_id: 'root' })
    assert.equal(r.status, 200)
    assert.deepEqual(names(r), ['a.txt', 'b.txt', 'docs'])
    assert.equal(r.json.next_marker, '')
    const b = r.json.items[1]
    assert.deepEqual(
      { id: b.file_id, parent: b.parent_file_id, type: b.type, size: b.size, created: b.created_at, updated: b.updated_at, drive: b.drive_id },
      { id: 'f-b', parent: 'root', type: 'file', size: 2, created: '2024-01-02T00:00:00.000Z', updated: '2024-01-03T00:00:00.000Z', drive: d },
    )
    assert.match(b.content_hash, /^[0-9A-F]{40}$/)
    assert.equal(r.json.items[2].type, 'folder')
    assert.equal(r.json.items[2].size, undefined)
    assert.deepEqual(names(await list({ drive_id: d, parent_file_id: 'dir' })), ['inner.txt'])
  })

  it('pages by limit and next_marker without repeats; type, order_by and order_direction apply', async () => {
    const files = Array.from({ length: 23 }, (_, i) => ({ fileId: `x${i}`, name: `n${String(i).padStart(2, '0')}`, parentFileId: 'root', size: 23 - i }))
    const d = newDrive('pages')
    await seedDrive(BASE, d, files)
    const seen: string[] = []
    let marker = ''
    do {
      const r = await list({ drive_id: d, parent_file_id: 'root', limit: 10, ...(marker ? { marker } : {}) })
      assert.equal(r.status, 200)
      assert.ok(r.json.items.length <= 10)
      seen.push(...names(r))
      marker = r.json.next_marker
    } while (marker)
    assert.deepEqual(seen, files.map((f) => f.name))
    const bySize = await list({ drive_id: d, parent_file_id: 'root', order_by: 'size', order_direction: 'DESC', limit: 2 })
    assert.deepEqual(names(bySize), ['n00', 'n01'])
    const t = await tree('type')
    assert.deepEqual(names(await list({ drive_id: t, parent_file_id: 'root', type: 'folder' })), ['docs'])
    assert.deepEqual(names(await list({ drive_id: t, parent_file_id: 'root', type: 'file' })), ['a.txt', 'b.txt'])
  })

  it('refuses a limit outside 1..100, a foreign marker, unknown fields and missing ids (400), a missing drive or folder (404)', async () => {
    const d = await tree('params')
    for (const limit of [0, 101, 1.5, '10']) {
      const r = await list({ drive_id: d, parent_file_id: 'root', limit })
      assert.equal(r.status, 400, String(limit))
      assert.equal(r.json.code, 'InvalidParameter.Limit')
    }
    assert.equal((await list({ drive_id: d, parent_file_id: 'root', marker: 'nope' })).json.code, 'InvalidParameter.Marker')
    assert.equal((await list({ drive_id: d, parent_file_id: 'root', recursive: true })).status, 400)
    assert.equal((await list({ drive_id: d })).json.code, 'MissingParameter.ParentFileId')
    assert.equal((await list({ drive_id: d, parent_file_id: 'f-a' })).json.code, 'InvalidParameter.ParentFileId')
    const noFolder = await list({ drive_id: d, parent_file_id: 'gone' })
    assert.equal(noFolder.status, 404)
    assert.equal(noFolder.json.code, 'NotFound.File')
    assert.equal((await list({ drive_id: newDrive('none'), parent_file_id: 'root' })).json.code, 'NotFound.Drive')
  })

  it('needs an accepted Bearer token (401 AccessTokenInvalid) and POST', async () => {
    const d = await tree('auth')
    const r = await list({ drive_id: d, parent_file_id: 'root' }, { token: 'wrong' })
    assert.equal(r.status, 401)
    assert.equal(r.json.code, 'AccessTokenInvalid')
    assert.equal((await list({ drive_id: d, parent_file_id: 'root' }, { token: null })).status, 401)
    assert.equal((await send('', { path: '/v2/file/list', method: 'GET' })).status, 405)
  })

  it("takes the drive's fault rules (http with Retry-After, op on the folder, garbage, drop) and logs each call", async () => {
    const d = await tree('faults')
    await addFault(BASE, { bucket: d, kind: 'http', status: 429, retryAfter: 1 })
    const throttled = await list({ drive_id: d, parent_file_id: 'root' })
    assert.equal(throttled.status, 429)
    assert.equal(throttled.json.code, 'TooManyRequests')
    assert.equal(throttled.headers.get('retry-after'), '1')
    await addFault(BASE, { bucket: d, kind: 'op', key: 'dir', code: 503 })
    assert.equal((await list({ drive_id: d, parent_file_id: 'root' })).status, 200, 'another folder is not hit')
    assert.equal((await list({ drive_id: d, parent_file_id: 'dir' })).status, 503)
    await addFault(BASE, { bucket: d, kind: 'garbage' })
    assert.equal((await list({ drive_id: d, parent_file_id: 'root' })).json, undefined)
    await addFault(BASE, { bucket: d, kind: 'drop' })
    await assert.rejects(list({ drive_id: d, parent_file_id: 'root' }))
    const log = await pdsRequestLog(BASE, d)
    assert.deepEqual(log.map((e) => [e.path, e.httpStatus, e.fault ?? null]), [
      ['/v2/file/list', 429, 'http'],
      ['/v2/file/list', 200, null],
      ['/v2/file/list', 503, 'op'],
      ['/v2/file/list', 200, 'garbage'],
      ['/v2/file/list', 0, 'drop'],
    ])
  })
})
