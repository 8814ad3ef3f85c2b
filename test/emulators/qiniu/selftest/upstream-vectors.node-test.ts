/**
 * Upstream and derived signing vectors (shared/reference/provider-protocols.md §1.6) sent verbatim
 * with the Host they were signed for. This file's instance uses the vectors' credentials and a
 * clock fixed at 2024-01-01T00:00:00Z. (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { listObjects, seedBucket } from '../../control.ts'
import { BASE, FORM, rawRequest, useEmulator } from './harness.ts'

useEmulator({ credentials: { AK: 'SK', MY_ACCESS_KEY: 'MY_SECRET_KEY' }, now: () => Date.UTC(2024, 0, 1) })

/** The derived /batch vector: stat, delete, forced copy and chgm on `mybucket`, AK "AK" / SK "SK". */
const BATCH_BODY =
  'op=%2Fstat%2FbXlidWNrZXQ6YS50eHQ%3D&op=%2Fdelete%2FbXlidWNrZXQ6ZGlyL2IgYy50eHQ%3D&op=%2Fcopy%2FbXlidWNrZXQ6YS50eHQ%3D%2FbXlidWNrZXQ6YS1jb3B5LnR4dA%3D%3D%2Fforce%2Ftrue&op=%2Fchgm%2FbXlidWNrZXQ6YS50eHQ%3D%2Fmime%2FdGV4dC9wbGFpbg%3D%3D%2Fx-qn-meta-author%2FYWxpY2U%3D'
const V2_HEADERS = { 'Content-Type': FORM, 'X-Qiniu-Date': '20240101T000000Z', Authorization: 'Qiniu AK:NGlp7H0ZRyIXp0Fjve-okt20yYo=' }

describe('derived /batch vectors for rs-z0.qiniuapi.com', () => {
  it('accepts the v2 vector and applies its four ops', async () => {
    await seedBucket(BASE, 'mybucket', [{ key: 'a.txt', mimeType: 'image/png' }, { key: 'dir/b c.txt' }])
    const v2 = await rawRequest({ hostHeader: 'rs-z0.qiniuapi.com', method: 'POST', path: '/batch', headers: V2_HEADERS, body: BATCH_BODY })
    assert.equal(v2.status, 200, v2.text)
    const res = JSON.parse(v2.text)
    assert.deepEqual(res.map((x: { code: number }) => x.code), [200, 200, 200, 200])
    assert.equal(res[0].data.mimeType, 'image/png')
    assert.equal(res[1].data, undefined)
    const objs = await listObjects(BASE, 'mybucket')
    assert.deepEqual(objs.map((o) => o.key), ['a-copy.txt', 'a.txt'])
    assert.equal(objs[1]!.mimeType, 'text/plain')
    assert.deepEqual(objs[1]!.meta, { author: 'alice' })
  })

  it('rejects the v2 vector with 401 when it arrives with another Host', async () => {
    await seedBucket(BASE, 'mybucket', [{ key: 'a.txt' }, { key: 'dir/b c.txt' }])
    const other = await rawRequest({ hostHeader: 'rs-z1.qiniuapi.com', method: 'POST', path: '/batch', headers: V2_HEADERS, body: BATCH_BODY })
    assert.equal(other.status, 401, other.text)
    assert.deepEqual((await listObjects(BASE, 'mybucket')).map((o) => o.key), ['a.txt', 'dir/b c.txt'])
  })

  it('accepts the QBox vector, which has no date header', async () => {
    await seedBucket(BASE, 'mybucket', [{ key: 'a.txt' }, { key: 'dir/b c.txt' }])
    const qbox = await rawRequest({
      hostHeader: 'rs-z0.qiniuapi.com',
      method: 'POST',
      path: '/batch',
      headers: { 'Content-Type': FORM, Authorization: 'QBox AK:AM87q15Ye24EhjUFdkbizbOc3dY=' },
      body: BATCH_BODY,
    })
    assert.equal(qbox.status, 200, qbox.text)
    assert.deepEqual(JSON.parse(qbox.text).map((x: { code: number }) => x.code), [200, 200, 200, 200])
  })
})

describe('upstream documentation vector', () => {
  it('accepts the standalone move signed with QBox without a body for rs.qiniu.com', async () => {
    await seedBucket(BASE, 'newdocs', [{ key: 'find_man.txt' }])
    const mv = await rawRequest({
      hostHeader: 'rs.qiniu.com',
      method: 'POST',
      path: '/move/bmV3ZG9jczpmaW5kX21hbi50eHQ=/bmV3ZG9jczpmaW5kLm1hbi50eHQ=',
      headers: { Authorization: 'QBox MY_ACCESS_KEY:FXsYh0wKHYPEsIAgdPD9OfjkeEM=' },
      body: '',
    })
    assert.equal(mv.status, 200, mv.text)
    assert.deepEqual((await listObjects(BASE, 'newdocs')).map((o) => o.key), ['find.man.txt'])
  })
})
