/**
 * Emulator authentication: QBox and Qiniu v2 tokens checked with the qiniu SDK, X-Qiniu-Date skew.
 * (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import qiniu from 'qiniu'
import { opPath } from '../qiniu-ops.ts'
import { listObjects, seedBucket } from '../../control.ts'
import { QINIU_CREDENTIALS } from '../../../fixtures/qiniu-credentials.ts'
import { AK, BASE, FORM, HOST, SK, batch, formBody, newBucket, qiniuDate, send, sign, useEmulator, type SendOpts } from './harness.ts'

useEmulator()

describe('valid tokens', () => {
  it('accepts v2 and QBox tokens, each with and without X-Qiniu-Date', async () => {
    const b = newBucket('auth')
    await seedBucket(BASE, b, [{ key: 'a' }])
    for (const o of [{ scheme: 'Qiniu' as const }, { scheme: 'Qiniu' as const, date: null }, { scheme: 'QBox' as const }, { scheme: 'QBox' as const, date: null }]) {
      const r = await batch([opPath.stat(b, 'a')], o)
      assert.equal(r.status, 200, `${JSON.stringify(o)} → ${r.status} ${r.text}`)
      assert.equal(r.json[0].code, 200)
    }
  })

  it('accepts every access key of the fixture credentials', async () => {
    const b = newBucket('auth-keys')
    await seedBucket(BASE, b, [{ key: 'a' }])
    for (const ak of Object.keys(QINIU_CREDENTIALS)) {
      assert.equal((await batch([opPath.stat(b, 'a')], { ak })).status, 200, ak)
    }
  })
})

describe('bad tokens', () => {
  const b = newBucket('auth401')
  const ops = [opPath.delete(b, 'a')]
  const body = formBody(ops)
  const mac = new qiniu.auth.digest.Mac(AK, SK)
  /** Built lazily: `sign` reads the clock. */
  const goodToken = () => sign({}, BASE + '/batch', 'POST', FORM, body).Authorization!
  const cases: Array<[string, () => SendOpts]> = [
    ['a tampered signature', () => {
      const good = goodToken()
      return { authorization: good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1) }
    }],
    ['an unknown access key', () => ({ ak: 'nobody', sk: 'whatever' })],
    ['a known access key signed with the wrong secret', () => ({ ak: 'qn-other-ak', sk: 'qn-test-sk' })],
    ['no Authorization header', () => ({ scheme: 'none' })],
    ['a garbled header', () => ({ authorization: 'Qiniu nocolonhere' })],
    ['an unknown scheme', () => ({ authorization: goodToken().replace(/^Qiniu /, 'Bearer ') })],
    ['a v2 token sent as QBox', () => ({ authorization: goodToken().replace(/^Qiniu /, 'QBox ') })],
    ['a lower-case scheme', () => ({ authorization: goodToken().replace(/^Qiniu /, 'qiniu ') })],
    ['a signature over another body', () => ({ signBody: formBody([opPath.stat(b, 'a')]) })],
    ['a signature over another date', () => ({ date: qiniuDate(), signDate: qiniuDate(new Date(Date.now() - 1000)) })],
    ['an X-Qiniu-Date sent but not signed', () => ({ date: qiniuDate(), authorization: qiniu.util.generateAccessTokenV2(mac, BASE + '/batch', 'POST', FORM, body, {}) })],
    ['a signature for another host', () => ({ signUrl: 'http://rs-z0.qiniuapi.com/batch' })],
    ['a signature for another host:port', () => ({ signUrl: `http://${HOST}:8080/batch` })],
    ['a signature for another path', () => ({ signUrl: BASE + '/glb/batch' })],
    ['a QBox signature over another body', () => ({ scheme: 'QBox', signBody: '' })],
    // The QBox signer the gateway would use includes the body; the server leaves it out for a non-exact type.
    ['a QBox signature including the body when the Content-Type has a charset', () => ({
      contentType: FORM + ';charset=UTF-8',
      authorization: qiniu.util.generateAccessToken(mac, BASE + '/batch', body),
    })],
  ]
  for (const [name, opts] of cases) {
    it(`answers 401 {"error":"bad token"} and applies nothing for ${name}`, async () => {
      await seedBucket(BASE, b, [{ key: 'a' }])
      const r = await send('/batch', body, opts())
      assert.equal(r.status, 401, `${r.status} ${r.text}`)
      assert.deepEqual(r.json, { error: 'bad token' })
      assert.deepEqual((await listObjects(BASE, b)).map((o) => o.key), ['a'])
    })
  }

  it('leaves the body out of a v2 signature when the form Content-Type has a charset (Go incBodyV2 rule)', async () => {
    await seedBucket(BASE, b, [{ key: 'a' }])
    const ctCharset = FORM + ';charset=UTF-8'
    let r = await send('/batch', body, { contentType: ctCharset })
    assert.equal(r.status, 401, 'v2 with charset content type and body signed')
    assert.deepEqual((await listObjects(BASE, b)).map((o) => o.key), ['a'])
    // the same request signed without the body passes auth, and the form is still parsed
    r = await send('/batch', body, { contentType: ctCharset, signBody: '' })
    assert.equal(r.status, 200, `v2 charset, body not signed: ${r.text}`)
    assert.deepEqual(await listObjects(BASE, b), [])
  })
})

describe('X-Qiniu-Date', () => {
  const b = newBucket('skew')
  const ops = [opPath.stat(b, 'a')]

  it('accepts a date up to 14 minutes off and answers 403 "request time too skewed" from 16 minutes', async () => {
    await seedBucket(BASE, b, [{ key: 'a' }])
    for (const [offsetMin, expect] of [
      [-20, 403],
      [20, 403],
      [-16, 403],
      [-14, 200],
      [14, 200],
    ] as const) {
      const r = await batch(ops, { date: qiniuDate(new Date(Date.now() + offsetMin * 60_000)) })
      assert.equal(r.status, expect, `offset ${offsetMin} min: ${r.text}`)
      if (expect === 403) assert.deepEqual(r.json, { error: 'request time too skewed' })
    }
  })

  it('rejects a skewed date with a QBox token too', async () => {
    await seedBucket(BASE, b, [{ key: 'a' }])
    assert.equal((await batch(ops, { scheme: 'QBox', date: qiniuDate(new Date(Date.now() - 3_600_000)) })).status, 403)
  })

  it('answers 403 to a malformed or impossible date', async () => {
    await seedBucket(BASE, b, [{ key: 'a' }])
    for (const bad of ['2024-01-01T00:00:00Z', '20240101T000000', '20241301T000000Z', '20240230T000000Z', 'yesterday', '']) {
      const r = await batch(ops, { date: bad })
      assert.equal(r.status, 403, `malformed date ${JSON.stringify(bad)}: ${r.status} ${r.text}`)
    }
  })

  it('answers 403 to the epoch-0 date that the upstream SDK test mocks', async () => {
    await seedBucket(BASE, b, [{ key: 'a' }])
    assert.equal((await batch(ops, { date: qiniuDate(new Date(0)) })).status, 403)
  })
})
