/**
 * S3 authentication: SigV4 (signed with @smithy/signature-v4 and with aws4fetch) and SigV2 (the
 * harness's client-side implementation), accepted and refused as S3 does; plus the AWS upstream
 * vectors and the derived DeleteObjects vectors of provider-protocols.md §2, end to end and as units.
 * (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { AwsClient, AwsV4Signer } from 'aws4fetch'
import { objectStoreRequestLog, seedObjectStoreBucket } from '../../control.ts'
import { sigV2Signature, sigV2StringToSign } from '../auth-s3.ts'
import { startS3Emulator, type ObjectStoreEmulator } from '../server.ts'
import { amzDate, deleteBody, deleteObjects, HOST, md5b64, newBucket, rawSend, S3_AK, send, sha256hex, useEmulators } from './harness.ts'

const emus = useEmulators()
const s3 = () => emus.s3()

describe('SigV4', () => {
  it('accepts smithy-signed requests path-style and virtual-hosted, unsigned and signed payloads, any region (recorded)', async () => {
    const b = newBucket('v4ok')
    await seedObjectStoreBucket(s3().url, b, [{ key: 'k', body: 'hello' }])
    let r = await send(s3(), { bucket: b, key: 'k' })
    assert.equal(r.status, 200)
    assert.equal(r.text, 'hello')
    r = await send(s3(), { bucket: b, key: 'k', virtual: true, region: 'cn' })
    assert.equal(r.status, 200)
    r = await send(s3(), { method: 'PUT', bucket: b, key: 'n', body: 'payload', signedPayload: true, region: 'eu-west-3' })
    assert.equal(r.status, 200)
    const log = await objectStoreRequestLog(s3().url, b)
    assert.deepEqual(log.map((e) => [e.operation, e.auth, e.accessKey, e.region, e.addressing]), [
      ['GetObject', 'AWS4-HMAC-SHA256', S3_AK, 'us-east-1', 'path'],
      ['GetObject', 'AWS4-HMAC-SHA256', S3_AK, 'cn', 'virtual'],
      ['PutObject', 'AWS4-HMAC-SHA256', S3_AK, 'eu-west-3', 'path'],
    ])
  })

  it('accepts requests made by aws4fetch (AwsClient.fetch), incl. keys needing encoding', async () => {
    const b = newBucket('v4fetch')
    await seedObjectStoreBucket(s3().url, b, [])
    const client = new AwsClient({ accessKeyId: S3_AK, secretAccessKey: 's3-test-secret', service: 's3', region: 'us-east-1', retries: 0 })
    const key = "dir/a b+c%d&e=f!'()*~é"
    const url = `${s3().url}/${b}/${key.split('/').map(encodeURIComponent).join('/')}`
    let r = await client.fetch(url, { method: 'PUT', body: 'via aws4fetch', headers: { 'content-type': 'text/plain' } })
    assert.equal(r.status, 200, await r.text())
    r = await client.fetch(url)
    assert.equal(await r.text(), 'via aws4fetch')
    const body = deleteBody([key])
    r = await client.fetch(`${s3().url}/${b}?delete`, { method: 'POST', body, headers: { 'content-md5': md5b64(body), 'content-type': 'application/xml' } })
    assert.equal(r.status, 200)
    assert.match(await r.text(), /<Deleted><Key>dir\/a b\+c%d&amp;e=f!&apos;\(\)\*~é<\/Key><\/Deleted>/)
  })

  it('answers 403 SignatureDoesNotMatch (with StringToSign and CanonicalRequest) for a wrong secret or a tampered request', async () => {
    const b = newBucket('v4bad')
    await seedObjectStoreBucket(s3().url, b, [{ key: 'k' }, { key: 'other' }])
    let r = await send(s3(), { bucket: b, key: 'k', sk: 'wrong' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    assert.match(r.xml.Error.StringToSign, /^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/)
    assert.match(r.xml.Error.CanonicalRequest, new RegExp(`^GET\\n/${b}/k\\n`))
    assert.ok(r.headers['x-amz-request-id'])
    r = await send(s3(), { bucket: b, key: 'k', rawUrl: `/${b}/other` })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    r = await send(s3(), { bucket: b, key: 'k', afterSign: (h) => (h['x-amz-date'] = amzDate(new Date(Date.now() - 1000))) })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    // A signed header whose value changed, and a signed header that is missing.
    r = await send(s3(), { method: 'PUT', bucket: b, key: 'n', body: 'x', headers: { 'content-type': 'text/plain' }, afterSign: (h) => (h['content-type'] = 'text/html') })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    r = await send(s3(), { method: 'PUT', bucket: b, key: 'n', body: 'x', headers: { 'content-type': 'text/plain' }, afterSign: (h) => delete h['content-type'] })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
  })

  it('answers 403 InvalidAccessKeyId, AccessDenied without Authorization, and refuses unsigned x-amz-* headers', async () => {
    const b = newBucket('v4ak')
    await seedObjectStoreBucket(s3().url, b, [{ key: 'k' }])
    let r = await send(s3(), { bucket: b, key: 'k', ak: 'nobody', sk: 'x' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'InvalidAccessKeyId')
    r = await send(s3(), { bucket: b, key: 'k', sign: 'none' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'AccessDenied')
    r = await send(s3(), { method: 'PUT', bucket: b, key: 'k', body: 'x', afterSign: (h) => (h['x-amz-meta-late'] = 'added after signing') })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'AccessDenied')
    assert.equal(r.xml.Error.HeadersNotSigned, 'x-amz-meta-late')
    const log = await objectStoreRequestLog(s3().url, b)
    assert.deepEqual(log.map((e) => [e.httpStatus, e.errorCode, e.accessKey]), [
      [403, 'InvalidAccessKeyId', 'nobody'],
      [403, 'AccessDenied', null],
      [403, 'AccessDenied', S3_AK],
    ])
  })

  it('checks x-amz-date: 15 minutes of skew (RequestTimeTooSkewed), scope date (AuthorizationHeaderMalformed), presence', async () => {
    const b = newBucket('v4date')
    await seedObjectStoreBucket(s3().url, b, [{ key: 'k' }])
    let r = await send(s3(), { bucket: b, key: 'k', date: new Date(Date.now() - 16 * 60_000) })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'RequestTimeTooSkewed')
    r = await send(s3(), { bucket: b, key: 'k', date: new Date(Date.now() + 14 * 60_000) })
    assert.equal(r.status, 200)
    r = await send(s3(), { bucket: b, key: 'k', afterSign: (h) => (h.authorization = h.authorization!.replace(/\/\d{8}\//, '/20200101/')) })
    assert.equal(r.status, 400)
    assert.equal(r.xml.Error.Code, 'AuthorizationHeaderMalformed')
    r = await send(s3(), { bucket: b, key: 'k', afterSign: (h) => (h.authorization = h.authorization!.replace('/s3/', '/sqs/')) })
    assert.equal(r.xml.Error.Code, 'AuthorizationHeaderMalformed')
    r = await send(s3(), { bucket: b, key: 'k', afterSign: (h) => delete h['x-amz-date'] })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'AccessDenied')
  })

  it('requires x-amz-content-sha256 and checks a hex value against the body', async () => {
    const b = newBucket('v4sha')
    await seedObjectStoreBucket(s3().url, b, [])
    let r = await send(s3(), { method: 'PUT', bucket: b, key: 'k', body: 'x', afterSign: (h) => delete h['x-amz-content-sha256'] })
    assert.equal(r.status, 400)
    assert.equal(r.xml.Error.Code, 'InvalidRequest')
    assert.match(r.xml.Error.Message, /x-amz-content-sha256/)
    // Signed for one body, another sent (the signature covers the claimed hash, which is checked after).
    const h: Record<string, string> = { host: `${HOST}:${s3().port}` }
    const signer = new AwsV4Signer({ method: 'PUT', url: `http://${HOST}:${s3().port}/${b}/k`, headers: { 'x-amz-content-sha256': sha256hex('signed body') }, accessKeyId: S3_AK, secretAccessKey: 's3-test-secret', service: 's3', region: 'us-east-1' })
    const signed = await signer.sign()
    signed.headers.forEach((v, k) => (h[k] = v))
    r = await rawSend(s3().port, 'PUT', `/${b}/k`, h, 'another body')
    assert.equal(r.status, 400)
    assert.equal(r.xml.Error.Code, 'XAmzContentSHA256Mismatch')
    r = await rawSend(s3().port, 'PUT', `/${b}/k`, h, 'signed body')
    assert.equal(r.status, 200)
    r = await send(s3(), { bucket: b, key: 'k', afterSign: (x) => (x['x-amz-content-sha256'] = 'nope') })
    assert.equal(r.status, 400)
  })
})

describe('SigV2', () => {
  it('accepts V2 with Date, with x-amz-date (empty Date slot), path-style and virtual-hosted, with sub-resources', async () => {
    const b = newBucket('v2ok')
    await seedObjectStoreBucket(s3().url, b, [{ key: 'a b', body: 'v2' }])
    let r = await send(s3(), { bucket: b, key: 'a b', sign: 'v2' })
    assert.equal(r.status, 200)
    assert.equal(r.text, 'v2')
    r = await send(s3(), { bucket: b, key: 'a b', sign: 'v2', virtual: true })
    assert.equal(r.status, 200)
    r = await send(s3(), { method: 'PUT', bucket: b, key: 'a b', sign: 'v2', query: [['tagging', null]], body: '<Tagging><TagSet><Tag><Key>t</Key><Value>v</Value></Tag></TagSet></Tagging>', headers: { 'content-type': 'application/xml' } })
    assert.equal(r.status, 200, r.text)
    // x-amz-date instead of Date: the Date slot is empty and x-amz-date is an amz header.
    const now = new Date()
    const headers: Record<string, string> = { host: `${HOST}:${s3().port}`, 'x-amz-date': now.toUTCString() }
    const sts = sigV2StringToSign({ method: 'GET', rawPath: `/${b}/a%20b`, rawQuery: '', headers, body: Buffer.alloc(0), bucket: b, key: 'a b', virtualHosted: false })
    assert.equal(sts, `GET\n\n\n\nx-amz-date:${now.toUTCString()}\n/${b}/a%20b`)
    headers.authorization = `AWS ${S3_AK}:${sigV2Signature('s3-test-secret', sts)}`
    r = await rawSend(s3().port, 'GET', `/${b}/a%20b`, headers)
    assert.equal(r.status, 200)
    assert.equal((await objectStoreRequestLog(s3().url, b)).every((e) => e.auth === 'AWS' && e.region === undefined), true)
  })

  it('refuses a wrong secret (with StringToSign), an unknown key, a skewed or missing Date', async () => {
    const b = newBucket('v2bad')
    await seedObjectStoreBucket(s3().url, b, [{ key: 'k' }])
    let r = await send(s3(), { bucket: b, key: 'k', sign: 'v2', sk: 'wrong' })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    assert.match(r.xml.Error.StringToSign, new RegExp(`^GET\\n\\n\\n.+ GMT\\n/${b}/k$`))
    r = await send(s3(), { bucket: b, key: 'k', sign: 'v2', ak: 'nobody', sk: 'x' })
    assert.equal(r.xml.Error.Code, 'InvalidAccessKeyId')
    r = await send(s3(), { bucket: b, key: 'k', sign: 'v2', date: new Date(Date.now() - 20 * 60_000) })
    assert.equal(r.xml.Error.Code, 'RequestTimeTooSkewed')
    r = await send(s3(), { bucket: b, key: 'k', sign: 'v2', afterSign: (h) => delete h.date })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'AccessDenied')
    // Another key than the one signed.
    r = await send(s3(), { bucket: b, key: 'k', sign: 'v2', rawUrl: `/${b}/other` })
    assert.equal(r.xml.Error.Code, 'SignatureDoesNotMatch')
    // An object's V2 resource is /bucket/key either way: signed path-style, sent virtual-hosted, is fine.
    r = await send(s3(), { bucket: b, key: 'k', sign: 'v2', afterSign: (h) => (h.host = `${b}.s3.local:${s3().port}`), rawUrl: '/k' })
    assert.equal(r.status, 200)
  })
})

describe('upstream and derived vectors (provider-protocols.md §2)', () => {
  let clock = 0
  let emu: ObjectStoreEmulator
  const AK = 'AKIAIOSFODNN7EXAMPLE'
  before(async () => {
    emu = await startS3Emulator({
      host: HOST,
      port: 0,
      credentials: { [AK]: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      virtualHostSuffixes: ['.s3.us-west-1.amazonaws.com', '.s3.amazonaws.com', '.oos-cn.ctyunapi.cn'],
      now: () => clock,
    })
  })
  after(() => emu.close())

  const DELETE_BODY = '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a.txt</Key></Object><Object><Key>dir/b c.txt</Key></Object></Delete>'

  it('V2 unit: the AWS RESTAuthentication example and the derived DeleteObjects StringToSign', () => {
    const sts = sigV2StringToSign({
      method: 'GET',
      rawPath: '/photos/puppy.jpg',
      rawQuery: '',
      headers: { host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com', date: 'Tue, 27 Mar 2007 19:36:42 +0000' },
      body: Buffer.alloc(0),
      bucket: 'awsexamplebucket1',
      key: 'photos/puppy.jpg',
      virtualHosted: true,
    })
    assert.equal(sts, 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg')
    assert.equal(sigV2Signature('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sts), 'qgk2+6Sv9/oM7G3qLEjTH1a1l1g=')
    assert.equal(Buffer.byteLength(DELETE_BODY), 194)
    assert.equal(md5b64(DELETE_BODY), 'lHLBewRDSgfevaB9GlAGYw==')
    const del = sigV2StringToSign({
      method: 'POST',
      rawPath: '/',
      rawQuery: 'delete',
      headers: { host: 'examplebucket.s3.amazonaws.com', 'content-md5': 'lHLBewRDSgfevaB9GlAGYw==', 'content-type': 'application/xml', date: 'Fri, 24 May 2013 00:00:00 GMT' },
      body: Buffer.from(DELETE_BODY),
      bucket: 'examplebucket',
      virtualHosted: true,
    })
    assert.equal(del, 'POST\nlHLBewRDSgfevaB9GlAGYw==\napplication/xml\nFri, 24 May 2013 00:00:00 GMT\n/examplebucket/?delete')
    assert.equal(sigV2Signature('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', del), 'l9VXPDTUOhZ7jvVLhH8/E9Zj5Vs=')
    // Path-style (CTYun with an IP host): no bucket prefix, the path carries it.
    const pathStyle = sigV2StringToSign({ method: 'POST', rawPath: '/examplebucket', rawQuery: 'delete', headers: { date: 'x' }, body: Buffer.alloc(0), bucket: 'examplebucket', virtualHosted: false })
    assert.equal(pathStyle, 'POST\n\n\nx\n/examplebucket?delete')
  })

  it('V2 end to end: the RESTAuthentication GET and the derived DeleteObjects are accepted', async () => {
    await seedObjectStoreBucket(emu.url, 'awsexamplebucket1', [{ key: 'photos/puppy.jpg', body: 'woof' }])
    clock = Date.parse('2007-03-27T19:36:42Z')
    let r = await rawSend(emu.port, 'GET', '/photos/puppy.jpg', {
      host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com',
      date: 'Tue, 27 Mar 2007 19:36:42 +0000',
      authorization: `AWS ${AK}:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=`,
    })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.text, 'woof')
    await seedObjectStoreBucket(emu.url, 'examplebucket', [{ key: 'a.txt' }, { key: 'dir/b c.txt' }, { key: 'keep' }])
    clock = Date.parse('2013-05-24T00:00:00Z')
    r = await rawSend(emu.port, 'POST', '/?delete', {
      host: 'examplebucket.s3.amazonaws.com',
      'content-md5': 'lHLBewRDSgfevaB9GlAGYw==',
      'content-type': 'application/xml',
      date: 'Fri, 24 May 2013 00:00:00 GMT',
      authorization: `AWS ${AK}:l9VXPDTUOhZ7jvVLhH8/E9Zj5Vs=`,
    }, DELETE_BODY)
    assert.equal(r.status, 200, r.text)
    assert.equal(r.text, '<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>')
    assert.deepEqual([...emu.store.bucket('examplebucket')!.keys.keys()], ['keep'])
  })

  it('V4 end to end: the S3 header-auth example (GET with Range → 206) and the derived DeleteObjects vectors', async () => {
    clock = Date.parse('2013-05-24T00:00:00Z')
    await seedObjectStoreBucket(emu.url, 'examplebucket', [{ key: 'test.txt', body: 'Welcome to Amazon S3.' }])
    let r = await rawSend(emu.port, 'GET', '/test.txt', {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`,
    })
    assert.equal(r.status, 206, r.text)
    assert.equal(r.text, 'Welcome to')
    assert.equal(r.headers['content-range'], 'bytes 0-9/21')

    const base = { host: 'examplebucket.s3.amazonaws.com', 'content-md5': 'lHLBewRDSgfevaB9GlAGYw==', 'content-type': 'application/xml', 'x-amz-date': '20130524T000000Z' }
    const cred = `Credential=${AK}/20130524/us-east-1/s3/aws4_request, SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date`
    const vectors: Array<[Record<string, string>, string]> = [
      [{ ...base, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, `${cred}, Signature=2ebadf6288e9250a7d5d99d5f8a436b38409d6fb8e1006748a56a9c7789a1ace`],
      [{ ...base, 'x-amz-content-sha256': '5bb424cb631485c009bd0a53d99fa9f1379c196a90c28354128fdc92e0e6deb8' }, `${cred}, Signature=ceed01ac7fd3651a4cbc1a8ad2ce5633f5b82ef36c3f3c7083fba9a8432089c8`],
      [
        { ...base, host: 'examplebucket.oos-cn.ctyunapi.cn', 'x-amz-content-sha256': '5bb424cb631485c009bd0a53d99fa9f1379c196a90c28354128fdc92e0e6deb8' },
        `Credential=${AK}/20130524/cn/s3/aws4_request, SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date, Signature=878c9e96e3447b5e8af49fd51514f551a1a79728799909c83b7ffcbded4aca9a`,
      ],
    ]
    assert.equal(sha256hex(DELETE_BODY), '5bb424cb631485c009bd0a53d99fa9f1379c196a90c28354128fdc92e0e6deb8')
    for (const [headers, auth] of vectors) {
      await seedObjectStoreBucket(emu.url, 'examplebucket', [{ key: 'a.txt' }, { key: 'dir/b c.txt' }])
      r = await rawSend(emu.port, 'POST', '/?delete', { ...headers, authorization: `AWS4-HMAC-SHA256 ${auth}` }, DELETE_BODY)
      assert.equal(r.status, 200, r.text)
      assert.equal(emu.store.bucket('examplebucket')!.keys.size, 0)
    }
    const log = await objectStoreRequestLog(emu.url, 'examplebucket')
    assert.deepEqual(log.slice(-3).map((e) => [e.operation, e.region, e.addressing, e.ops]), [
      ['DeleteObjects', 'us-east-1', 'virtual', 2],
      ['DeleteObjects', 'us-east-1', 'virtual', 2],
      ['DeleteObjects', 'cn', 'virtual', 2],
    ])
    // One byte of the signature changed.
    r = await rawSend(emu.port, 'POST', '/?delete', { ...vectors[0]![0], authorization: `AWS4-HMAC-SHA256 ${vectors[0]![1].replace(/a1ace$/, 'a1acf')}` }, DELETE_BODY)
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.CanonicalRequest, 'POST\n/\ndelete=\ncontent-md5:lHLBewRDSgfevaB9GlAGYw==\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n\ncontent-md5;host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD')
  })

  it('V4: aws4fetch with a fixed datetime reproduces the derived vector, and the emulator accepts it', async () => {
    clock = Date.parse('2013-05-24T00:00:00Z')
    await seedObjectStoreBucket(emu.url, 'examplebucket', [{ key: 'a.txt' }])
    const signer = new AwsV4Signer({
      method: 'POST',
      url: 'https://examplebucket.s3.amazonaws.com/?delete',
      headers: { 'content-md5': 'lHLBewRDSgfevaB9GlAGYw==' },
      body: DELETE_BODY,
      accessKeyId: AK,
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      service: 's3',
      region: 'us-east-1',
      datetime: '20130524T000000Z',
    })
    const signed = await signer.sign()
    assert.match(signed.headers.get('authorization') ?? '', /Signature=2ebadf6288e9250a7d5d99d5f8a436b38409d6fb8e1006748a56a9c7789a1ace$/)
    const h: Record<string, string> = { host: 'examplebucket.s3.amazonaws.com' }
    signed.headers.forEach((v, k) => (h[k] = v))
    const r = await rawSend(emu.port, 'POST', '/?delete', h, DELETE_BODY)
    assert.equal(r.status, 200, r.text)
  })

  it('the same requests a day later are RequestTimeTooSkewed', async () => {
    clock = Date.parse('2013-05-25T00:00:00Z')
    const r = await deleteObjects(emu, 'examplebucket', DELETE_BODY, { ak: AK, sk: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', date: new Date('2013-05-24T00:00:00Z') })
    assert.equal(r.status, 403)
    assert.equal(r.xml.Error.Code, 'RequestTimeTooSkewed')
  })
})
