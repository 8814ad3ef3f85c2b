import { describe, expect, it } from 'vitest'
import { md5Base64 } from '../../../shared/crypto/hash.ts'
import { ossV1Resource, ossV1Signer } from '../../../shared/crypto/oss-v1.ts'
import type { SigningInput } from '../../../shared/crypto/request-signer.ts'

const AK_SK = { accessKeyId: 'ak', secretAccessKey: 'sk' }
const GO_TIME = new Date('2022-12-28T10:27:41Z')
const GO_DATE = 'Wed, 28 Dec 2022 10:27:41 GMT'

// provider-protocols.md §3.3 DeleteMultipleObjects body (146 bytes).
const DELETE_BODY =
  '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>' +
  '<Object><Key>a.txt</Key></Object><Object><Key>dir/b c.txt</Key></Object></Delete>'
const DELETE_MD5 = 'qcG3hyUlKN6YqaRcrWtn+A=='

function input(url: string, method: string, headers: Record<string, string>, bucket?: string, key?: string): SigningInput {
  return { method, url: new URL(url), headers: new Headers(headers), bucket, key }
}

function putNelson(query: string): SigningInput {
  return input(
    `https://examplebucket.oss-cn-hangzhou.aliyuncs.com/nelson${query}`,
    'PUT',
    {
      'Content-MD5': 'eB5eJF1ptWaXm4bijSPyxw==',
      'Content-Type': 'text/html',
      'x-oss-meta-author': 'alice',
      'x-oss-meta-magic': 'abracadabra',
    },
    'examplebucket',
    'nelson',
  )
}

describe('ossV1Signer with Go v2 TestV1AuthHeader [upstream]', () => {
  const signer = ossV1Signer(AK_SK)
  const headerLines =
    `x-oss-date:${GO_DATE}\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n`

  it('case 1: signs an object PUT with x-oss-date in the Date slot and the OSS headers', async () => {
    const request = putNelson('')
    const stages = await signer(request, GO_TIME)
    expect(stages.stringToSign).toBe(
      `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\n${GO_DATE}\n${headerLines}/examplebucket/nelson`,
    )
    expect(stages.authorization).toBe('OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=')
    expect(request.headers.get('authorization')).toBe(stages.authorization)
    expect(request.headers.get('x-oss-date')).toBe(GO_DATE)
  })

  it('case 2: appends the acl sub-resource', async () => {
    const stages = await signer(putNelson('?acl'), GO_TIME)
    expect(stages.stringToSign).toBe(
      `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\n${GO_DATE}\n${headerLines}/examplebucket/nelson?acl`,
    )
    expect(stages.authorization).toBe('OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=')
  })

  const withResourceGroup = ossV1Signer(AK_SK, { extraSubresources: ['resourceGroup'] })

  it('case 3: signs a declared extra sub-resource and drops an undeclared parameter', async () => {
    const request = input(
      'https://examplebucket.oss-cn-hangzhou.aliyuncs.com/?resourceGroup&non-resousce=null',
      'GET',
      {},
      'examplebucket',
    )
    const stages = await withResourceGroup(request, GO_TIME)
    expect(stages.stringToSign).toBe(`GET\n\n\n${GO_DATE}\nx-oss-date:${GO_DATE}\n/examplebucket/?resourceGroup`)
    expect(stages.authorization).toBe('OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=')
  })

  it('case 4: sorts the declared and listed sub-resources together', async () => {
    const request = input('https://examplebucket.oss-cn-hangzhou.aliyuncs.com/?resourceGroup&acl', 'GET', {}, 'examplebucket')
    const stages = await withResourceGroup(request, GO_TIME)
    expect(stages.stringToSign).toBe(`GET\n\n\n${GO_DATE}\nx-oss-date:${GO_DATE}\n/examplebucket/?acl&resourceGroup`)
    expect(stages.authorization).toBe('OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=')
  })

  it('does not sign resourceGroup unless it is declared', async () => {
    const request = input('https://examplebucket.oss-cn-hangzhou.aliyuncs.com/?resourceGroup&acl', 'GET', {}, 'examplebucket')
    const stages = await signer(request, GO_TIME)
    expect(stages.stringToSign).toMatch(/\n\/examplebucket\/\?acl$/)
  })
})

describe('ossV1Signer on DeleteMultipleObjects [derived]', () => {
  const expectedStringToSign =
    'POST\nqcG3hyUlKN6YqaRcrWtn+A==\napplication/xml\nMon, 01 Jan 2024 00:00:00 GMT\n' +
    'x-oss-date:Mon, 01 Jan 2024 00:00:00 GMT\n/examplebucket/?delete'

  function deleteMulti(query: string): SigningInput {
    return input(
      `https://examplebucket.oss-cn-hangzhou.aliyuncs.com/${query}`,
      'POST',
      { 'content-md5': DELETE_MD5, 'content-type': 'application/xml' },
      'examplebucket',
    )
  }

  it('has the body and Content-MD5 the vector was made from', async () => {
    expect(DELETE_BODY.length).toBe(146)
    expect(await md5Base64(DELETE_BODY)).toBe(DELETE_MD5)
  })

  it('signs POST /?delete at bucket level', async () => {
    const stages = await ossV1Signer(AK_SK)(deleteMulti('?delete'), new Date('2024-01-01T00:00:00Z'))
    expect(stages.stringToSign).toBe(expectedStringToSign)
    expect(stages.authorization).toBe('OSS ak:r7dC2FrzWvnm0QIVF4PoegKLrXg=')
  })

  it('does not sign encoding-type, so ?delete&encoding-type=url signs the same', async () => {
    const stages = await ossV1Signer(AK_SK)(deleteMulti('?delete&encoding-type=url'), new Date('2024-01-01T00:00:00Z'))
    expect(stages.stringToSign).toBe(expectedStringToSign)
    expect(stages.authorization).toBe('OSS ak:r7dC2FrzWvnm0QIVF4PoegKLrXg=')
  })
})

describe('ossV1Resource', () => {
  it('uses the raw key, not the encoded URL path', () => {
    const request = input('https://b.oss-cn-hangzhou.aliyuncs.com/dir/b%20c%2B%E4%B8%83.txt', 'GET', {}, 'b', 'dir/b c+七.txt')
    expect(ossV1Resource(request)).toBe('/b/dir/b c+七.txt')
  })

  it('is / without a bucket', () => {
    expect(ossV1Resource(input('https://oss-cn-hangzhou.aliyuncs.com/', 'GET', {}))).toBe('/')
  })

  it('signs decoded values, x-oss-* query keys, and a bare key for an empty value', () => {
    const url = 'https://b.oss-cn-hangzhou.aliyuncs.com/k?versionId=v%2B1&tagging=&x-oss-process=image%2Fresize&prefix=p'
    expect(ossV1Resource(input(url, 'GET', {}, 'b', 'k'))).toBe('/b/k?tagging&versionId=v+1&x-oss-process=image/resize')
  })

  it('keeps the first value of a repeated key once, as Go query.Get does', () => {
    const url = 'https://b.oss-cn-hangzhou.aliyuncs.com/k?versionId=a&versionId=b'
    expect(ossV1Resource(input(url, 'GET', {}, 'b', 'k'))).toBe('/b/k?versionId=a')
  })
})
