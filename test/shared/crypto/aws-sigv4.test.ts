import { AwsV4Signer } from 'aws4fetch'
import { describe, expect, it } from 'vitest'
import {
  AWS_V4_DIALECT,
  ctyunRegionFromHost,
  s3V4Signer,
  type S3V4SigningInput,
} from '../../../shared/crypto/aws-sigv4.ts'
import { md5Base64, sha256Hex } from '../../../shared/crypto/hash.ts'
import { OSS_V4_DIALECT } from '../../../shared/crypto/oss-v4.ts'
import {
  amzDate,
  canonicalQuery,
  canonicalUriPath,
  signingKey,
  uriEncode,
} from '../../../shared/crypto/sigv4-core.ts'

// AWS SigV4 test suite credentials (get-vanilla*) and the S3 documentation example credentials.
const SUITE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const S3_DOC = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
const SUITE_TIME = new Date('2015-08-30T12:36:00Z')
const S3_TIME = new Date('2013-05-24T00:00:00Z')

// provider-protocols.md §2.2/§2.3 DeleteObjects body (194 bytes).
const DELETE_BODY =
  '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Quiet>true</Quiet><Object><Key>a.txt</Key></Object><Object><Key>dir/b c.txt</Key></Object></Delete>'
const DELETE_MD5 = 'lHLBewRDSgfevaB9GlAGYw=='
const DELETE_SHA256 = '5bb424cb631485c009bd0a53d99fa9f1379c196a90c28354128fdc92e0e6deb8'

function input(url: string, method = 'GET', headers: Record<string, string> = {}): S3V4SigningInput {
  return { method, url: new URL(url), headers: new Headers(headers) }
}

