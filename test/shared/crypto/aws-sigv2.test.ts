import { describe, expect, it } from 'vitest'
import { s3V2Resource, s3V2Signer } from '../../../shared/crypto/aws-sigv2.ts'
import { md5Base64 } from '../../../shared/crypto/hash.ts'
import type { SigningInput } from '../../../shared/crypto/request-signer.ts'
import { httpDate } from '../../../shared/crypto/sigv2-core.ts'

const S3_DOC = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }
const S3_TIME = new Date('2013-05-24T00:00:00Z')

// provider-protocols.md §2.2 DeleteObjects body (194 bytes).
const DELETE_BODY =
  '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Quiet>true</Quiet><Object><Key>a.txt</Key></Object><Object><Key>dir/b c.txt</Key></Object></Delete>'
const DELETE_MD5 = 'lHLBewRDSgfevaB9GlAGYw=='

function input(url: string, method: string, headers: Record<string, string>, bucket?: string, key?: string): SigningInput {
  return { method, url: new URL(url), headers: new Headers(headers), bucket, key }
}

function deleteObjects(url: string): SigningInput {
  return input(url, 'POST', { 'content-md5': DELETE_MD5, 'content-type': 'application/xml' }, 'examplebucket')
}

describe('s3V2Signer with the AWS RESTAuthentication example [upstream]', () => {
  it('signs GET /photos/puppy.jpg with the given Date as the documentation does', async () => {
    const request = input(
      'https://awsexamplebucket1.s3.us-west-1.amazonaws.com/photos/puppy.jpg',
      'GET',
      { date: 'Tue, 27 Mar 2007 19:36:42 +0000' },
      'awsexamplebucket1',
      'photos/puppy.jpg',
    )
    const signer = s3V2Signer(S3_DOC, { virtualHosted: true, dateHeader: 'date' })
    const stages = await signer(request, new Date('2030-01-01T00:00:00Z'))
    expect(stages.stringToSign).toBe('GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg')
    expect(stages.authorization).toBe('AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=')
    expect(request.headers.get('authorization')).toBe(stages.authorization)
    expect(stages.canonicalRequest).toBeUndefined()
  })
})

describe('s3V2Signer on DeleteObjects', () => {
  it('has the Content-MD5 the vectors were made from', async () => {
    expect(await md5Base64(DELETE_BODY)).toBe(DELETE_MD5)
  })

  it('signs a Date header in the Date slot as the CTYun PHP SDK does [derived]', async () => {
    const request = deleteObjects('https://examplebucket.s3.amazonaws.com/?delete')
    const stages = await s3V2Signer(S3_DOC, { virtualHosted: true, dateHeader: 'date' })(request, S3_TIME)
    expect(stages.stringToSign).toBe(
      'POST\nlHLBewRDSgfevaB9GlAGYw==\napplication/xml\nFri, 24 May 2013 00:00:00 GMT\n/examplebucket/?delete',
    )
    expect(stages.authorization).toBe('AWS AKIAIOSFODNN7EXAMPLE:l9VXPDTUOhZ7jvVLhH8/E9Zj5Vs=')
    expect(request.headers.get('date')).toBe('Fri, 24 May 2013 00:00:00 GMT')
  })

  it('by default leaves the Date slot empty and signs x-amz-date among the amz headers', async () => {
    const request = deleteObjects('https://examplebucket.oos-cn.ctyunapi.cn/?delete')
    const stages = await s3V2Signer(S3_DOC, { virtualHosted: true })(request, S3_TIME)
    expect(stages.stringToSign).toBe(
      'POST\nlHLBewRDSgfevaB9GlAGYw==\napplication/xml\n\nx-amz-date:Fri, 24 May 2013 00:00:00 GMT\n/examplebucket/?delete',
    )
    // HMAC-SHA1 of that string computed independently with node:crypto.
    expect(stages.authorization).toBe('AWS AKIAIOSFODNN7EXAMPLE:O87/5yAQSLsAuWM+ZjGvHZRpQH4=')
    expect(request.headers.get('x-amz-date')).toBe('Fri, 24 May 2013 00:00:00 GMT')
    expect(request.headers.has('date')).toBe(false)
  })

  it('uses the path as is for a path-style request', async () => {
    const request = deleteObjects('http://10.0.0.1:8080/examplebucket?delete')
    const stages = await s3V2Signer(S3_DOC, { virtualHosted: false })(request, S3_TIME)
    expect(stages.stringToSign).toMatch(/\n\/examplebucket\?delete$/)
    expect(stages.authorization).toBe('AWS AKIAIOSFODNN7EXAMPLE:E6mmzIs4z8yAjinJupr7XnnrySY=')
  })
})

describe('s3V2Resource', () => {
  it('keeps the path undecoded after /bucket for a virtual-hosted object', () => {
    const request = input('https://b.s3.amazonaws.com/dir/b%20c%2B.txt', 'GET', {}, 'b', 'dir/b c+.txt')
    expect(s3V2Resource(request, true)).toBe('/b/dir/b%20c%2B.txt')
  })

  it('signs only allow-listed sub-resources, sorted, response overrides decoded', () => {
    const url =
      'https://b.s3.amazonaws.com/k?versionId=v%2B1&prefix=x&response-content-type=text%2Fplain&uploads&acl='
    const request = input(url, 'GET', {}, 'b', 'k')
    expect(s3V2Resource(request, true)).toBe('/b/k?acl=&response-content-type=text/plain&uploads&versionId=v%2B1')
  })

  it('gives the bare path for a service-level request', () => {
    expect(s3V2Resource(input('https://s3.amazonaws.com/', 'GET', {}), true)).toBe('/')
  })
})

describe('s3V2Signer headers', () => {
  it('signs every x-amz-* header sorted with trimmed values, and no others', async () => {
    const request = input('https://b.s3.amazonaws.com/k?tagging', 'PUT', {
      'X-Amz-Meta-Zeta': ' z ',
      'x-amz-acl': 'private',
      'x-oss-meta-a': 'ignored',
      range: 'bytes=0-1',
    }, 'b', 'k')
    const stages = await s3V2Signer(S3_DOC, { virtualHosted: true })(request, S3_TIME)
    expect(stages.stringToSign).toBe(
      'PUT\n\n\n\nx-amz-acl:private\nx-amz-date:Fri, 24 May 2013 00:00:00 GMT\nx-amz-meta-zeta:z\n/b/k?tagging',
    )
  })

  it('formats dates as RFC 1123 GMT', () => {
    expect(httpDate(new Date('2022-12-28T10:27:41Z'))).toBe('Wed, 28 Dec 2022 10:27:41 GMT')
    expect(httpDate(new Date('2024-01-01T00:00:00Z'))).toBe('Mon, 01 Jan 2024 00:00:00 GMT')
  })
})
