/** The shape rules of /v2/batch: limits, ids, content type, child headers, answer order. (Node side; see harness.ts.) */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { seedDrive } from '../../control.ts'
import { BASE, batch, byId, newDrive, send, statuses, sub, useEmulator, type Child } from './harness.ts'

useEmulator()

async function driveWith(n: number, tag: string): Promise<string> {
  const d = newDrive(tag)
  await seedDrive(BASE, d, Array.from({ length: n }, (_, i) => ({ fileId: `f${i}`, name: `n${i}`, parentFileId: 'root' })))
  return d
}

describe('/v2/batch limits', () => {
  it('runs 1 and 100 child requests, and refuses 0 and 101 with 400 InvalidParameter, running nothing', async () => {
    const d = await driveWith(101, 'limits')
    assert.equal((await batch([sub.get(d, 'f0')])).status, 200)
    const hundred = await batch(Array.from({ length: 100 }, (_, i) => sub.get(d, `f${i}`)))
    assert.equal(hundred.status, 200)
    assert.equal(hundred.json.responses.length, 100)
    const none = await batch([])
    assert.equal(none.status, 400)
    assert.match(none.json.code, /^InvalidParameter/)
    const over = await batch(Array.from({ length: 101 }, (_, i) => sub.del(d, `f${i}`)))
    assert.equal(over.status, 400)
    assert.match(over.json.code, /^InvalidParameter/)
    assert.deepEqual(statuses(await batch([sub.get(d, 'f100')])), [200], 'nothing was deleted')
  })

  it('refuses duplicate, missing or empty ids with 400', async () => {
    const d = await driveWith(2, 'ids')
    for (const ids of [['a', 'a'], ['', 'b']]) {
      const r = await batch([{ ...sub.del(d, 'f0'), id: ids[0]! }, { ...sub.del(d, 'f1'), id: ids[1]! }])
      assert.equal(r.status, 400, JSON.stringify(ids))
      assert.equal(r.json.code, 'InvalidParameter.Id')
    }
    const noId = await send(JSON.stringify({ resource: 'file', requests: [{ method: 'POST', url: '/file/get', body: {} }] }))
    assert.equal(noId.status, 400)
    assert.equal(statuses(await batch([sub.get(d, 'f0'), sub.get(d, 'f1')])).join(), '200,200')
  })

  it('refuses a body that is not JSON, not application/json, or not resource "file"', async () => {
    assert.equal((await send('{nope')).status, 400)
    assert.equal((await send(JSON.stringify({ resource: 'file', requests: [] }), { contentType: 'text/plain' })).status, 400)
    const d = await driveWith(1, 'resource')
    const r = await send(JSON.stringify({ resource: 'drive', requests: [{ id: '0', method: 'POST', url: '/drive/get', body: { drive_id: d } }] }))
    assert.equal(r.status, 400)
    assert.equal(r.json.code, 'InvalidParameter.Resource')
  })

  it('answers 405 to another method and 404 to another path', async () => {
    const r = await send('', { method: 'GET' })
    assert.equal(r.status, 405)
    assert.equal(r.headers.get('allow'), 'POST')
    assert.equal((await send('{}', { path: '/v2/file/get' })).status, 404)
  })
})

describe('child requests', () => {
  it('answer 400 on their own for a method other than POST, a body without the JSON header, or an unknown url', async () => {
    const d = await driveWith(2, 'child-400')
    const children: Child[] = [
      { ...sub.get(d, 'f0'), method: 'GET' },
      { ...sub.get(d, 'f0'), headers: {} },
      { ...sub.get(d, 'f0'), headers: { 'content-type': 'text/plain' } },
      { url: '/file/search', body: { drive_id: d } },
      sub.get(d, 'f1'),
      { ...sub.get(d, 'f1'), headers: { 'content-type': 'application/json; charset=utf-8' } },
    ]
    const r = await batch(children)
    assert.equal(r.status, 200)
    const m = byId(r)
    assert.equal(m.get('0')!.body.code, 'InvalidParameter.Method')
    assert.equal(m.get('1')!.body.code, 'InvalidParameter.Headers')
    assert.equal(m.get('2')!.body.code, 'InvalidParameter.Headers')
    assert.equal(m.get('3')!.body.code, 'InvalidParameter.Url')
    assert.deepEqual(statuses(r), [400, 400, 400, 400, 200, 200])
  })

  it('answer 400 to a field their sub-API does not take, a missing field or a wrong type', async () => {
    const d = await driveWith(1, 'child-fields')
    const r = await batch([
      sub.update(d, 'f0', { content_type: 'text/plain' }),
      sub.copy(d, 'f0', 'root', { check_name_mode: 'refuse' }),
      { url: '/file/copy', body: { drive_id: d, file_id: 'f0' } },
      sub.update(d, 'f0', { user_meta: { a: 1 } }),
      sub.putTags(d, 'f0', {}),
      sub.delTags(d, 'f0', []),
      sub.move(d, 'f0', 'root', { check_name_mode: 'clobber' }),
      { url: '/file/get', body: { drive_id: d, file_id: 7 } },
    ])
    const m = byId(r)
    assert.equal(m.get('0')!.body.code, 'InvalidParameter.ContentType')
    assert.equal(m.get('1')!.body.code, 'InvalidParameter.CheckNameMode')
    assert.equal(m.get('2')!.body.code, 'MissingParameter.ToParentFileId')
    assert.deepEqual(statuses(r), [400, 400, 400, 400, 400, 400, 400, 400])
  })

  it('are answered in an order different from the request, every id exactly once', async () => {
    const d = await driveWith(10, 'order')
    for (const n of [2, 3, 10]) {
      const r = await batch(Array.from({ length: n }, (_, i) => ({ ...sub.get(d, `f${i}`), id: `id-${i}` })))
      const ids = r.json.responses.map((x: { id: string }) => x.id)
      assert.notDeepEqual(ids, Array.from({ length: n }, (_, i) => `id-${i}`), `n=${n}`)
      assert.deepEqual([...ids].sort(), Array.from({ length: n }, (_, i) => `id-${i}`).sort())
      for (const x of r.json.responses) assert.equal(x.body.file_id, `f${x.id.slice(3)}`, 'each answer belongs to its id')
    }
  })
})
