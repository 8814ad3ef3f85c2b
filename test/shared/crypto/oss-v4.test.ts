import { describe, expect, it } from 'vitest'
import { ossRegionFromEndpoint, ossV4Signer, OSS_V4_DIALECT } from '../../../shared/crypto/oss-v4.ts'
import type { SigningInput } from '../../../shared/crypto/request-signer.ts'
import { signingKey } from '../../../shared/crypto/sigv4-core.ts'

const AK_SK = { accessKeyId: 'ak', secretAccessKey: 'sk' }

// The Go v2 signer tests' query: url.Values{...}.Encode() of these six parameters.
const GO_QUERY = '%2Bparam1=value3&%2Bparam2=&%7Cparam1=value4&%7Cparam2=&param1=value1&param2='

/** The request every Go v2 TestV4AuthHeader* case signs: PUT bucket/1234+-/123/1.txt. */
function goRequest(extraHeaders: Record<string, string> = {}): SigningInput {
  return {
    method: 'PUT',
    url: new URL(`https://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-/123/1.txt?${GO_QUERY}`),
    headers: new Headers({
      'x-oss-head1': 'value',
      abc: 'value',
      ZAbc: 'value',
      XYZ: 'value',
      'content-type': 'text/plain',
      'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      ...extraHeaders,
    }),
    bucket: 'bucket',
    key: '1234+-/123/1.txt',
  }
}

const GO_CANONICAL_QUERY = '%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2'

describe('ossV4Signer with Go v2 TestV4AuthHeader [upstream]', () => {
  it('case 1: signs all query parameters, x-oss-* and content-type, stage by stage', async () => {
    const request = goRequest()
    const stages = await ossV4Signer(AK_SK, { region: 'cn-hangzhou' })(request, new Date(1702743657_000))
    expect(stages.canonicalRequest).toBe(
      `PUT\n/bucket/1234%2B-/123/1.txt\n${GO_CANONICAL_QUERY}\n` +
        'content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n' +
        'x-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD',
    )
    expect(stages.stringToSign).toBe(
      'OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\n' +
        'f4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4',
    )
    expect(stages.authorization).toBe(
      'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,' +
        'Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe',
    )
    expect(request.headers.get('authorization')).toBe(stages.authorization)
    expect(request.headers.get('x-oss-date')).toBe('20231216T162057Z')
  })

  it('signs the declared additional headers and lists them in the Authorization', async () => {
    const stages = await ossV4Signer(AK_SK, { region: 'cn-hangzhou', additionalHeaders: ['ZAbc', 'abc'] })(
      goRequest(),
      new Date(1702747512_000),
    )
    expect(stages.canonicalRequest).toBe(
      `PUT\n/bucket/1234%2B-/123/1.txt\n${GO_CANONICAL_QUERY}\n` +
        'abc:value\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n' +
        'x-oss-date:20231216T172512Z\nx-oss-head1:value\nzabc:value\n\nabc;zabc\nUNSIGNED-PAYLOAD',
    )
    expect(stages.authorization).toBe(
      'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,' +
        'Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f',
    )
  })

  it('skips additional headers that are absent or signed anyway', async () => {
    const additionalHeaders = ['x-oss-no-exist', 'ZAbc', 'x-oss-head1', 'abc']
    const stages = await ossV4Signer(AK_SK, { region: 'cn-hangzhou', additionalHeaders })(
      goRequest(),
      new Date(1702747512_000),
    )
    expect(stages.authorization).toBe(
      'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,' +
        'Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f',
    )
  })

  it('signs an STS token sent as x-oss-security-token like any x-oss-* header', async () => {
    const request = goRequest({ 'x-oss-security-token': 'token' })
    const stages = await ossV4Signer(AK_SK, { region: 'cn-hangzhou' })(request, new Date(1702784856_000))
    expect(stages.authorization).toBe(
      'OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,' +
        'Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea',
    )
  })

  it('signs for a CloudBox with product oss-cloudbox and the box id as region', async () => {
    const request = goRequest()
    request.url = new URL(`https://bucket.cb-123.cn-hangzhou.oss-cloudbox.aliyuncs.com/1234%2B-/123/1.txt?${GO_QUERY}`)
    const stages = await ossV4Signer(AK_SK, { region: 'cb-123', product: 'oss-cloudbox' })(request, new Date(1702743657_000))
    expect(stages.authorization).toBe(
      'OSS4-HMAC-SHA256 Credential=ak/20231216/cb-123/oss-cloudbox/aliyun_v4_request,' +
        'Signature=94ce1f12c17d148ea681030275a94449d3357f5b5b21133996eec80af3e08a43',
    )
  })
})

