import { describe, expect, it } from 'vitest'
import { md5Base64 } from '../../../../shared/crypto/hash.ts'
import type { IndexedOperation } from '../../../../shared/engine/types.ts'
import { ossDialect } from '../../../../shared/providers/oss/oss-adapter.ts'
import { OssAccount } from '../../../../shared/providers/oss/oss-account.ts'
import { checkRestOperation } from '../../../../shared/providers/rest/rest-adapter.ts'
import { restErrorOutcome } from '../../../../shared/providers/rest/rest-codes.ts'
import { multiDelete, multiDeleteXml } from '../../../../shared/providers/rest/rest-delete.ts'
import { statFromHeaders } from '../../../../shared/providers/rest/rest-stat.ts'
import { S3Account } from '../../../../shared/providers/s3/s3-account.ts'
import { s3Dialect } from '../../../../shared/providers/s3/s3-adapter.ts'
import type { Operation } from '../../../../shared/schemas/operation.ts'
import { buildXml } from '../../../../shared/xml/xml.ts'

const s3 = (over: Record<string, unknown> = {}) =>
  s3Dialect(S3Account.parse({ provider: 's3', endpoint: 'https://s3.us-west-2.amazonaws.com', region: 'us-west-2', accessKeyId: 'AK', secretAccessKey: 'SK', ...over }))
const oss = () => ossDialect(OssAccount.parse({ provider: 'oss', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', accessKeyId: 'AK', accessKeySecret: 'SK' }))
const del = (keys: string[], versionIds: (string | undefined)[] = []): IndexedOperation[] =>
  keys.map((key, index) => ({ index, attempt: 1, op: { op: 'delete', bucket: 'b', key, ...(versionIds[index] ? { versionId: versionIds[index] } : {}) } as Operation }))

/** A fetch that records requests and answers with the given status and body. */
function fakeFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const seen: Request[] = []
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(new Request(input, init))
    return new Response(status === 204 ? null : body, { status, headers })
  }) as typeof fetch
  return { fn, seen }
}
const ctx = { signal: new AbortController().signal, now: () => new Date('2024-01-01T00:00:00Z') }

describe('REST addressing', () => {
  it('uses virtual-hosted URLs on DNS endpoints and path-style on IPs or when forced, encoding each key segment once', () => {
    expect(s3().url('b', 'dir/a b+c%.txt').href).toBe('https://b.s3.us-west-2.amazonaws.com/dir/a%20b%2Bc%25.txt')
    expect(s3({ forcePathStyle: true }).url('b', "x/it's(1)*").href).toBe("https://s3.us-west-2.amazonaws.com/b/x/it%27s%281%29%2A")
    expect(s3({ endpoint: 'http://127.0.0.1:9000' }).url('b', undefined, [['delete', '']]).href).toBe('http://127.0.0.1:9000/b/?delete')
  })

  it('names the copy source as each provider expects', () => {
    expect(s3().copySource('b', 'dir/a b', 'v1')).toBe('/b/dir/a%20b?versionId=v1')
    expect(oss().copySource('b', 'dir/a b')).toBe('/b/dir%2Fa%20b')
  })
})

