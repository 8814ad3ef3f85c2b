/**
 * OSS authentication: V1 and V4 signed with ali-oss's signUtils, accepted and refused as OSS
 * does; the Go SDK's upstream vectors and the derived DeleteMultipleObjects vectors of
 * provider-protocols.md §3, end to end and as units. (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { objectStoreRequestLog, seedObjectStoreBucket } from '../../control.ts'
import { ossV1StringToSign, signUtils } from '../auth-oss.ts'
import { startOssEmulator, type ObjectStoreEmulator } from '../server.ts'
import { HOST, md5b64, newBucket, OSS_AK, rawSend, send, useEmulators } from './harness.ts'

const emus = useEmulators()
const oss = () => emus.oss()

describe('OSS V1', () => {
  it('accepts signUtils-signed requests path-style and virtual-hosted, with signed sub-resources', async () => {
    const b = newBucket('v1ok')
    await seedObjectStoreBucket(oss().url, b, [{ key: 'dir/a b', body: 'hi' }])
    let r = await send(oss(), { bucket: b, key: 'dir/a b', sign: 'v1' })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.text, 'hi')
    r = await send(oss(), { bucket: b, key: 'dir/a b', sign: 'v1', virtual: true })
    assert.equal(r.status, 200)
    r = await send(oss(), { method: 'PUT', bucket: b, key: 'dir/a b', sign: 'v1', query: [['acl', null]], headers: { 'x-oss-object-acl': 'public-read' } })
    assert.equal(r.status, 200, r.text)
    // encoding-type is not a V1 sub-resource: sent unsigned, still accepted.
    r = await send(oss(), { method: 'GET', bucket: b, key: 'dir/a b', sign: 'v1', query: [['acl', null]], afterSign: () => {}, rawUrl: `/${b}/dir/a%20b?acl&encoding-type=url` })
    assert.equal(r.status, 200)
    const log = await objectStoreRequestLog(oss().url, b)
    assert.deepEqual(log.map((e) => [e.auth, e.accessKey, e.addressing, e.operation]), [
      ['OSS', OSS_AK, 'path', 'GetObject'],
      ['OSS', OSS_AK, 'virtual', 'GetObject'],
      ['OSS', OSS_AK, 'path', 'PutObjectAcl'],
      ['OSS', OSS_AK, 'path', 'GetObjectAcl'],
    ])
  })

  it('refuses a wrong secret (with StringToSign), a tampered sub-resource, an unknown key, skew, no date, no Authorization', async () => {
    const b = newBucket('v1bad')
    await seedObjectStoreBucket(oss().url, b, [{ key: 'k' }])
    let r = await send(oss(), { bucket: b, key: 'k', sign: 'v1', sk: 'wrong' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    assert.match(r.xml.Error.StringToSign, new RegExp(`^GET\\n\\n\\n.+ GMT\\nx-oss-date:.+ GMT\\n/${b}/k$`))
    assert.equal(r.xml.Error.OSSAccessKeyId, OSS_AK)
    assert.ok(r.xml.Error.RequestId && r.xml.Error.HostId)
    r = await send(oss(), { bucket: b, key: 'k', sign: 'v1', rawUrl: `/${b}/k?acl` })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    r = await send(oss(), { bucket: b, key: 'k', sign: 'v1', ak: 'nobody', sk: 'x' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'InvalidAccessKeyId')
    r = await send(oss(), { bucket: b, key: 'k', sign: 'v1', date: new Date(Date.now() - 16 * 60_000) })
    assert.equal(r.xml.Error.Code, 'RequestTimeTooSkewed')
    r = await send(oss(), { bucket: b, key: 'k', sign: 'v1', afterSign: (h) => delete h['x-oss-date'] })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'AccessDenied')
    r = await send(oss(), { bucket: b, key: 'k', sign: 'none' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'AccessDenied')
  })
})

describe('OSS V4', () => {
  it('accepts signUtils-signed requests (any region, recorded), also with AdditionalHeaders and query parameters', async () => {
    const b = newBucket('v4ok')
    await seedObjectStoreBucket(oss().url, b, [{ key: 'a+b c', body: 'x' }])
    let r = await send(oss(), { bucket: b, key: 'a+b c' })
    assert.equal(r.status, 200, r.text)
    r = await send(oss(), { bucket: b, key: 'a+b c', region: 'ap-southeast-1', virtual: true, headers: { 'x-custom': 'v', range: 'bytes=0-0' }, additionalHeaders: ['x-custom', 'range'] })
    assert.equal(r.status, 206, r.text)
    r = await send(oss(), { bucket: b, key: 'a+b c', query: [['versionId', 'null'], ['response-content-type', 'a b/c']] })
    assert.equal(r.status, 200, r.text)
    const log = await objectStoreRequestLog(oss().url, b)
    assert.deepEqual(log.map((e) => [e.auth, e.region, e.addressing]), [
      ['OSS4-HMAC-SHA256', 'cn-hangzhou', 'path'],
      ['OSS4-HMAC-SHA256', 'ap-southeast-1', 'virtual'],
      ['OSS4-HMAC-SHA256', 'cn-hangzhou', 'path'],
    ])
  })

  it('refuses a wrong secret (with CanonicalRequest), an unsigned query change, a missing additional header', async () => {
    const b = newBucket('v4bad')
    await seedObjectStoreBucket(oss().url, b, [{ key: 'k' }])
    let r = await send(oss(), { bucket: b, key: 'k', sk: 'wrong' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    assert.match(r.xml.Error.CanonicalRequest, new RegExp(`^GET\\n/${b}/k\\n\\nx-oss-content-sha256:UNSIGNED-PAYLOAD\\nx-oss-date:\\d{8}T\\d{6}Z\\n\\n\\nUNSIGNED-PAYLOAD$`))
    assert.match(r.xml.Error.StringToSign, /^OSS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/cn-hangzhou\/oss\/aliyun_v4_request\n[0-9a-f]{64}$/)
    // V4 signs every query parameter, encoding-type included.
    r = await send(oss(), { bucket: b, key: 'k', rawUrl: `/${b}/k?encoding-type=url` })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    r = await send(oss(), { bucket: b, key: 'k', headers: { 'x-custom': 'v' }, additionalHeaders: ['x-custom'], afterSign: (h) => delete h['x-custom'] })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    r = await send(oss(), { method: 'PUT', bucket: b, key: 'k', body: 'x', headers: { 'content-type': 'text/plain' }, afterSign: (h) => (h['content-type'] = 'text/html') })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
  })

  it('checks x-oss-date (skew, scope date) and requires x-oss-content-sha256: UNSIGNED-PAYLOAD', async () => {
    const b = newBucket('v4date')
    await seedObjectStoreBucket(oss().url, b, [{ key: 'k' }])
    let r = await send(oss(), { bucket: b, key: 'k', date: new Date(Date.now() + 16 * 60_000) })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'RequestTimeTooSkewed')
    r = await send(oss(), { bucket: b, key: 'k', afterSign: (h) => (h.authorization = h.authorization!.replace(/\/\d{8}\//, '/20200101/')) })
    assert.equal(r.status, 400)
    assert.equal(r.xml.Error.Code, 'InvalidArgument')
    r = await send(oss(), { bucket: b, key: 'k', afterSign: (h) => delete h['x-oss-content-sha256'] })
    assert.equal(r.status, 400)
    assert.equal(r.xml.Error.EC, '0002-00000214')
    assert.equal(r.headers['x-oss-ec'], '0002-00000214')
    r = await send(oss(), { bucket: b, key: 'k', ak: 'nobody', sk: 'x' })
    assert.equal(r.xml.Error.Code, 'InvalidAccessKeyId')
  })
})

describe('upstream and derived vectors (provider-protocols.md §3)', () => {
  let clock = 0
  let emu: ObjectStoreEmulator
  before(async () => {
    emu = await startOssEmulator({ host: HOST, port: 0, credentials: { ak: 'sk' }, virtualHostSuffixes: ['.oss-cn-hangzhou.aliyuncs.com'], now: () => clock })
  })
  after(() => emu.close())

  const DELETE_BODY = '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet><Object><Key>a.txt</Key></Object><Object><Key>dir/b c.txt</Key></Object></Delete>'

  it('V1 unit: Go TestV1AuthHeader cases 1–4 (the emulator\'s StringToSign for 1–2; signUtils for all)', () => {
    const headers = {
      'content-md5': 'eB5eJF1ptWaXm4bijSPyxw==',
      'content-type': 'text/html',
      'x-oss-date': 'Wed, 28 Dec 2022 10:27:41 GMT',
      'x-oss-meta-author': 'alice',
      'x-oss-meta-magic': 'abracadabra',
    }
    const req = { method: 'PUT', rawPath: '/nelson', rawQuery: '', headers, body: Buffer.alloc(0), bucket: 'examplebucket', key: 'nelson', virtualHosted: true }
    const sts = ossV1StringToSign(req)
    assert.equal(sts, 'PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson')
    assert.equal(signUtils.authorization('ak', 'sk', sts), 'OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=')
    assert.equal(signUtils.authorization('ak', 'sk', ossV1StringToSign({ ...req, rawQuery: 'acl' })), 'OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=')
    const getHeaders = { 'x-oss-date': 'Wed, 28 Dec 2022 10:27:41 GMT' }
    const c3 = signUtils.buildCanonicalString('GET', '/examplebucket/', { headers: getHeaders, parameters: { resourceGroup: null } })
    assert.equal(c3, 'GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?resourceGroup')
    assert.equal(signUtils.authorization('ak', 'sk', c3), 'OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=')
    const c4 = signUtils.buildCanonicalString('GET', '/examplebucket/', { headers: getHeaders, parameters: { resourceGroup: null, acl: null } })
    assert.equal(signUtils.authorization('ak', 'sk', c4), 'OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=')
    // The emulator does not sign `resourceGroup` (not an OSS sub-resource it knows): only acl.
    assert.match(ossV1StringToSign({ ...req, method: 'GET', headers: getHeaders, rawPath: '/', key: undefined, rawQuery: 'resourceGroup&acl&non-resousce=null' } as never), /\/examplebucket\/\?acl$/)
  })

  it('V1 end to end: the derived DeleteMultipleObjects request is accepted (quiet success: no body)', async () => {
    assert.equal(Buffer.byteLength(DELETE_BODY), 146)
    assert.equal(md5b64(DELETE_BODY), 'qcG3hyUlKN6YqaRcrWtn+A==')
    await seedObjectStoreBucket(emu.url, 'examplebucket', [{ key: 'a.txt' }, { key: 'dir/b c.txt' }, { key: 'keep' }])
    clock = Date.parse('2024-01-01T00:00:00Z')
    const r = await rawSend(emu.port, 'POST', '/?delete', {
      host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com',
      'content-md5': 'qcG3hyUlKN6YqaRcrWtn+A==',
      'content-type': 'application/xml',
      'x-oss-date': 'Mon, 01 Jan 2024 00:00:00 GMT',
      authorization: 'OSS ak:r7dC2FrzWvnm0QIVF4PoegKLrXg=',
    }, DELETE_BODY)
    assert.equal(r.status, 200, r.text)
    assert.equal(r.text, '')
    assert.deepEqual([...emu.store.bucket('examplebucket')!.keys.keys()], ['keep'])
  })

  it('V4 end to end: the derived DeleteMultipleObjects request with encoding-type=url is accepted', async () => {
    await seedObjectStoreBucket(emu.url, 'examplebucket', [{ key: 'a.txt' }, { key: 'dir/b c.txt' }])
    clock = Date.parse('2024-01-01T00:00:00Z')
    const headers = {
      host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com',
      'content-md5': 'qcG3hyUlKN6YqaRcrWtn+A==',
      'content-type': 'application/xml',
      'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-oss-date': '20240101T000000Z',
    }
    const canonical = signUtils.getCanonicalRequest('POST', { headers, queries: { delete: null, 'encoding-type': 'url' } }, 'examplebucket', undefined)
    assert.equal(canonical, 'POST\n/examplebucket/\ndelete&encoding-type=url\ncontent-md5:qcG3hyUlKN6YqaRcrWtn+A==\ncontent-type:application/xml\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20240101T000000Z\n\n\nUNSIGNED-PAYLOAD')
    const auth = 'OSS4-HMAC-SHA256 Credential=ak/20240101/cn-hangzhou/oss/aliyun_v4_request,Signature=e15fd1437713074fb5636f3b10f3eb9a170137358960492535045ccd4be27ecc'
    const r = await rawSend(emu.port, 'POST', '/?delete&encoding-type=url', { ...headers, authorization: auth }, DELETE_BODY)
    assert.equal(r.status, 200, r.text)
    assert.equal(emu.store.bucket('examplebucket')!.keys.size, 0)
    const log = await objectStoreRequestLog(emu.url, 'examplebucket')
    assert.deepEqual(log.slice(-1).map((e) => [e.auth, e.region, e.ops, e.operation]), [['OSS4-HMAC-SHA256', 'cn-hangzhou', 2, 'DeleteObjects']])
  })

  it('V4 end to end: Go TestV4AuthHeader case 1 and the AdditionalHeaders case', async () => {
    const key = '1234+-/123/1.txt'
    // Go url.Values{param1=value1, +param1=value3, |param1=value4, +param2=, |param2=, param2=}.Encode()
    const query = '%2Bparam1=value3&%2Bparam2=&%7Cparam1=value4&%7Cparam2=&param1=value1&param2='
    const cases: Array<[number, string]> = [
      [1702743657, 'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe'],
      [1702747512, 'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f'],
    ]
    for (const [t, auth] of cases) {
      await seedObjectStoreBucket(emu.url, 'bucket', [])
      clock = t * 1000
      const date = new Date(clock).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
      const r = await rawSend(emu.port, 'PUT', `/bucket/1234%2B-/123/1.txt?${query}`, {
        host: 'oss-cn-hangzhou.aliyuncs.com',
        'x-oss-head1': 'value',
        abc: 'value',
        zabc: 'value',
        xyz: 'value',
        'content-type': 'text/plain',
        'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-oss-date': date,
        authorization: auth,
      }, 'body')
      assert.equal(r.status, 200, r.text)
      assert.equal(emu.store.bucket('bucket')!.keys.get(key)?.[0]?.body.toString(), 'body')
    }
  })
})