describe('s3V4Signer with the AWS SigV4 test suite [upstream]', () => {
  const signer = s3V4Signer(SUITE, { region: 'us-east-1', service: 'service', payload: 'signed' })

  it('signs get-vanilla stage by stage', async () => {
    const request = input('https://example.amazonaws.com/')
    const stages = await signer(request, SUITE_TIME)
    expect(stages.canonicalRequest).toBe(
      `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA256}`,
    )
    expect(stages.stringToSign).toBe(
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n' +
        'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    )
    expect(stages.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    )
    expect(request.headers.get('authorization')).toBe(stages.authorization)
    expect(request.headers.get('x-amz-date')).toBe('20150830T123600Z')
  })

  it('does not add x-amz-content-sha256 for a service other than s3', async () => {
    const request = input('https://example.amazonaws.com/')
    await signer(request, SUITE_TIME)
    expect(request.headers.has('x-amz-content-sha256')).toBe(false)
  })

  it('signs get-vanilla-empty-query-key with the parameter in the canonical query', async () => {
    const stages = await signer(input('https://example.amazonaws.com/?Param1=value1'), SUITE_TIME)
    expect(stages.canonicalRequest).toBe(
      `GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA256}`,
    )
    expect(stages.authorization).toMatch(
      /, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb$/,
    )
  })
})

describe('s3V4Signer with the S3 header-based auth example [upstream]', () => {
  it('signs GET /test.txt with range and the empty-body hash as the documentation does', async () => {
    const signer = s3V4Signer(S3_DOC, { region: 'us-east-1', payload: 'signed', additionalHeaders: ['Range'] })
    const request = input('https://examplebucket.s3.amazonaws.com/test.txt', 'GET', { range: 'bytes=0-9' })
    const stages = await signer(request, S3_TIME)
    expect(stages.canonicalRequest).toBe(
      'GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n' +
        `x-amz-content-sha256:${EMPTY_SHA256}\nx-amz-date:20130524T000000Z\n\n` +
        `host;range;x-amz-content-sha256;x-amz-date\n${EMPTY_SHA256}`,
    )
    expect(stages.stringToSign).toBe(
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n' +
        '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    )
    expect(stages.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    )
    expect(request.headers.get('x-amz-content-sha256')).toBe(EMPTY_SHA256)
  })

  it('leaves range unsigned unless it is declared', async () => {
    const signer = s3V4Signer(S3_DOC, { region: 'us-east-1' })
    const stages = await signer(input('https://examplebucket.s3.amazonaws.com/test.txt', 'GET', { range: 'bytes=0-9' }), S3_TIME)
    expect(stages.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date,')
  })
})

describe('s3V4Signer on DeleteObjects [derived with aws4fetch 1.0.20]', () => {
  const url = 'https://examplebucket.s3.amazonaws.com/?delete'

  it('has the body, Content-MD5 and SHA-256 the vectors were made from', async () => {
    expect(DELETE_BODY.length).toBe(194)
    expect(await md5Base64(DELETE_BODY)).toBe(DELETE_MD5)
    expect(await sha256Hex(DELETE_BODY)).toBe(DELETE_SHA256)
  })

  it('signs UNSIGNED-PAYLOAD by default and writes the valueless delete as delete=', async () => {
    const request = input(url, 'POST', { 'content-md5': DELETE_MD5 })
    const stages = await s3V4Signer(S3_DOC, { region: 'us-east-1' })(request, S3_TIME)
    expect(stages.canonicalRequest).toBe(
      'POST\n/\ndelete=\ncontent-md5:lHLBewRDSgfevaB9GlAGYw==\nhost:examplebucket.s3.amazonaws.com\n' +
        'x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n\n' +
        'content-md5;host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD',
    )
    expect(stages.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date, ' +
        'Signature=2ebadf6288e9250a7d5d99d5f8a436b38409d6fb8e1006748a56a9c7789a1ace',
    )
    expect(request.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD')
  })

  it('hashes the body it is given when the payload is signed', async () => {
    const request = { ...input(url, 'POST', { 'content-md5': DELETE_MD5 }), body: DELETE_BODY }
    const stages = await s3V4Signer(S3_DOC, { region: 'us-east-1', payload: 'signed' })(request, S3_TIME)
    expect(request.headers.get('x-amz-content-sha256')).toBe(DELETE_SHA256)
    expect(stages.canonicalRequest).toMatch(new RegExp(`\n${DELETE_SHA256}$`))
    expect(stages.authorization).toMatch(
      /, Signature=ceed01ac7fd3651a4cbc1a8ad2ce5633f5b82ef36c3f3c7083fba9a8432089c8$/,
    )
  })

  it('uses an x-amz-content-sha256 the caller already set as the payload hash', async () => {
    const request = input(url, 'POST', { 'content-md5': DELETE_MD5, 'x-amz-content-sha256': DELETE_SHA256 })
    const stages = await s3V4Signer(S3_DOC, { region: 'us-east-1' })(request, S3_TIME)
    expect(stages.authorization).toMatch(
      /, Signature=ceed01ac7fd3651a4cbc1a8ad2ce5633f5b82ef36c3f3c7083fba9a8432089c8$/,
    )
  })

  it('signs for CTYun with the region read from its host', async () => {
    const ctyunUrl = 'https://examplebucket.oos-cn.ctyunapi.cn/?delete'
    const region = ctyunRegionFromHost(new URL(ctyunUrl).host)
    expect(region).toBe('cn')
    const request = { ...input(ctyunUrl, 'POST', { 'content-md5': DELETE_MD5 }), body: DELETE_BODY }
    const stages = await s3V4Signer(S3_DOC, { region: region!, payload: 'signed' })(request, S3_TIME)
    expect(stages.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/cn/s3/aws4_request, ' +
        'SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date, ' +
        'Signature=878c9e96e3447b5e8af49fd51514f551a1a79728799909c83b7ffcbded4aca9a',
    )
  })

  it('also signs Content-Type when present, agreeing with aws4fetch signing all headers', async () => {
    const headers = { 'content-md5': DELETE_MD5, 'content-type': 'application/xml', 'x-amz-meta-note': 'a  b' }
    const ours = input(url, 'POST', headers)
    const stages = await s3V4Signer(S3_DOC, { region: 'us-east-1' })(ours, S3_TIME)
    const theirs = await new AwsV4Signer({
      url, method: 'POST', headers, ...S3_DOC, service: 's3', region: 'us-east-1',
      datetime: '20130524T000000Z', allHeaders: true,
    }).sign()
    expect(stages.authorization).toContain('SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-note,')
    expect(stages.authorization).toBe(theirs.headers.get('authorization'))
  })
})

describe('s3V4Signer on object paths', () => {
  const signer = s3V4Signer(S3_DOC, { region: 'us-east-1' })

  it('signs an encoded key path once, as aws4fetch does', async () => {
    const url = `https://examplebucket.s3.amazonaws.com/${uriEncode("dir/b c+(1)'é.txt", true)}?tagging&versionId=v%2B1`
    const stages = await signer(input(url, 'PUT'), S3_TIME)
    expect(stages.canonicalRequest!.split('\n').slice(1, 3)).toEqual([
      '/dir/b%20c%2B%281%29%27%C3%A9.txt',
      'tagging=&versionId=v%2B1',
    ])
    const theirs = await new AwsV4Signer({ url, method: 'PUT', ...S3_DOC, service: 's3', region: 'us-east-1', datetime: '20130524T000000Z' }).sign()
    expect(stages.authorization).toBe(theirs.headers.get('authorization'))
  })
})

describe('sigv4-core helpers', () => {
  it('formats x-amz-date as yyyyMMddTHHmmssZ in UTC', () => {
    expect(amzDate(new Date('2013-05-24T00:00:00.999Z'))).toBe('20130524T000000Z')
    expect(amzDate(new Date(1702743657000))).toBe('20231216T162057Z')
  })

  it('encodes with RFC 3986, escaping what encodeURIComponent leaves', () => {
    expect(uriEncode("a b!'()*~._-/七")).toBe('a%20b%21%27%28%29%2A~._-%2F%E4%B8%83')
    expect(uriEncode('/bucket/1234+-/123/1.txt', true)).toBe('/bucket/1234%2B-/123/1.txt')
  })

  it('normalises a path to one level of encoding without ever decoding %2F or encoding twice', () => {
    expect(canonicalUriPath('/a%20b/c%2fd/%e4%b8%83')).toBe('/a%20b/c%2Fd/%E4%B8%83')
    expect(canonicalUriPath("/it's/(x)*!$&+,;=:@")).toBe('/it%27s/%28x%29%2A%21%24%26%2B%2C%3B%3D%3A%40')
    expect(canonicalUriPath('/100%/%zz')).toBe('/100%25/%25zz')
    const once = canonicalUriPath("/dir/b c'.txt")
    expect(canonicalUriPath(once)).toBe(once)
  })

  it('sorts the canonical query by encoded key then value, in both empty-value styles', () => {
    const search = '?b=2&a=&%7Ca=1&a=z&c+d=e+f'
    expect(canonicalQuery(search, false)).toBe('%7Ca=1&a=&a=z&b=2&c%20d=e%20f')
    expect(canonicalQuery(search, true)).toBe('%7Ca=1&a&a=z&b=2&c%20d=e%20f')
  })

  it('returns the same cached signing key for the same secret, date, region and service', async () => {
    const first = await signingKey(AWS_V4_DIALECT, 'secret-a', '20240101', 'us-east-1', 's3')
    const again = await signingKey(AWS_V4_DIALECT, 'secret-a', '20240101', 'us-east-1', 's3')
    expect(again).toBe(first)
    expect(first).toBeInstanceOf(CryptoKey)
    expect(await signingKey(AWS_V4_DIALECT, 'secret-a', '20240102', 'us-east-1', 's3')).not.toBe(first)
    expect(await signingKey(OSS_V4_DIALECT, 'secret-a', '20240101', 'us-east-1', 's3')).not.toBe(first)
  })

  it('shares one derivation between concurrent first signatures', () => {
    const a = signingKey(AWS_V4_DIALECT, 'secret-b', '20240101', 'cn', 's3')
    const b = signingKey(AWS_V4_DIALECT, 'secret-b', '20240101', 'cn', 's3')
    expect(b).toBe(a)
  })
})

describe('ctyunRegionFromHost', () => {
  it('reads the region between oos- and the first dot, stopping before -iam', () => {
    expect(ctyunRegionFromHost('oos-cn.ctyunapi.cn')).toBe('cn')
    expect(ctyunRegionFromHost('examplebucket.oos-cn.ctyunapi.cn')).toBe('cn')
    expect(ctyunRegionFromHost('oos-hazz.ctyunapi.cn')).toBe('hazz')
    expect(ctyunRegionFromHost('oos-js.ctyunapi.cn:443')).toBe('js')
    expect(ctyunRegionFromHost('oos-cn-iam.ctyunapi.cn')).toBe('cn')
  })

  it('is not fooled by a bucket whose name starts with oos-', () => {
    expect(ctyunRegionFromHost('oos-backup.oos-hazz.ctyunapi.cn')).toBe('hazz')
  })

  it('gives undefined for a host that names no pool', () => {
    expect(ctyunRegionFromHost('s3.example.com')).toBeUndefined()
    expect(ctyunRegionFromHost('127.0.0.1:9000')).toBeUndefined()
  })
})
