/**
 * Semantics of the ops stat, copy, move, delete, restoreAr, chgm, chtype and chstatus (the
 * expiry ops are in lifecycle.node-test.ts). (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeEntry, opPath, urlsafeB64 } from '../qiniu-ops.ts'
import { markRestored, seedBucket } from '../../control.ts'
import { BASE, batch, codes, newBucket, objectsByKey, useEmulator } from './harness.ts'

useEmulator()

describe('stat', () => {
  it('shows optional fields only when set, and putTime exactly beyond 2^53', async () => {
    const b = newBucket('stat')
    await seedBucket(BASE, b, [
      { key: 'plain' },
      { key: 'full', type: 2, status: 1, restoreStatus: 2, md5: '0123456789abcdef0123456789abcdef', meta: { a: '1' }, expiration: 1_900_000_000, transitionToIA: 1_800_000_000, putTime: '17000000000000001' },
      { key: 'ia', type: 1 },
    ])
    const r = await batch([opPath.stat(b, 'plain'), opPath.stat(b, 'full'), opPath.stat(b, 'ia')])
    assert.equal(r.status, 200)
    assert.deepEqual(Object.keys(r.json[0].data).sort(), ['fsize', 'hash', 'mimeType', 'putTime'])
    assert.equal(r.json[0].data.mimeType, 'application/octet-stream')
    const full = r.json[1].data
    assert.equal(full.type, 2)
    assert.equal(full.status, 1)
    assert.equal(full.restoreStatus, 2)
    assert.equal(full.expiration, 1_900_000_000)
    assert.equal(full.transitionToIA, 1_800_000_000)
    assert.ok(!('transitionToARCHIVE' in full))
    assert.match(r.text, /"putTime":17000000000000001[,}]/, 'exact putTime beyond 2^53')
    assert.equal(r.json[2].data.type, 1)
  })
})

describe('copy, move, delete', () => {
  const SRC = { key: 'src', fsize: 10, hash: 'FhashSrc', mimeType: 'image/png', md5: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', meta: { x: 'y' }, type: 1, status: 1, expiration: 1_900_000_000, putTime: '15000000000000000', cacheControl: 'no-cache' }

  it('copies the object with a new putTime, refusing an existing destination unless forced', async () => {
    const b = newBucket('copy')
    const b2 = newBucket('copy2')
    await seedBucket(BASE, b, [SRC, { key: 'exists' }])
    await seedBucket(BASE, b2, [])
    let r = await batch([
      opPath.copy(b, 'src', b2, 'copy'),
      opPath.copy(b, 'src', b, 'exists'),
      opPath.copy(b, 'src', b, 'exists', false),
      opPath.copy(b, 'nope', b, 'x'),
      opPath.copy(b, 'src', 'no-bucket-zz', 'x'),
      opPath.copy('no-bucket-zz', 'src', b, 'x'),
    ])
    assert.deepEqual(codes(r), [200, 614, 614, 612, 631, 631])
    const copy = (await objectsByKey(b2)).get('copy')!
    assert.equal(copy.fsize, 10)
    assert.equal(copy.hash, 'FhashSrc')
    assert.equal(copy.mimeType, 'image/png')
    assert.equal(copy.md5, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
    assert.deepEqual(copy.meta, { x: 'y' })
    assert.equal(copy.type, 1)
    assert.notEqual(copy.putTime, '15000000000000000')
    assert.ok(BigInt(copy.putTime) > 15000000000000000n)
    r = await batch([opPath.copy(b, 'src', b, 'exists', true)])
    assert.equal(r.status, 200)
    assert.equal((await objectsByKey(b)).get('exists')!.hash, 'FhashSrc')
  })

  it('moves the object within and across buckets, refusing an existing destination unless forced', async () => {
    const b = newBucket('move')
    const b2 = newBucket('move2')
    await seedBucket(BASE, b, [SRC, { key: 'exists' }])
    await seedBucket(BASE, b2, [])
    let r = await batch([opPath.move(b, 'src', b, 'moved'), opPath.move(b, 'src', b, 'moved2')])
    assert.deepEqual(codes(r), [200, 612])
    const objs = await objectsByKey(b)
    assert.ok(!objs.has('src') && objs.has('moved'))
    assert.equal(objs.get('moved')!.hash, 'FhashSrc')
    r = await batch([opPath.move(b, 'moved', b, 'exists')])
    assert.deepEqual(r.json, [{ code: 614, data: { error: 'file exists' } }])
    r = await batch([opPath.move(b, 'moved', b, 'moved', true)])
    assert.deepEqual(r.json, [{ code: 200 }])
    r = await batch([opPath.move(b, 'moved', b, 'moved')])
    assert.equal(r.json[0].code, 614)
    r = await batch([opPath.move(b, 'moved', b2, 'moved-across', true)])
    assert.equal(r.status, 200)
    assert.ok(!(await objectsByKey(b)).has('moved'))
    assert.ok((await objectsByKey(b2)).has('moved-across'))
  })

  it('deletes once, then answers 612, and 631 for a missing bucket', async () => {
    const b = newBucket('delete')
    await seedBucket(BASE, b, [{ key: 'exists' }])
    const r = await batch([opPath.delete(b, 'exists'), opPath.delete(b, 'exists'), opPath.delete('no-bucket-zz', 'a')])
    assert.deepEqual(codes(r), [200, 612, 631])
    assert.equal((await objectsByKey(b)).size, 0)
  })

  it('applies the ops of one batch in order', async () => {
    const b = newBucket('order')
    await seedBucket(BASE, b, [{ key: 'a' }])
    const r = await batch([opPath.copy(b, 'a', b, 'b'), opPath.delete(b, 'a'), opPath.stat(b, 'b'), opPath.stat(b, 'a')])
    assert.deepEqual(codes(r), [200, 200, 200, 612])
  })
})

describe('restoreAr', () => {
  it('answers 400 to a bad freezeAfterDays, 403 outside archive classes and 612 for a missing key', async () => {
    const b = newBucket('restore-bad')
    await seedBucket(BASE, b, [{ key: 'std' }, { key: 'ar', type: 2 }, { key: 'ia', type: 1 }, { key: 'air', type: 4 }])
    const r = await batch([
      opPath.restoreAr(b, 'ar', 0),
      opPath.restoreAr(b, 'ar', 8),
      `/restoreAr/${encodeEntry(b, 'ar')}/freezeAfterDays/x`,
      `/restoreAr/${encodeEntry(b, 'ar')}`,
      opPath.restoreAr(b, 'std', 1),
      opPath.restoreAr(b, 'ia', 1),
      opPath.restoreAr(b, 'air', 1),
      opPath.restoreAr(b, 'nope', 1),
    ])
    assert.deepEqual(r.json.slice(0, 4), Array(4).fill({ code: 400, data: { error: 'invalid freezeAfterDays' } }))
    for (const i of [4, 5, 6]) assert.deepEqual(r.json[i], { code: 403, data: { error: 'operation only allowed for archive or deep archive' } })
    assert.equal(r.json[7].code, 612)
  })

  it('starts restoring archive objects, reports restored ones, and freezes them again on a class change', async () => {
    const b = newBucket('restore')
    await seedBucket(BASE, b, [{ key: 'std' }, { key: 'ar', type: 2 }, { key: 'deep', type: 3 }])
    let r = await batch([opPath.restoreAr(b, 'ar', 1), opPath.restoreAr(b, 'deep', 7), opPath.restoreAr(b, 'ar', 3)])
    assert.equal(r.status, 200)
    assert.deepEqual(r.json, [{ code: 200 }, { code: 200 }, { code: 200 }])
    r = await batch([opPath.stat(b, 'ar'), opPath.stat(b, 'std')])
    assert.equal(r.json[0].data.restoreStatus, 1)
    assert.ok(!('restoreStatus' in r.json[1].data))
    await markRestored(BASE, b, 'ar')
    r = await batch([opPath.stat(b, 'ar'), opPath.restoreAr(b, 'ar', 2), opPath.stat(b, 'ar')])
    assert.equal(r.json[0].data.restoreStatus, 2)
    assert.equal(r.json[1].code, 200)
    assert.equal(r.json[2].data.restoreStatus, 2)
    r = await batch([opPath.chtype(b, 'ar', 3), opPath.stat(b, 'ar')])
    assert.equal(r.json[1].data.type, 3)
    assert.ok(!('restoreStatus' in r.json[1].data))
    // the control API refuses restoreStatus on a non-archive object
    await assert.rejects(markRestored(BASE, b, 'std'), /400/)
  })
})

describe('chgm', () => {
  const B = urlsafeB64

  it('changes the mime type, replaces x-qn-meta as a whole and sets the other headers', async () => {
    const b = newBucket('chgm')
    await seedBucket(BASE, b, [{ key: 'k', mimeType: 'text/plain', meta: { old: 'x', keep: 'y' }, fsize: 7 }])
    const E = encodeEntry(b, 'k')
    let r = await batch([`/chgm/${E}/mime/${B('image/jpeg')}`])
    assert.equal(r.status, 200)
    let o = (await objectsByKey(b)).get('k')!
    assert.equal(o.mimeType, 'image/jpeg')
    assert.deepEqual(o.meta, { old: 'x', keep: 'y' }, 'meta kept when no x-qn-meta segment')
    r = await batch([`/chgm/${E}/x-qn-meta-author/${B('alice')}/x-qn-meta-Lang/${B('中文')}`])
    assert.equal(r.status, 200)
    o = (await objectsByKey(b)).get('k')!
    assert.deepEqual(o.meta, { author: 'alice', Lang: '中文' }, 'meta replaced as a whole')
    assert.equal(o.mimeType, 'image/jpeg', 'mime kept')
    r = await batch([`/chgm/${E}/cacheControl/${B('max-age=60')}/contentDisposition/${B('attachment')}/contentLanguage/${B('zh')}/contentEncoding/${B('gzip')}/expires/${B('Wed, 21 Oct 2015 07:28:00 GMT')}`])
    assert.equal(r.status, 200, r.text)
    o = (await objectsByKey(b)).get('k')!
    assert.equal(o.cacheControl, 'max-age=60')
    assert.equal(o.contentEncoding, 'gzip')
    assert.equal(o.expires, 'Wed, 21 Oct 2015 07:28:00 GMT')
  })

  it('answers 608 "file modified" when cond does not match, and applies when it does', async () => {
    const b = newBucket('chgm-cond')
    await seedBucket(BASE, b, [{ key: 'k', mimeType: 'image/jpeg', fsize: 7 }])
    const E = encodeEntry(b, 'k')
    const o = (await objectsByKey(b)).get('k')!
    const goodCond = `hash=${o.hash}&mime=image/jpeg&fsize=7&putTime=${o.putTime}`
    let r = await batch([`/chgm/${E}/mime/${B('text/html')}/cond/${B('fsize=8')}`, `/chgm/${E}/mime/${B('text/html')}/cond/${B(`hash=${o.hash}&putTime=${BigInt(o.putTime) + 1n}`)}`])
    assert.deepEqual(r.json, [{ code: 608, data: { error: 'file modified' } }, { code: 608, data: { error: 'file modified' } }])
    assert.equal((await objectsByKey(b)).get('k')!.mimeType, 'image/jpeg')
    r = await batch([`/chgm/${E}/mime/${B('text/html')}/cond/${B(goodCond)}`])
    assert.equal(r.status, 200, r.text)
    assert.equal((await objectsByKey(b)).get('k')!.mimeType, 'text/html')
  })

  it('answers 400 beyond the mime and meta limits or to malformed segments, and accepts exactly the limits', async () => {
    const b = newBucket('chgm-limits')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const E = encodeEntry(b, 'k')
    const bad: Array<[string, string]> = [
      [`/chgm/${E}/mime/${B('a/' + 'b'.repeat(199))}`, 'invalid mime'],
      [`/chgm/${E}/mime/${B('text/plain;%20x')}`, 'invalid mime'],
      [`/chgm/${E}/x-qn-meta-bad.key/${B('v')}`, 'invalid meta key'],
      [`/chgm/${E}/x-qn-meta-${'k'.repeat(51)}/${B('v')}`, 'invalid meta key'],
      [`/chgm/${E}/x-qn-meta-a/${B('v'.repeat(1000))}/x-qn-meta-b/${B('v'.repeat(30))}`, 'meta too large'],
      [`/chgm/${E}/cond/${B('size=1')}/mime/${B('a/b')}`, 'invalid cond'],
      [`/chgm/${E}/bogus/${B('x')}`, 'invalid op'],
      [`/chgm/${E}/mime`, 'invalid op'],
      [`/chgm/${E}`, 'nothing to change'],
    ]
    let r = await batch(bad.map(([op]) => op))
    assert.deepEqual(
      r.json,
      bad.map(([, error]) => ({ code: 400, data: { error } })),
    )
    r = await batch([`/chgm/${E}/mime/${B('a/' + 'b'.repeat(198))}/x-qn-meta-${'k'.repeat(50)}/${B('v'.repeat(974))}`])
    assert.equal(r.status, 200, r.text)
  })

  it('answers 612 for a missing key and 631 for a missing bucket', async () => {
    const b = newBucket('chgm-missing')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const r = await batch([`/chgm/${encodeEntry(b, 'nope')}/mime/${B('a/b')}`, `/chgm/${encodeEntry('no-bucket-zz', 'k')}/mime/${B('a/b')}`])
    assert.deepEqual(codes(r), [612, 631])
  })
})

describe('chtype and chstatus', () => {
  it('chtype sets classes 0-4 and answers 400 to anything else', async () => {
    const b = newBucket('chtype')
    await seedBucket(BASE, b, [{ key: 'k' }])
    let r = await batch([opPath.chtype(b, 'k', 5), opPath.chtype(b, 'k', -1), `/chtype/${encodeEntry(b, 'k')}/type/x`, `/chtype/${encodeEntry(b, 'k')}/typ/1`])
    assert.deepEqual(codes(r), [400, 400, 400, 400])
    r = await batch([opPath.chtype(b, 'k', 4), opPath.stat(b, 'k'), opPath.chtype(b, 'k', 0), opPath.stat(b, 'k')])
    assert.equal(r.status, 200)
    assert.equal(r.json[1].data.type, 4)
    assert.ok(!('type' in r.json[3].data))
  })

  it('chstatus toggles the status and answers 400 "already enabled/disabled" to a no-op change', async () => {
    const b = newBucket('chstatus')
    await seedBucket(BASE, b, [{ key: 'k' }])
    let r = await batch([opPath.chstatus(b, 'k', 0)])
    assert.deepEqual(r.json, [{ code: 400, data: { error: 'already enabled' } }])
    assert.equal(r.status, 298)
    r = await batch([opPath.chstatus(b, 'k', 1), opPath.stat(b, 'k'), opPath.chstatus(b, 'k', 1), opPath.chstatus(b, 'k', 2)])
    assert.deepEqual(r.json[0], { code: 200 })
    assert.equal(r.json[1].data.status, 1)
    assert.deepEqual(r.json[2], { code: 400, data: { error: 'already disabled' } })
    assert.equal(r.json[3].code, 400)
    r = await batch([opPath.chstatus(b, 'k', 0), opPath.stat(b, 'k'), opPath.chstatus(b, 'nope', 1)])
    assert.ok(!('status' in r.json[1].data))
    assert.equal(r.json[2].code, 612)
  })
})
