/** Drive-scoped fault rules in the PDS emulator. (Node side; see harness.ts; rule kinds in ../../faults.ts.) */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addFault, listFaults, pdsRequestLog, seedDrive } from '../../control.ts'
import { BASE, batch, byId, filesById, newDrive, statuses, sub, useEmulator } from './harness.ts'

useEmulator()

async function driveWith(tag: string, ids: string[]): Promise<string> {
  const d = newDrive(tag)
  await seedDrive(BASE, d, ids.map((fileId) => ({ fileId, name: fileId, parentFileId: 'root' })))
  return d
}

describe('http fault', () => {
  it('answers the whole request with its status, PDS error body and Retry-After, applies nothing, and is consumed', async () => {
    const d = await driveWith('http', ['a'])
    await addFault(BASE, { bucket: d, kind: 'http', status: 429, retryAfter: 2 })
    const r = await batch([sub.del(d, 'a')])
    assert.equal(r.status, 429)
    assert.equal(r.headers.get('retry-after'), '2')
    assert.equal(r.json.code, 'TooManyRequests')
    assert.ok((await filesById(d)).has('a'))
    assert.equal((await batch([sub.del(d, 'a')])).status, 200)
  })

  it('only fires for requests touching its drive', async () => {
    const d = await driveWith('http-scope', ['a'])
    const other = await driveWith('http-other', ['o'])
    await addFault(BASE, { bucket: d, kind: 'http', status: 503, times: -1 })
    assert.equal((await batch([sub.get(other, 'o')])).status, 200)
    assert.equal((await batch([sub.get(other, 'o'), sub.get(d, 'a')])).status, 503)
    assert.equal((await listFaults(BASE, d))[0]!.times, -1)
  })
})

describe('op fault', () => {
  it('answers the matching child with its status and PDS code; the others run', async () => {
    const d = await driveWith('op', ['a', 'b', 'c'])
    await addFault(BASE, { bucket: d, kind: 'op', key: 'b', code: 429, error: 'TooManyRequests' })
    await addFault(BASE, { bucket: d, kind: 'op', key: 'c', code: 500 })
    const r = await batch([sub.del(d, 'a'), sub.del(d, 'b'), sub.del(d, 'c')])
    const m = byId(r)
    assert.deepEqual(statuses(r), [204, 429, 500])
    assert.equal(m.get('1')!.body.code, 'TooManyRequests')
    assert.equal(m.get('2')!.body.code, 'InternalError')
    assert.deepEqual([...(await filesById(d)).keys()], ['b', 'c'])
    assert.deepEqual(statuses(await batch([sub.del(d, 'b'), sub.del(d, 'c')])), [204, 204], 'consumed')
  })

  it('matches a destination folder too, and is not consumed by a child refused on its shape', async () => {
    const d = newDrive('op-dest')
    await seedDrive(BASE, d, [{ fileId: 'f', name: 'f', parentFileId: 'root' }, { fileId: 'dir', name: 'dir', parentFileId: 'root', type: 'folder' }])
    await addFault(BASE, { bucket: d, kind: 'op', key: 'dir', code: 503 })
    const refused = await batch([{ ...sub.copy(d, 'f', 'dir'), method: 'PUT' }])
    assert.equal(refused.json.responses[0].status, 400)
    assert.equal((await listFaults(BASE, d)).length, 1)
    const r = await batch([sub.copy(d, 'f', 'dir')])
    assert.equal(r.json.responses[0].status, 503)
    assert.equal((await filesById(d)).size, 2)
  })
})

describe('delay, drop and garbage faults', () => {
  it('delay waits, then runs the request', async () => {
    const d = await driveWith('delay', ['a'])
    await addFault(BASE, { bucket: d, kind: 'delay', ms: 300 })
    const t = Date.now()
    const r = await batch([sub.del(d, 'a')])
    assert.ok(Date.now() - t >= 290)
    assert.deepEqual(statuses(r), [204])
    assert.equal((await pdsRequestLog(BASE, d))[0]!.fault, 'delay')
  })

  it('drop destroys the connection, applying the children first only with apply: true', async () => {
    const d = await driveWith('drop', ['a'])
    await addFault(BASE, { bucket: d, kind: 'drop' })
    await assert.rejects(batch([sub.del(d, 'a')]), TypeError)
    assert.ok((await filesById(d)).has('a'))
    await addFault(BASE, { bucket: d, kind: 'drop', apply: true })
    await assert.rejects(batch([sub.del(d, 'a')]), TypeError)
    assert.ok(!(await filesById(d)).has('a'))
    assert.deepEqual((await pdsRequestLog(BASE, d)).map((e) => [e.httpStatus, e.fault]), [[0, 'drop'], [0, 'drop']])
  })

  it('garbage answers 200 with a body that is not JSON and applies nothing', async () => {
    const d = await driveWith('garbage', ['a'])
    await addFault(BASE, { bucket: d, kind: 'garbage' })
    const r = await batch([sub.del(d, 'a')])
    assert.equal(r.status, 200)
    assert.throws(() => JSON.parse(r.text))
    assert.ok((await filesById(d)).has('a'))
  })
})
