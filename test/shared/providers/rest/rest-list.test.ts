import { describe, expect, it } from 'vitest'
import type { SigningStages } from '../../../../shared/crypto/request-signer.ts'
import { ObjectIOError } from '../../../../shared/engine/types.ts'
import { ossDialect } from '../../../../shared/providers/oss/oss-adapter.ts'
import { OssAccount } from '../../../../shared/providers/oss/oss-account.ts'
import { buildRestRequest } from '../../../../shared/providers/rest/rest-client.ts'
import type { RestDialect } from '../../../../shared/providers/rest/rest-dialect.ts'
import { createRestLister, listObjectsRequest, parseListResult } from '../../../../shared/providers/rest/rest-list.ts'
import { S3Account } from '../../../../shared/providers/s3/s3-account.ts'
import { s3Dialect } from '../../../../shared/providers/s3/s3-adapter.ts'

const s3 = (over: Record<string, unknown> = {}) =>
  s3Dialect(S3Account.parse({ provider: 's3', endpoint: 'https://s3.us-west-2.amazonaws.com', region: 'us-west-2', accessKeyId: 'AK', secretAccessKey: 'SK', ...over }))
const oss = (over: Record<string, unknown> = {}) =>
  ossDialect(OssAccount.parse({ provider: 'oss', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', accessKeyId: 'AK', accessKeySecret: 'SK', ...over }))
const now = new Date('2024-01-01T00:00:00Z')

/** The dialect with its signer's stages recorded. */
function recording(d: RestDialect): { dialect: RestDialect; stages: SigningStages[] } {
  const stages: SigningStages[] = []
  return { dialect: { ...d, signer: async (r, t) => stages[stages.push(await d.signer(r, t)) - 1]! }, stages }
}

/** A fetch that answers each request with the next of `answers` and records the requests. */
function fakeFetch(answers: Array<[number, string, Record<string, string>?]>) {
  const seen: Request[] = []
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(new Request(input, init))
    const [status, body, headers] = answers.shift() ?? [500, '']
    return new Response(body, { status, headers: headers ?? {} })
  }) as typeof fetch
  return { fn, seen }
}

const result = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</ListBucketResult>`
const contents = (key: string, size = 3) => `<Contents><Key>${key}</Key><LastModified>2024-05-06T07:08:09.000Z</LastModified><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>${size}</Size><StorageClass>STANDARD</StorageClass></Contents>`

describe('ListObjectsV2 requests', () => {
  it('asks for list-type=2 with the token, encoding-type=url, max-keys and prefix, each value RFC 3986-encoded', async () => {
    const req = listObjectsRequest('b', 'dir/a b+c', 'tok+/=', 500)
    const { url } = await buildRestRequest(s3(), req, now)
    expect(url.href).toBe('https://b.s3.us-west-2.amazonaws.com/?list-type=2&continuation-token=tok%2B%2F%3D&encoding-type=url&max-keys=500&prefix=dir%2Fa%20b%2Bc')
    const first = await buildRestRequest(s3({ forcePathStyle: true }), listObjectsRequest('b', '', null, 1000), now)
    expect(first.url.href).toBe('https://s3.us-west-2.amazonaws.com/b/?list-type=2&encoding-type=url&max-keys=1000')
    expect(first.init.method).toBe('GET')
    expect(first.init.body).toBeUndefined()
  })

  it('is signed as each signature version defines: V4 over every parameter, S3 V2 over none, OSS V1 over continuation-token only', async () => {
    const req = listObjectsRequest('b', 'p/', 'T0k', 10)
    const v4 = recording(s3())
    await buildRestRequest(v4.dialect, req, now)
    expect(v4.stages[0]!.canonicalRequest!.split('\n')[2]).toBe('continuation-token=T0k&encoding-type=url&list-type=2&max-keys=10&prefix=p%2F')
    const v2 = recording(s3({ signatureVersion: 'v2' }))
    await buildRestRequest(v2.dialect, req, now)
    expect(v2.stages[0]!.stringToSign.endsWith('\n/b/')).toBe(true)
    const v1 = recording(oss({ signatureVersion: 'v1' }))
    await buildRestRequest(v1.dialect, req, now)
    expect(v1.stages[0]!.stringToSign.endsWith('\n/b/?continuation-token=T0k')).toBe(true)
    const ossV4 = recording(oss())
    await buildRestRequest(ossV4.dialect, req, now)
    expect(ossV4.stages[0]!.canonicalRequest).toContain('continuation-token=T0k&encoding-type=url&list-type=2&max-keys=10&prefix=p%2F')
  })
})

describe('ListBucketResult parsing', () => {
  it('reads keys, sizes, times and unquoted ETags; decodes url-encoded names (+ is a space) and entities', () => {
    const page = parseListResult(s3(), result(`<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>${contents('a+b%2Bc%25')}${contents('ctl%01%2F%E4%B8%AD', 0)}`))
    expect(page).toEqual({
      objects: [
        { key: 'a b+c%', size: 3, lastModified: '2024-05-06T07:08:09.000Z', etag: '0cc175b9c0f1b6a831c399e269772661' },
        { key: 'ctl\u0001/中', size: 0, lastModified: '2024-05-06T07:08:09.000Z', etag: '0cc175b9c0f1b6a831c399e269772661' },
      ],
      next: null,
    })
    expect(parseListResult(s3(), result(`<IsTruncated>false</IsTruncated>${contents('a&amp;b+c')}`)).objects[0]!.key).toBe('a&b+c')
    expect(parseListResult(s3(), result('<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>'))).toEqual({ objects: [], next: null })
  })

  it('hands back the continuation token as S3 sent it, and decoded as OSS encodes it under encoding-type=url', () => {
    const body = result(`<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>ab%2Bc%3D</NextContinuationToken>${contents('k')}`)
    expect(parseListResult(s3(), body).next).toBe('ab%2Bc%3D')
    expect(parseListResult(oss(), body).next).toBe('ab+c=')
  })

  it('calls an unreadable answer a retriable ProviderError (garbage, truncated without a token, an entry without a key)', () => {
    for (const body of ['<ListBucketResult><Contents><Key>x</Ke', '<Other/>', result('<IsTruncated>true</IsTruncated>'), result('<IsTruncated>false</IsTruncated><Contents><Size>1</Size></Contents>')]) {
      let err: unknown
      try {
        parseListResult(s3(), body)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ObjectIOError)
      expect([(err as ObjectIOError).code, (err as ObjectIOError).retriable]).toEqual(['ProviderError', true])
    }
  })
})

describe('createRestLister', () => {
  it('clamps the page size to 1..1000 and returns the next token', async () => {
    const f = fakeFetch([[200, result(`<IsTruncated>true</IsTruncated><NextContinuationToken>n1</NextContinuationToken>${contents('a')}`)], [200, result('<IsTruncated>false</IsTruncated>')]])
    const lister = createRestLister(s3(), { fetch: f.fn })
    expect((await lister.list('b', '', null, { limit: 5000 })).next).toBe('n1')
    await lister.list('b', '', 'n1', { limit: 0 })
    expect(f.seen.map((r) => new URL(r.url).searchParams.get('max-keys'))).toEqual(['1000', '1'])
    expect(new URL(f.seen[1]!.url).searchParams.get('continuation-token')).toBe('n1')
  })

  it('maps error answers to the unified codes: throttling and 5xx retriable, a 200 <Error> by its code, NoSuchBucket final', async () => {
    const err = (code: string, status = 400) => [status, `<Error><Code>${code}</Code><Message>m</Message></Error>`] as [number, string]
    const f = fakeFetch([err('SlowDown', 503), err('InternalError', 500), [200, '<Error><Code>InternalError</Code></Error>'], err('NoSuchBucket', 404), err('AccessDenied', 403)])
    const lister = createRestLister(oss(), { fetch: f.fn })
    const outcomes: Array<[string, boolean]> = []
    for (let i = 0; i < 5; i++) {
      await lister.list('b', '', null).catch((e: ObjectIOError) => outcomes.push([e.code, e.retriable]))
    }
    expect(outcomes).toEqual([['Throttled', true], ['ProviderError', true], ['ProviderError', true], ['NoSuchBucket', false], ['AccessDenied', false]])
  })
})
