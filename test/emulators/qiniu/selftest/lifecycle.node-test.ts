/**
 * Semantics of the expiry and storage-transition ops: deleteAfterDays and lifecycle.
 * (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeEntry, opPath, urlsafeB64 } from '../qiniu-ops.ts'
import { seedBucket } from '../../control.ts'
import { BASE, batch, codes, newBucket, objectsByKey, useEmulator } from './harness.ts'

useEmulator()

const DAY = 86400
const nowS = () => Math.floor(Date.now() / 1000)

describe('deleteAfterDays', () => {
  it('sets the expiration to a midnight N days ahead, and 0 removes it', async () => {
    const b = newBucket('dad')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const now = nowS()
    let r = await batch([opPath.deleteAfterDays(b, 'k', 3), opPath.stat(b, 'k')])
    assert.equal(r.status, 200)
    const exp = r.json[1].data.expiration
    assert.ok(Number.isInteger(exp) && exp % DAY === 0 && exp >= now + 3 * DAY && exp <= now + 4 * DAY, `expiration ${exp}`)
    r = await batch([opPath.deleteAfterDays(b, 'k', 0), opPath.stat(b, 'k')])
    assert.ok(!('expiration' in r.json[1].data))
  })

  it('answers 400 to a negative, non-numeric or missing day count and 612 for a missing key', async () => {
    const b = newBucket('dad-bad')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const E = encodeEntry(b, 'k')
    const r = await batch([opPath.deleteAfterDays(b, 'k', -1), `/deleteAfterDays/${E}/x`, `/deleteAfterDays/${E}`, opPath.deleteAfterDays(b, 'nope', 1)])
    assert.deepEqual(codes(r), [400, 400, 400, 612])
  })
})

describe('lifecycle', () => {
  it('takes its segments in any order, leaves 0 unchanged and cancels with -1', async () => {
    const b = newBucket('life')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const E = encodeEntry(b, 'k')
    const now = nowS()
    let r = await batch([`/lifecycle/${E}/toArchiveAfterDays/20/toIAAfterDays/10/deleteAfterDays/30`, opPath.stat(b, 'k')])
    assert.equal(r.status, 200, r.text)
    const st = r.json[1].data
    assert.ok(st.transitionToIA >= now + 10 * DAY && st.transitionToIA % DAY === 0)
    assert.ok(st.transitionToARCHIVE >= now + 20 * DAY)
    assert.ok(st.expiration >= now + 30 * DAY)
    assert.ok(!('transitionToDeepArchive' in st) && !('transitionToArchiveIR' in st))
    r = await batch([`/lifecycle/${E}/toIAAfterDays/-1/toArchiveIRAfterDays/0/toArchiveAfterDays/0/toDeepArchiveAfterDays/40/deleteAfterDays/0`, opPath.stat(b, 'k')])
    assert.equal(r.status, 200)
    const st2 = r.json[1].data
    assert.ok(!('transitionToIA' in st2))
    assert.equal(st2.transitionToARCHIVE, st.transitionToARCHIVE)
    assert.equal(st2.expiration, st.expiration)
    assert.ok(st2.transitionToDeepArchive >= now + 40 * DAY)
  })

  it('answers 400 to a bad day count, an unknown or repeated segment and a missing value', async () => {
    const b = newBucket('life-bad')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const E = encodeEntry(b, 'k')
    const r = await batch([
      `/lifecycle/${E}/toIAAfterDays/-2`,
      `/lifecycle/${E}/toIAAfterDays/1.5`,
      `/lifecycle/${E}/toIAAfterDays/abc`,
      `/lifecycle/${E}/toColdAfterDays/1`,
      `/lifecycle/${E}/toIAAfterDays/1/toIAAfterDays/2`,
      `/lifecycle/${E}/toIAAfterDays`,
    ])
    assert.deepEqual(codes(r), [400, 400, 400, 400, 400, 400])
  })

  it('answers 608 when cond does not match, and applies when it does', async () => {
    const b = newBucket('life-cond')
    await seedBucket(BASE, b, [{ key: 'k' }])
    const E = encodeEntry(b, 'k')
    const now = nowS()
    const o = (await objectsByKey(b)).get('k')!
    const r = await batch([`/lifecycle/${E}/toIAAfterDays/5/cond/${urlsafeB64('fsize=99')}`, `/lifecycle/${E}/toIAAfterDays/5/cond/${urlsafeB64(`hash=${o.hash}&fsize=0`)}`])
    assert.deepEqual(codes(r), [608, 200])
    const st = (await batch([opPath.stat(b, 'k')])).json[0].data
    assert.ok(st.transitionToIA >= now + 5 * DAY)
  })
})