describe('ossV4Signer on DeleteMultipleObjects [derived]', () => {
  it('signs POST /?delete&encoding-type=url with a bare delete and the bucket-level URI', async () => {
    const request: SigningInput = {
      method: 'POST',
      url: new URL('https://examplebucket.oss-cn-hangzhou.aliyuncs.com/?delete&encoding-type=url'),
      headers: new Headers({ 'content-md5': 'qcG3hyUlKN6YqaRcrWtn+A==', 'content-type': 'application/xml' }),
      bucket: 'examplebucket',
    }
    const stages = await ossV4Signer(AK_SK, { region: 'cn-hangzhou' })(request, new Date('2024-01-01T00:00:00Z'))
    expect(stages.canonicalRequest).toBe(
      'POST\n/examplebucket/\ndelete&encoding-type=url\n' +
        'content-md5:qcG3hyUlKN6YqaRcrWtn+A==\ncontent-type:application/xml\n' +
        'x-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20240101T000000Z\n\n\nUNSIGNED-PAYLOAD',
    )
    expect(stages.stringToSign).toMatch(/^OSS4-HMAC-SHA256\n20240101T000000Z\n20240101\/cn-hangzhou\/oss\/aliyun_v4_request\n[0-9a-f]{64}$/)
    expect(stages.authorization).toBe(
      'OSS4-HMAC-SHA256 Credential=ak/20240101/cn-hangzhou/oss/aliyun_v4_request,' +
        'Signature=e15fd1437713074fb5636f3b10f3eb9a170137358960492535045ccd4be27ecc',
    )
    expect(request.headers.get('x-oss-content-sha256')).toBe('UNSIGNED-PAYLOAD')
  })

  it('uses / as the canonical URI when there is no bucket', async () => {
    const request: SigningInput = {
      method: 'GET',
      url: new URL('https://oss-cn-hangzhou.aliyuncs.com/?batchJob&batchJobId=abc'),
      headers: new Headers(),
    }
    const stages = await ossV4Signer(AK_SK, { region: 'cn-hangzhou' })(request, new Date('2024-01-01T00:00:00Z'))
    expect(stages.canonicalRequest!.split('\n').slice(0, 3)).toEqual(['GET', '/', 'batchJob&batchJobId=abc'])
  })
})

describe('OSS V4 signing keys', () => {
  it('are derived once per secret, day, region and product and then reused', async () => {
    const first = await signingKey(OSS_V4_DIALECT, 'sk', '20240101', 'cn-hangzhou', 'oss')
    expect(await signingKey(OSS_V4_DIALECT, 'sk', '20240101', 'cn-hangzhou', 'oss')).toBe(first)
    expect(await signingKey(OSS_V4_DIALECT, 'sk', '20240101', 'cn-shanghai', 'oss')).not.toBe(first)
  })
})

describe('ossRegionFromEndpoint', () => {
  it('strips oss- and .aliyuncs.com from endpoint and bucket hosts', () => {
    expect(ossRegionFromEndpoint('oss-cn-hangzhou.aliyuncs.com')).toBe('cn-hangzhou')
    expect(ossRegionFromEndpoint('examplebucket.oss-cn-hangzhou.aliyuncs.com')).toBe('cn-hangzhou')
    expect(ossRegionFromEndpoint('oss-ap-southeast-1.aliyuncs.com:443')).toBe('ap-southeast-1')
  })

  it('drops the -internal suffix of VPC endpoints', () => {
    expect(ossRegionFromEndpoint('b.oss-cn-beijing-internal.aliyuncs.com')).toBe('cn-beijing')
  })

  it('reads the dual-stack form <region>.oss.aliyuncs.com', () => {
    expect(ossRegionFromEndpoint('cn-hangzhou.oss.aliyuncs.com')).toBe('cn-hangzhou')
    expect(ossRegionFromEndpoint('b.cn-hangzhou.oss.aliyuncs.com')).toBe('cn-hangzhou')
  })

  it('gives undefined for hosts that carry no region', () => {
    expect(ossRegionFromEndpoint('oss-accelerate.aliyuncs.com')).toBeUndefined()
    expect(ossRegionFromEndpoint('oss-accelerate-overseas.aliyuncs.com')).toBeUndefined()
    expect(ossRegionFromEndpoint('files.example.com')).toBeUndefined()
    expect(ossRegionFromEndpoint('127.0.0.1:9000')).toBeUndefined()
  })
})