describe('multiDelete', () => {
  it('sends a Quiet DeleteObjects document with its Content-MD5, keys escaped, versions kept', async () => {
    const f = fakeFetch(200, '<DeleteResult/>')
    const ops = del(['a&b', 'ctl\u0001', 'v'], [undefined, undefined, 'ver1'])
    const out = await multiDelete(s3(), { fetch: f.fn }, 'b', ops, ctx)
    expect(out).toEqual([{ kind: 'done', status: 200 }, { kind: 'done', status: 200 }, { kind: 'done', status: 200 }])
    const req = f.seen[0]!
    const body = await req.text()
    expect(body).toBe(multiDeleteXml(ops))
    expect(body).toContain('<Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>ctl&#x1;</Key></Object><Object><Key>v</Key><VersionId>ver1</VersionId></Object>')
    expect(req.headers.get('Content-MD5')).toBe(await md5Base64(body))
    expect(req.url).toBe('https://b.s3.us-west-2.amazonaws.com/?delete')
    expect(req.headers.get('Authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=AK\/20240101\/us-west-2\/s3\/aws4_request, ?SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date, ?Signature=[0-9a-f]{64}$/)
  })

  it('writes the same multi-delete document as the XML builder, for unusual keys and version ids', () => {
    const keys = ['a b', ' lead ', 'a&b<c>"d\'e', 'line\nbreak\r\nwin', 'ctl\u0001\u001f\u007f', '文件/ünï', '00123', '😀', ']]>']
    const ops = del(keys, keys.map((_, i) => (i % 3 === 0 ? `v<${i}>&` : undefined)))
    const reference = buildXml({ Delete: { Quiet: 'true', Object: ops.map(({ op }) => ({ Key: op.key, ...(op.versionId ? { VersionId: op.versionId } : {}) })) } })
    expect(multiDeleteXml(ops)).toBe(reference)
  })

  it('maps per-key errors and counts every other key as deleted', async () => {
    const f = fakeFetch(200, '<DeleteResult><Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error><Error><Key>c</Key><Code>InternalError</Code></Error></DeleteResult>')
    const out = await multiDelete(s3(), { fetch: f.fn }, 'b', del(['a', 'b', 'c']), ctx)
    expect(out[0]).toEqual({ kind: 'done', status: 200 })
    expect(out[1]).toMatchObject({ kind: 'done', status: 403, error: { code: 'AccessDenied', provider: { code: 'AccessDenied', message: 'no' } } })
    expect(out[2]).toMatchObject({ kind: 'retry', error: { code: 'ProviderError' } })
  })

  it('retries every key when an error document comes inside an HTTP 200 answer', async () => {
    const f = fakeFetch(200, '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>oops</Message></Error>')
    const out = await multiDelete(s3(), { fetch: f.fn }, 'b', del(['a', 'b']), ctx)
    expect(out.every((o) => o.kind === 'retry')).toBe(true)
  })

  it('asks OSS for URL-encoded keys and decodes them in the answer', async () => {
    const f = fakeFetch(200, '<DeleteResult><EncodingType>url</EncodingType><Error><Key>a+b%2Fc%26%01</Key><Code>AccessDenied</Code></Error></DeleteResult>')
    const out = await multiDelete(oss(), { fetch: f.fn }, 'b', del(['a b/c&\u0001', 'other']), ctx)
    expect(f.seen[0]!.url).toBe('https://b.oss-cn-hangzhou.aliyuncs.com/?delete&encoding-type=url')
    expect(out[0]).toMatchObject({ status: 403 })
    expect(out[1]).toEqual({ kind: 'done', status: 200 })
  })

  it('honours SlowDown with Retry-After', async () => {
    const f = fakeFetch(503, '<Error><Code>SlowDown</Code></Error>', { 'Retry-After': '2' })
    const [out] = await multiDelete(s3(), { fetch: f.fn }, 'b', del(['a']), ctx)
    expect(out).toMatchObject({ kind: 'retry', error: { code: 'Throttled' }, retryAfterMs: 2000 })
  })
})

describe('dot segments', () => {
  it('refuses exactly the keys with a "." or ".." path segment', () => {
    const parts = ['.', '..', '...', 'a', '.a', 'a.', '', '..b']
    const keys: string[] = []
    for (const a of parts) for (const b of parts) for (const c of parts) keys.push(`${a}/${b}/${c}`, `${a}/${b}`, a)
    for (const key of keys) {
      if (key === '') continue
      const dotted = key.split('/').some((s) => s === '.' || s === '..')
      const refused = checkRestOperation(s3(), { op: 'delete', bucket: 'b', key } as Operation).some((i) => i.path[0] === 'key')
      expect(refused, key).toBe(dotted)
    }
  })
})

describe('REST error mapping and stat', () => {
  it('maps S3 and OSS codes to the unified ones', () => {
    const code = (status: number, c?: string) => {
      const o = restErrorOutcome('S3', status, c ? { code: c } : undefined)
      return o.kind === 'done' ? o.error?.code : `retry:${o.error.code}`
    }
    expect([code(404, 'NoSuchKey'), code(404, 'NoSuchBucket'), code(404), code(412, 'PreconditionFailed'), code(409, 'FileAlreadyExists')]).toEqual(['NoSuchKey', 'NoSuchBucket', 'NoSuchKey', 'DestinationExists', 'DestinationExists'])
    expect([code(403, 'SignatureDoesNotMatch'), code(403, 'InvalidObjectState'), code(400, 'OperationNotSupported'), code(400, 'MalformedXML')]).toEqual(['AccessDenied', 'InvalidObjectState', 'InvalidObjectState', 'InvalidArgument'])
    expect([code(503, 'SlowDown'), code(429), code(500, 'InternalError'), code(502)]).toEqual(['retry:Throttled', 'retry:Throttled', 'retry:ProviderError', 'retry:ProviderError'])
  })

  it('reads a HEAD answer into the unified stat shape', () => {
    const headers = new Headers({ 'Content-Length': '5', ETag: '"abc"', 'Content-Type': 'text/plain', 'Last-Modified': 'Mon, 01 Jan 2024 00:00:00 GMT', 'x-amz-storage-class': 'GLACIER', 'x-amz-meta-author': 'alice', 'x-amz-restore': 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"', 'x-amz-version-id': 'v1' })
    expect(statFromHeaders(s3(), headers)).toEqual({ size: 5, etag: 'abc', contentType: 'text/plain', lastModified: '2024-01-01T00:00:00.000Z', storageClass: 'ARCHIVE', metadata: { author: 'alice' }, versionId: 'v1', restoreStatus: 'restored' })
    expect(statFromHeaders(oss(), new Headers({ 'x-oss-storage-class': 'DeepColdArchive' })).storageClass).toBe('DEEP_ARCHIVE')
  })

  it('refuses what an S3-style store cannot take', () => {
    const paths = (op: Operation, d = s3()) => checkRestOperation(d, op).map((i) => i.path.join('.'))
    expect(paths({ op: 'stat', bucket: 'b', key: 'a/../b' })).toEqual(['key'])
    expect(paths({ op: 'putAcl', bucket: 'b', key: 'k', acl: 'default' })).toEqual(['acl'])
    expect(paths({ op: 'putAcl', bucket: 'b', key: 'k', acl: 'default' }, oss())).toEqual([])
    expect(paths({ op: 'setMetadata', bucket: 'b', key: 'k', metadata: { a: 'ünï' } })).toEqual(['metadata.a'])
    expect(paths({ op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'c', parentFileId: 'p' } })).toEqual(['destination.key', 'destination.parentFileId'])
  })
})
