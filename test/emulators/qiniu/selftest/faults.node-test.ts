/**
 * Bucket-scoped fault rules set through the control API: http, op, delay, drop, garbage.
 * (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { opPath } from '../qiniu-ops.ts'
import { addFault, clearFaults, listFaults, seedBucket } from '../../control.ts'
import { BASE, batch, newBucket, objectsByKey, send, useEmulator } from './harness.ts'

useEmulator()

describe('http fault', () => {
  it('answers its status with Retry-After and a JSON error, applies nothing and is consumed', async () => {
    const b = newBucket('fhttp')
    await seedBucket(BASE, b, [{ key: 'a' }])
    const rule = await addFault(BASE, { bucket: b, kind: 'http', status: 573, retryAfter: 2 })
    assert.equal(rule.times, 1)
    assert.match(rule.id, /\S/)
    let r = await batch([opPath.delete(b, 'a')])
    assert.equal(r.status, 573)
    assert.equal(r.headers.get('retry-after'), '2')
    assert.equal(typeof r.json.error, 'string')
    assert.ok((await objectsByKey(b)).has('a'), 'ops not applied')
    assert.deepEqual(await listFaults(BASE, b), [])
    r = await batch([opPath.delete(b, 'a')])
    assert.equal(r.status, 200)
  })

  it('fires `times` times with a raw body and no Retry-After, then lets requests through', async () => {
    const b = newBucket('fhttp-times')
    await seedBucket(BASE, b, [{ key: 'b' }])
    await addFault(BASE, { bucket: b, kind: 'http', status: 599, times: 2, body: 'raw body' })
    for (let i = 0; i < 2; i++) {
      const r = await batch([opPath.delete(b, 'b')])
      assert.equal(r.status, 599)
      assert.equal(r.text, 'raw body')
      assert.equal(r.headers.get('retry-after'), null)
    }
    assert.equal((await batch([opPath.delete(b, 'b')])).status, 200)
  })

  it('fires when any op touches the bucket, also as a copy destination, and not for other buckets', async () => {
    const b = newBucket('fhttp-any')
    const other = newBucket('fhttp-other')
    await seedBucket(BASE, b, [])
    await seedBucket(BASE, other, [{ key: 'x' }])
    await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
    let r = await batch([opPath.stat(other, 'x')])
    assert.equal(r.status, 200, 'other bucket unaffected')
    r = await batch([opPath.stat(other, 'x'), opPath.copy(other, 'x', b, 'x')])
    assert.equal(r.status, 503)
    assert.ok(!(await objectsByKey(b)).has('x'))
  })

  it('keeps firing with times -1 until the bucket\'s faults are cleared', async () => {
    const b = newBucket('fhttp-unlimited')
    await seedBucket(BASE, b, [])
    await addFault(BASE, { bucket: b, kind: 'http', status: 502, times: -1 })
    for (let i = 0; i < 3; i++) assert.equal((await batch([opPath.stat(b, 'z')])).status, 502)
    assert.equal((await listFaults(BASE, b))[0]!.times, -1)
    assert.equal(await clearFaults(BASE, b), 1)
    assert.equal((await batch([opPath.stat(b, 'z')])).status, 298)
  })
})

describe('op fault', () => {
  it('fails only the op on its key with its code, applies the others and answers 298; a retry succeeds', async () => {
    const b = newBucket('fop')
    await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }, { key: 'c' }])
    await addFault(BASE, { bucket: b, kind: 'op', key: 'b', code: 573 })
    let r = await batch([opPath.delete(b, 'a'), opPath.delete(b, 'b'), opPath.delete(b, 'c')])
    assert.equal(r.status, 298)
    assert.deepEqual(r.json[0], { code: 200 })
    assert.equal(r.json[1].code, 573)
    assert.equal(typeof r.json[1].data.error, 'string')
    assert.deepEqual(r.json[2], { code: 200 })
    assert.deepEqual([...(await objectsByKey(b)).keys()], ['b'])
    r = await batch([opPath.delete(b, 'b')])
    assert.equal(r.status, 200)
  })

  it('without a key fails every op on the bucket with its error, one firing per request', async () => {
    const b = newBucket('fop-nokey')
    const other = newBucket('fop-other')
    await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }])
    await seedBucket(BASE, other, [{ key: 'o' }])
    await addFault(BASE, { bucket: b, kind: 'op', code: 599, error: 'custom failure', times: 2 })
    let r = await batch([opPath.delete(b, 'a'), opPath.delete(other, 'o'), opPath.stat(b, 'b')])
    assert.deepEqual(r.json, [{ code: 599, data: { error: 'custom failure' } }, { code: 200 }, { code: 599, data: { error: 'custom failure' } }])
    assert.equal((await listFaults(BASE, b))[0]!.times, 1, 'one request consumed one firing')
    r = await batch([opPath.delete(b, 'a')])
    assert.equal(r.json[0].code, 599)
    r = await batch([opPath.delete(b, 'a')])
    assert.equal(r.status, 200)
  })

  it('matches its key as a copy destination too', async () => {
    const b = newBucket('fop-dest')
    await seedBucket(BASE, b, [{ key: 'src' }])
    await addFault(BASE, { bucket: b, kind: 'op', key: 'dst', code: 573 })
    const r = await batch([opPath.copy(b, 'src', b, 'dst')])
    assert.equal(r.json[0].code, 573)
    assert.ok(!(await objectsByKey(b)).has('dst'))
  })

  it('is not consumed by an op that fails to parse (400)', async () => {
    const b = newBucket('fop-parse')
    await seedBucket(BASE, b, [{ key: 'src' }])
    await addFault(BASE, { bucket: b, kind: 'op', code: 599 })
    const r = await batch([opPath.restoreAr(b, 'src', 9)])
    assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid freezeAfterDays' } }])
    assert.equal((await listFaults(BASE, b)).length, 1)
    assert.equal(await clearFaults(BASE, b), 1)
  })

  it('becomes the HTTP status of a single-op request', async () => {
    const b = newBucket('fop-single')
    await seedBucket(BASE, b, [{ key: 'src' }])
    await addFault(BASE, { bucket: b, kind: 'op', code: 573 })
    const r = await send(opPath.stat(b, 'src'), '')
    assert.equal(r.status, 573)
    assert.equal(typeof r.json.error, 'string')
  })
})

describe('delay fault', () => {
  it('waits, then applies the ops, and is consumed', async () => {
    const b = newBucket('fdelay')
    await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }])
    await addFault(BASE, { bucket: b, kind: 'delay', ms: 300 })
    let t = Date.now()
    const r = await batch([opPath.delete(b, 'a')])
    assert.ok(Date.now() - t >= 290, `waited ${Date.now() - t} ms`)
    assert.equal(r.status, 200)
    assert.ok(!(await objectsByKey(b)).has('a'))
    t = Date.now()
    await batch([opPath.stat(b, 'b')])
    assert.ok(Date.now() - t < 250, 'consumed')
  })

  it('applies the ops after the wait even when the client gave up', async () => {
    const b = newBucket('fdelay-abort')
    await seedBucket(BASE, b, [{ key: 'b' }])
    await addFault(BASE, { bucket: b, kind: 'delay', ms: 400 })
    await assert.rejects(batch([opPath.delete(b, 'b')], { signal: AbortSignal.timeout(100) }))
    assert.ok((await objectsByKey(b)).has('b'), 'not yet applied')
    await new Promise((res) => setTimeout(res, 450))
    assert.ok(!(await objectsByKey(b)).has('b'), 'applied after the wait although the client left')
  })

  it('combines with a terminal fault: waits, then answers its status', async () => {
    const b = newBucket('fdelay-http')
    await seedBucket(BASE, b, [{ key: 'b' }])
    await addFault(BASE, { bucket: b, kind: 'delay', ms: 200 })
    await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
    const t = Date.now()
    const r = await batch([opPath.stat(b, 'b')])
    assert.equal(r.status, 503)
    assert.ok(Date.now() - t >= 190)
  })
})

describe('drop fault', () => {
  it('destroys the connection without applying the ops, or after applying them with apply: true', async () => {
    const b = newBucket('fdrop')
    await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }])
    await addFault(BASE, { bucket: b, kind: 'drop' })
    await assert.rejects(batch([opPath.delete(b, 'a')]), TypeError)
    assert.ok((await objectsByKey(b)).has('a'), 'not applied')
    await addFault(BASE, { bucket: b, kind: 'drop', apply: true })
    await assert.rejects(batch([opPath.delete(b, 'a')]), TypeError)
    assert.ok(!(await objectsByKey(b)).has('a'), 'applied, answer lost')
    const r = await batch([opPath.delete(b, 'b')])
    assert.equal(r.status, 200, 'consumed')
  })
})

describe('garbage fault', () => {
  it('answers 200 with a non-JSON body and applies nothing', async () => {
    const b = newBucket('fgarbage')
    await seedBucket(BASE, b, [{ key: 'a' }])
    await addFault(BASE, { bucket: b, kind: 'garbage' })
    const r = await batch([opPath.delete(b, 'a')])
    assert.equal(r.status, 200)
    assert.throws(() => JSON.parse(r.text))
    assert.ok((await objectsByKey(b)).has('a'))
    assert.equal((await batch([opPath.delete(b, 'a')])).status, 200)
  })
})

describe('fault rules', () => {
  it('are not consumed by requests that fail auth or validation', async () => {
    const b = newBucket('fauth')
    await seedBucket(BASE, b, [{ key: 'a' }])
    await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
    assert.equal((await batch([opPath.stat(b, 'a')], { scheme: 'none' })).status, 401)
    assert.equal((await batch(Array(1001).fill(opPath.stat(b, 'a')))).status, 400)
    assert.equal((await listFaults(BASE, b)).length, 1)
    assert.equal((await batch([opPath.stat(b, 'a')])).status, 503)
  })

  it('are refused with 400 when invalid, not JSON, or cleared without a bucket', async () => {
    const b = newBucket('fbad')
    for (const bad of [{ bucket: b, kind: 'http' }, { bucket: b, kind: 'delay', ms: -1 }, { kind: 'garbage' }, { bucket: b, kind: 'op', code: 'x' }]) {
      await assert.rejects(addFault(BASE, bad as never), /400/, JSON.stringify(bad))
    }
    const r = await fetch(BASE + '/__emulator/faults', { method: 'POST', body: '{not json' })
    assert.equal(r.status, 400)
    assert.equal((await fetch(BASE + '/__emulator/faults', { method: 'DELETE' })).status, 400, 'bucket is required')
  })
})
