/**
 * Shape of /batch, /glb/batch and the single-op endpoints: status codes, result order, limits,
 * body and Content-Type handling. (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeEntry, opPath } from '../qiniu-ops.ts'
import { qiniuEtag } from '../qiniu-store.ts'
import { seedBucket } from '../../control.ts'
import { BASE, batch, codes, formBody, newBucket, objectsByKey, send, useEmulator } from './harness.ts'

useEmulator()

describe('/batch', () => {
  it('answers 298 to mixed results, with one result per op in op order and Qiniu data shapes', async () => {
    const b = newBucket('mixed')
    await seedBucket(BASE, b, [
      { key: 'a.txt', fsize: 5, mimeType: 'text/plain', md5: '5d41402abc4b2a76b9719d911017c592', meta: { author: 'alice' } },
      { key: 'b.txt' },
    ])
    const r = await batch([
      opPath.stat(b, 'a.txt'),
      opPath.stat(b, 'missing'),
      opPath.copy(b, 'a.txt', b, 'c.txt', false),
      opPath.copy(b, 'a.txt', b, 'b.txt'),
      opPath.stat('no-such-bucket-xyz', 'a'),
      '/frobnicate/' + encodeEntry(b, 'a.txt'),
      '/stat/notbase64!',
      opPath.delete(b, 'b.txt'),
    ])
    assert.equal(r.status, 298, r.text)
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/)
    assert.ok((r.headers.get('x-reqid') ?? '').length > 0)
    assert.deepEqual(codes(r), [200, 612, 200, 614, 631, 400, 400, 200])
    const st = r.json[0].data
    assert.equal(st.fsize, 5)
    assert.equal(st.hash, qiniuEtag('a.txt'))
    assert.equal(st.mimeType, 'text/plain')
    assert.equal(st.md5, '5d41402abc4b2a76b9719d911017c592')
    assert.deepEqual(st['x-qn-meta'], { author: 'alice' })
    assert.ok(!('type' in st) && !('status' in st) && !('restoreStatus' in st) && !('expiration' in st))
    assert.deepEqual(r.json[1], { code: 612, data: { error: 'no such file or directory' } })
    assert.deepEqual(r.json[2], { code: 200 })
    assert.deepEqual(r.json[3], { code: 614, data: { error: 'file exists' } })
    assert.deepEqual(r.json[4], { code: 631, data: { error: 'no such bucket' } })
    assert.deepEqual(r.json[5], { code: 400, data: { error: 'unknown op' } })
    assert.deepEqual(r.json[6], { code: 400, data: { error: 'invalid op' } })
    assert.deepEqual(r.json[7], { code: 200 })
    // putTime is an exact integer in 100-ns units written without exponent or quotes
    const pt = /"putTime":(\d+)/.exec(r.text)?.[1]
    assert.ok(pt && pt.length === 17, `putTime ${pt}`)
    const objs = await objectsByKey(b)
    assert.equal(objs.get('a.txt')!.putTime, pt)
    assert.deepEqual([...objs.keys()], ['a.txt', 'c.txt'])
  })

  it('answers 200 when every op succeeds, up to 1,000 ops', async () => {
    const b = newBucket('limits')
    await seedBucket(BASE, b, [{ key: 'k' }])
    let r = await batch([opPath.stat(b, 'k'), opPath.stat(b, 'k')])
    assert.equal(r.status, 200)
    r = await batch(Array.from({ length: 1000 }, () => opPath.stat(b, 'k')))
    assert.equal(r.status, 200)
    assert.equal(r.json.length, 1000)
  })

  it('answers 400 with a JSON error to 0 ops, 1,001 ops (v2 and QBox) and a form without op', async () => {
    const b = newBucket('limits400')
    await seedBucket(BASE, b, [{ key: 'k' }])
    let r = await batch(Array.from({ length: 1001 }, () => opPath.stat(b, 'k')))
    assert.equal(r.status, 400)
    assert.equal(typeof r.json.error, 'string')
    r = await batch([])
    assert.equal(r.status, 400)
    assert.equal(typeof r.json.error, 'string')
    r = await send('/batch', 'foo=bar')
    assert.equal(r.status, 400, 'a form without op')
    r = await batch(Array.from({ length: 1001 }, () => opPath.stat(b, 'k')), { scheme: 'QBox' })
    assert.equal(r.status, 400)
  })

  it('answers 400 to a JSON or text/plain body, and 401 when text/plain was signed with its body', async () => {
    const b = newBucket('body-ct')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const op = opPath.stat(b, 'k')
    let r = await send('/batch', formBody([op]), { contentType: 'application/json' })
    assert.equal(r.status, 400, 'JSON content type')
    // (v2 leaves the body out of the signature for text/plain, Go incBodyV2 rule)
    r = await send('/batch', formBody([op]), { contentType: 'text/plain', signBody: '' })
    assert.equal(r.status, 400, 'text/plain content type')
    r = await send('/batch', formBody([op]), { contentType: 'text/plain' })
    assert.equal(r.status, 401, 'text/plain content type, body signed')
  })

  it('answers 400 to an undecodable parameter name but a per-op 400 to an undecodable op value', async () => {
    const b = newBucket('body-enc')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const op = opPath.stat(b, 'k')
    let r = await send('/batch', formBody([op]) + '&%zz=1')
    assert.equal(r.status, 400, 'undecodable parameter name')
    r = await send('/batch', `${formBody([op])}&op=%2Fstat%2F%zz&op=${encodeURIComponent(op)}`)
    assert.equal(r.status, 298, r.text)
    assert.deepEqual(codes(r), [200, 400, 200])
  })

  it('takes unencoded op values that decode to the same string', async () => {
    const b = newBucket('body-raw')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const op = opPath.stat(b, 'k')
    const r = await send('/batch', `op=${op}&op=${op}`)
    assert.equal(r.status, 200, r.text)
  })

  it('turns an unencoded standard-alphabet "+" into a space (invalid op) but takes it form-encoded', async () => {
    const b = newBucket('body-plus')
    const plusEntry = encodeEntry(b, '~~~>') // contains '-' in urlsafe → '+' in std
    assert.ok(plusEntry.includes('-'))
    await seedBucket(BASE, b, [{ key: 'k' }, { key: '~~~>' }])
    let r = await send('/batch', `op=/stat/${plusEntry.replace(/-/g, '+')}`)
    assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid op' } }])
    r = await send('/batch', `op=${encodeURIComponent('/stat/' + plusEntry.replace(/-/g, '+'))}`)
    assert.equal(r.status, 200, 'std alphabet, properly form-encoded')
  })

  it('answers invalid op to an entry without padding or without a key', async () => {
    const b = newBucket('body-entry')
    await seedBucket(BASE, b, [{ key: 'k' }])
    let r = await batch([`/stat/${encodeEntry(b, 'k').replace(/=+$/, '')}`])
    if (encodeEntry(b, 'k').endsWith('=')) assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid op' } }])
    r = await batch([`/stat/${encodeEntry(b)}`])
    assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid op' } }])
  })

  it('answers 405 to GET /batch and 404 to an unknown route', async () => {
    assert.equal((await fetch(BASE + '/batch')).status, 405)
    assert.equal((await fetch(BASE + '/nothing-here', { method: 'POST' })).status, 404)
  })
})

describe('/glb/batch', () => {
  it('takes /glb/ ops and plain ops, which /batch answers with unknown op', async () => {
    const b = newBucket('glb')
    await seedBucket(BASE, b, [{ key: 'k' }])
    let r = await send('/glb/batch', formBody([`/glb${opPath.stat(b, 'k')}`, opPath.stat(b, 'k')]))
    assert.equal(r.status, 200, r.text)
    r = await batch([`/glb${opPath.stat(b, 'k')}`])
    assert.deepEqual(r.json, [{ code: 400, data: { error: 'unknown op' } }])
    r = await send('/glb/batch', formBody([opPath.stat(b, 'k')]), { scheme: 'QBox' })
    assert.equal(r.status, 200)
  })
})

describe('single-op endpoints', () => {
  it('answer with the op code as HTTP status and the op data as body', async () => {
    const b = newBucket('single')
    await seedBucket(BASE, b, [{ key: 'a', fsize: 3 }])
    let r = await send(opPath.stat(b, 'a'), '', { method: 'GET' })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.json.fsize, 3)
    r = await send(opPath.stat(b, 'a'), '')
    assert.equal(r.status, 200)
    r = await send(opPath.stat(b, 'zzz'), '')
    assert.equal(r.status, 612)
    assert.deepEqual(r.json, { error: 'no such file or directory' })
    r = await send(`/glb${opPath.stat(b, 'a')}`, '', { scheme: 'QBox' })
    assert.equal(r.status, 200)
    r = await send(opPath.copy(b, 'a', b, 'b'), '')
    assert.equal(r.status, 200)
    assert.equal(r.text, '')
    r = await send(opPath.delete(b, 'a'), '', { scheme: 'QBox' })
    assert.equal(r.status, 200)
    r = await send(opPath.delete(b, 'a'), '')
    assert.equal(r.status, 612)
  })

  it('answer 400 to extra segments and 401 without a token', async () => {
    const b = newBucket('single-bad')
    await seedBucket(BASE, b, [{ key: 'b' }])
    let r = await send(`/stat/${encodeEntry(b, 'b')}/junk`, '')
    assert.equal(r.status, 400)
    r = await send(opPath.stat(b, 'b'), '', { scheme: 'none' })
    assert.equal(r.status, 401)
  })
})
