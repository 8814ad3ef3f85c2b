/**
 * Two regions of one account: uc `/v4/query` (read back with the qiniu SDK's own
 * QueryRegionsProvider), the region check of each RS host, and uc faults.
 * Region z0 on HOST:80, z1 on the fixture's second address, port 80 (see harness.ts for how these
 * files run).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import qiniu from 'qiniu'
import { addFault, requestLog, seedBucket } from '../../control.ts'
import { QINIU_Z1_EMULATOR_URL, QINIU_Z1_HOST, QINIU_Z1_PREFIX } from '../../../fixtures/qiniu-regions.ts'
import { fetchJson, useServer } from '../../selftest-harness.ts'
import { opPath } from '../qiniu-ops.ts'
import { QiniuRegions } from '../qiniu-regions.ts'
import { QiniuStore } from '../qiniu-store.ts'
import { startQiniuEmulator } from '../qiniu-emulator.ts'
import { AK, BASE, FORM, HOST, batch, codes, formBody, newBucket, sign, useEmulator } from './harness.ts'

const directory = new QiniuRegions({ store: new QiniuStore(), ttl: 600 })
useEmulator({ regions: { directory, id: 'z0' } })
useServer('the z1 Qiniu emulator', () => startQiniuEmulator({ credentials: { [AK]: 'qn-test-sk' }, host: QINIU_Z1_HOST, port: 80, regions: { directory, id: 'z1' } }))

const uc = (query: string, init: RequestInit = {}) => fetchJson(`${BASE}/v4/query?${query}`, init)

/** The regions the qiniu SDK reads from our uc. */
async function sdkRegions(bucket: string) {
  const endpointsProvider = new qiniu.httpc.StaticEndpointsProvider([new qiniu.httpc.Endpoint(HOST, { defaultScheme: 'http' })])
  const provider = new qiniu.httpc.QueryRegionsProvider({ accessKey: AK, bucketName: bucket, endpointsProvider, preferredScheme: 'http' })
  return provider.getRegions()
}

describe('uc /v4/query', () => {
  it('names each bucket region in the shape the qiniu SDK parses, with its ttl', async () => {
    const a = newBucket('z0')
    const b = `${QINIU_Z1_PREFIX}${newBucket('z1')}`
    await Promise.all([seedBucket(BASE, a), seedBucket(BASE, b)])
    const ra = (await sdkRegions(a))[0]!
    const rb = (await sdkRegions(b))[0]!
    const host = (r: typeof ra, service: string) => r.services[service]![0]!.getValue()
    assert.equal(ra.regionId, 'z0')
    assert.equal(host(ra, qiniu.httpc.SERVICE_NAME.RS), BASE)
    assert.equal(rb.regionId, 'z1')
    assert.equal(host(rb, qiniu.httpc.SERVICE_NAME.RS), QINIU_Z1_EMULATOR_URL)
    assert.equal(host(rb, qiniu.httpc.SERVICE_NAME.RSF), QINIU_Z1_EMULATOR_URL)
    assert.equal(rb.ttl, 600)
    assert.deepEqual((await requestLog(BASE, b)).map((e) => [e.path, e.auth, e.accessKey, e.httpStatus]), [['/v4/query', 'none', AK, 200]])
  })

  it('answers 631 no such bucket for a bucket that does not exist or an unknown access key, 400 without ak or bucket, 405 for POST', async () => {
    const a = newBucket('z0')
    await seedBucket(BASE, a)
    for (const q of [`ak=${AK}&bucket=${newBucket('none')}`, `ak=unknown&bucket=${a}`]) {
      const r = await uc(q)
      assert.equal(r.status, 631)
      assert.deepEqual(r.json, { error: 'no such bucket' })
    }
    assert.equal((await uc(`ak=${AK}`)).status, 400)
    const post = await uc(`ak=${AK}&bucket=${a}`, { method: 'POST' })
    assert.equal(post.status, 405)
    assert.equal(post.headers.get('allow'), 'GET')
  })

  it('fails with the fault rules of the bucket', async () => {
    const a = newBucket('z0')
    await seedBucket(BASE, a)
    await addFault(BASE, { kind: 'http', bucket: a, status: 503, times: 1 })
    assert.equal((await uc(`ak=${AK}&bucket=${a}`)).status, 503)
    assert.equal((await uc(`ak=${AK}&bucket=${a}`)).status, 200)
  })
})

describe('RS hosts of two regions', () => {
  it('serve their own buckets and refuse an existing bucket of the other region per op with 400 incorrect region', async () => {
    const a = newBucket('z0')
    const b = `${QINIU_Z1_PREFIX}${newBucket('z1')}`
    await Promise.all([seedBucket(BASE, a, [{ key: 'k' }]), seedBucket(BASE, b, [{ key: 'k' }])])
    const onZ0 = await batch([opPath.stat(a, 'k'), opPath.stat(b, 'k'), opPath.copy(a, 'k', b, 'k2'), opPath.stat(newBucket('none'), 'k')])
    assert.equal(onZ0.status, 298)
    assert.deepEqual(codes(onZ0), [200, 400, 400, 631])
    assert.equal(onZ0.json[1].data.error, `incorrect region, please use ${QINIU_Z1_HOST}, bucket is: ${b}`)

    const body = formBody([opPath.stat(b, 'k'), opPath.stat(a, 'k')])
    const url = `${QINIU_Z1_EMULATOR_URL}/batch`
    const onZ1 = await fetchJson(url, { method: 'POST', headers: { 'Content-Type': FORM, ...sign({}, url, 'POST', FORM, body) }, body })
    assert.equal(onZ1.status, 298)
    assert.deepEqual(codes(onZ1), [200, 400])
    assert.deepEqual((await requestLog(QINIU_Z1_EMULATOR_URL, b)).map((e) => [e.path, e.httpStatus]), [['/batch', 298]])
  })
})
