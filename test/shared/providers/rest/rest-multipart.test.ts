import { describe, expect, it } from 'vitest'
import { md5Base64 } from '../../../../shared/crypto/hash.ts'
import type { SigningStages } from '../../../../shared/crypto/request-signer.ts'
import { ObjectIOError } from '../../../../shared/engine/types.ts'
import { ossDialect } from '../../../../shared/providers/oss/oss-adapter.ts'
import { OssAccount } from '../../../../shared/providers/oss/oss-account.ts'
import type { RestDialect } from '../../../../shared/providers/rest/rest-dialect.ts'
import { completeMultipartXml, multipartEtag, multipartWrite } from '../../../../shared/providers/rest/rest-multipart.ts'
import { createRestObjects } from '../../../../shared/providers/rest/rest-objects.ts'
import { S3Account } from '../../../../shared/providers/s3/s3-account.ts'
import { s3Dialect } from '../../../../shared/providers/s3/s3-adapter.ts'

const s3 = () => s3Dialect(S3Account.parse({ provider: 's3', endpoint: 'https://s3.us-west-2.amazonaws.com', region: 'us-west-2', accessKeyId: 'AK', secretAccessKey: 'SK' }))
const ossV1 = () => ossDialect(OssAccount.parse({ provider: 'oss', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', accessKeyId: 'AK', accessKeySecret: 'SK', signatureVersion: 'v1' }))

type Answer = [number, string, Record<string, string>?]

/** A fetch answering in turn, recording each request with its body bytes. */
function fakeFetch(answer: (req: Request, n: number) => Answer) {
  const seen: { req: Request; body: Uint8Array }[] = []
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init)
    seen.push({ req, body: new Uint8Array(await req.clone().arrayBuffer()) })
    const [status, body, headers] = answer(req, seen.length - 1)
    return new Response(status === 204 ? null : body, { status, headers: headers ?? {} })
  }) as typeof fetch
  return { fn, seen }
}

const INIT = '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>up/1+x</UploadId></InitiateMultipartUploadResult>'
const happy = (completeEtag: string | null) => (req: Request): Answer => {
  const q = new URL(req.url).searchParams
  if (req.method === 'POST' && q.has('uploads')) return [200, INIT]
  if (req.method === 'PUT') return [200, '', { ETag: `"etag-${q.get('partNumber')}"` }]
  if (req.method === 'POST') return [200, `<CompleteMultipartUploadResult><Key>k</Key>${completeEtag === null ? '' : `<ETag>${completeEtag}</ETag>`}</CompleteMultipartUploadResult>`]
  return [204, '']
}
const body = Uint8Array.from({ length: 25 }, (_, i) => i)

describe('multipartWrite', () => {
  it('creates the upload with the content type, sends each part with its Content-MD5, completes with the part ETags in order', async () => {
    const f = fakeFetch(happy('&quot;abc-3&quot;'))
    const out = await multipartWrite(s3(), { fetch: f.fn }, { bucket: 'b', key: 'r/x y.csv', contentType: 'text/csv' }, body, 10, undefined)
    expect(out).toEqual({ etag: 'abc-3' })
    const reqs = f.seen.map(({ req }) => `${req.method} ${new URL(req.url).pathname}${new URL(req.url).search}`)
    expect(reqs).toEqual([
      'POST /r/x%20y.csv?uploads',
      'PUT /r/x%20y.csv?partNumber=1&uploadId=up%2F1%2Bx',
      'PUT /r/x%20y.csv?partNumber=2&uploadId=up%2F1%2Bx',
      'PUT /r/x%20y.csv?partNumber=3&uploadId=up%2F1%2Bx',
      'POST /r/x%20y.csv?uploadId=up%2F1%2Bx',
    ])
    expect(f.seen[0]!.req.headers.get('Content-Type')).toBe('text/csv')
    expect(f.seen.slice(1, 4).map((s) => s.body.length)).toEqual([10, 10, 5])
    for (const s of f.seen.slice(1, 4)) expect(s.req.headers.get('Content-MD5')).toBe(await md5Base64(s.body))
    const xml = new TextDecoder().decode(f.seen[4]!.body)
    expect(xml).toBe(completeMultipartXml([1, 2, 3].map((n) => ({ partNumber: n, etag: `"etag-${n}"` }))))
    expect(xml).toContain('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;etag-1&quot;</ETag></Part>')
    expect(f.seen[4]!.req.headers.get('Content-MD5')).toBe(await md5Base64(xml))
  })

  it('signs uploads, partNumber and uploadId as OSS V1 sub-resources', async () => {
    const stages: SigningStages[] = []
    const d = ossV1()
    const dialect: RestDialect = { ...d, signer: async (r, t) => stages[stages.push(await d.signer(r, t)) - 1]! }
    await multipartWrite(dialect, { fetch: fakeFetch(happy('"e-3"')).fn }, { bucket: 'b', key: 'k', contentType: 'text/csv' }, body, 10, undefined)
    expect(stages.map((s) => s.stringToSign.split('\n').at(-1))).toEqual([
      '/b/k?uploads',
      '/b/k?partNumber=1&uploadId=up/1+x',
      '/b/k?partNumber=2&uploadId=up/1+x',
      '/b/k?partNumber=3&uploadId=up/1+x',
      '/b/k?uploadId=up/1+x',
    ])
  })

  it('aborts the upload when a part fails, and throws that failure', async () => {
    const f = fakeFetch((req, n) => (n === 2 ? [503, '<Error><Code>SlowDown</Code></Error>'] : happy('"x"')(req)))
    const err = await multipartWrite(s3(), { fetch: f.fn }, { bucket: 'b', key: 'k', contentType: 'text/csv' }, body, 10, undefined).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ObjectIOError)
    expect([(err as ObjectIOError).code, (err as ObjectIOError).retriable]).toEqual(['Throttled', true])
    expect(f.seen.map(({ req }) => req.method)).toEqual(['POST', 'PUT', 'PUT', 'DELETE'])
    expect(new URL(f.seen[3]!.req.url).search).toBe('?uploadId=up%2F1%2Bx')
  })

  it('computes the multipart ETag when the completion answer has none', async () => {
    const f = fakeFetch(happy(null))
    const out = await multipartWrite(s3(), { fetch: f.fn }, { bucket: 'b', key: 'k', contentType: 'text/csv' }, body, 10, undefined)
    expect(out.etag).toBe(await multipartEtag([body.subarray(0, 10), body.subarray(10, 20), body.subarray(20)]))
    expect(out.etag).toMatch(/^[0-9a-f]{32}-3$/)
  })

  it('is what ObjectIO.write does above the part size, and only there', async () => {
    const f = fakeFetch((req) => (req.method === 'PUT' && !new URL(req.url).search ? [200, '', { ETag: '"single"' }] : happy('"multi-3"')(req)))
    const objects = createRestObjects(s3(), { fetch: f.fn }, { partBytes: 10 })
    expect(await objects.write('b', 'k', body.subarray(0, 10), 'text/plain')).toEqual({ etag: 'single' })
    expect(await objects.write('b', 'k', body, 'text/plain')).toEqual({ etag: 'multi-3' })
    expect(f.seen.map(({ req }) => req.method)).toEqual(['PUT', 'POST', 'PUT', 'PUT', 'PUT', 'POST'])
  })
})
