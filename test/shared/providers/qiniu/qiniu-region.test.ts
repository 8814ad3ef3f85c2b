import { beforeEach, describe, expect, it } from 'vitest'
import { executeOperations } from '../../../../shared/engine/engine.ts'
import { QiniuAccount } from '../../../../shared/providers/qiniu/qiniu-account.ts'
import { createQiniuAdapter } from '../../../../shared/providers/qiniu/qiniu-adapter.ts'
import { clearQiniuRegionCache, createQiniuRegionResolver, REGION_CACHE_SIZE, regionDiscoveryOn } from '../../../../shared/providers/qiniu/qiniu-region.ts'
import { decodeEncodedEntryURI } from '../../../../shared/crypto/qiniu-entry.ts'
import type { Operation } from '../../../../shared/schemas/operation.ts'

const account = (over: Record<string, unknown> = {}) => QiniuAccount.parse({ provider: 'qiniu', accessKey: 'AK', secretKey: 'SK', ...over })

// What uc answers (the fields the qiniu SDK's getRegionFromQuery reads).
const ucAnswer = (region: string, rs: string, ttl = 86400) => ({
  hosts: [{ region, ttl, rs: { domains: [rs] }, rsf: { domains: [`rsf-${region}.example`] }, io: { domains: [`io-${region}.example`] }, up: { domains: [`up-${region}.example`] }, uc: { domains: ['uc.example'] }, api: { domains: [] }, s3: { domains: [], region_alias: region } }],
})

/** A Response with any status: Qiniu's 6xx codes are outside what the Response constructor takes. */
function qiniuError(status: number, error: string): Response {
  const r = new Response(JSON.stringify({ error }), { status: 599 })
  Object.defineProperty(r, 'status', { value: status })
  return r
}

/** A fetch that answers uc from `regionOf` and `/batch` with 200 for every op, recording what it was sent. */
function fakeQiniu(regionOf: (bucket: string) => string | undefined, opts: { ucStatus?: () => number | undefined; batchThrows?: (host: string) => boolean } = {}) {
  const sent: { url: string; ops: string[] }[] = []
  const fetch = (async (input: RequestInfo | URL) => {
    const request = input instanceof Request ? input : new Request(input)
    const url = new URL(request.url)
    if (url.pathname === '/v4/query') {
      sent.push({ url: request.url, ops: [] })
      const forced = opts.ucStatus?.()
      if (forced) return qiniuError(forced, 'uc trouble')
      const region = regionOf(url.searchParams.get('bucket')!)
      if (!region) return qiniuError(631, 'no such bucket')
      return Response.json(ucAnswer(region, `rs-${region}.example`))
    }
    const ops = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer())).getAll('op')
    sent.push({ url: request.url, ops })
    if (opts.batchThrows?.(url.host)) throw new TypeError('connection reset')
    return Response.json(ops.map(() => ({ code: 200 })))
  }) as typeof globalThis.fetch
  return { fetch, sent }
}

const fastEngine = { concurrency: 4, callTimeoutMs: 5_000, retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0, budgetMs: 5_000 } }
const bucketOfOp = (op: string) => decodeEncodedEntryURI(op.split('/')[2]!).bucket

beforeEach(() => clearQiniuRegionCache())

describe('when Qiniu region discovery is on', () => {
  it('is on without an endpoint or with regions "auto", and off with an explicit endpoint or regions "fixed"', () => {
    expect(regionDiscoveryOn(account())).toBe(true)
    expect(regionDiscoveryOn(account({ endpoint: 'https://rs-z0.qiniuapi.com' }))).toBe(false)
    expect(regionDiscoveryOn(account({ endpoint: 'https://rs-z0.qiniuapi.com', regions: 'auto' }))).toBe(true)
    expect(regionDiscoveryOn(account({ regions: 'fixed' }))).toBe(false)
    expect(account().ucEndpoint).toBe('https://uc.qiniuapi.com')
  })
})

describe('Qiniu region lookup', () => {
  it('asks uc /v4/query with the AK and bucket, and builds region hosts with the uc endpoint scheme', async () => {
    const q = fakeQiniu(() => 'z1')
    const resolver = createQiniuRegionResolver(account({ ucEndpoint: 'http://uc.test' }), { fetch: q.fetch })
    const found = await resolver.lookup('photos', new AbortController().signal)
    expect(q.sent.map((s) => s.url)).toEqual(['http://uc.test/v4/query?ak=AK&bucket=photos'])
    expect(found).toEqual({ ok: true, hosts: { region: 'z1', rs: 'http://rs-z1.example', rsf: 'http://rsf-z1.example', io: 'http://io-z1.example', up: 'http://up-z1.example' } })
  })

  it('caches an answer for its ttl, shares one uc call between concurrent lookups, and asks again after the ttl', async () => {
    let clock = 1_000_000
    const q = fakeQiniu(() => 'z0')
    const resolver = createQiniuRegionResolver(account(), { fetch: q.fetch, now: () => clock })
    const signal = new AbortController().signal
    await Promise.all([resolver.lookup('b', signal), resolver.lookup('b', signal)])
    clock += 86_399_000
    await resolver.lookup('b', signal)
    expect(q.sent).toHaveLength(1)
    // A new resolver (a later request) reads the same isolate cache.
    await createQiniuRegionResolver(account(), { fetch: q.fetch, now: () => clock }).lookup('b', signal)
    expect(q.sent).toHaveLength(1)
    clock += 2_000
    await resolver.lookup('b', signal)
    expect(q.sent).toHaveLength(2)
  })

  it('keeps at most REGION_CACHE_SIZE buckets, dropping the least recently used', async () => {
    const q = fakeQiniu(() => 'z0')
    const resolver = createQiniuRegionResolver(account(), { fetch: q.fetch })
    const signal = new AbortController().signal
    for (let i = 0; i < REGION_CACHE_SIZE; i++) await resolver.lookup(`b${i}`, signal)
    resolver.cached('b0') // b0 is now the most recently used; b1 the least
    await resolver.lookup('one-more', signal)
    expect(resolver.cached('b0')).toBeDefined()
    expect(resolver.cached('b1')).toBeUndefined()
  })

  it('answers NoSuchBucket for a bucket uc does not know, and a retriable error (not cached) when uc fails', async () => {
    let status: number | undefined = 503
    const q = fakeQiniu((b) => (b === 'known' ? 'z0' : undefined), { ucStatus: () => status })
    const resolver = createQiniuRegionResolver(account(), { fetch: q.fetch })
    const signal = new AbortController().signal
    expect(await resolver.lookup('known', signal)).toMatchObject({ ok: false, outcome: { kind: 'retry', error: { code: 'ProviderError', provider: { code: '503', message: 'uc trouble' } } } })
    status = undefined
    expect(await resolver.lookup('known', signal)).toMatchObject({ ok: true })
    expect(await resolver.lookup('unknown', signal)).toMatchObject({ ok: false, outcome: { kind: 'done', status: 404, error: { code: 'NoSuchBucket', provider: { code: '631' } } } })
  })

  it('refuses an rs domain that is not a bare host', async () => {
    const fetch = (async () => Response.json(ucAnswer('z0', 'evil.example/steal?x='))) as unknown as typeof globalThis.fetch
    const found = await createQiniuRegionResolver(account(), { fetch }).lookup('b', new AbortController().signal)
    expect(found).toMatchObject({ ok: false, outcome: { kind: 'retry', error: { message: expect.stringContaining('without a usable rs host') } } })
  })
})

describe('a Qiniu batch across regions', () => {
  const regionOf = (b: string) => (b.startsWith('z1-') ? 'z1' : b === 'gone' ? undefined : 'z0')

  it('sends each region its own /batch and refuses a copy between regions per operation', async () => {
    const q = fakeQiniu(regionOf)
    const adapter = createQiniuAdapter(account(), { fetch: q.fetch })
    const ops: Operation[] = [
      { op: 'stat', bucket: 'a', key: 'k' },
      { op: 'delete', bucket: 'z1-b', key: 'k' },
      { op: 'copy', bucket: 'a', key: 'k', destination: { bucket: 'z1-b', key: 'k' } },
      { op: 'copy', bucket: 'z1-b', key: 'k', destination: { bucket: 'z1-c', key: 'k' } },
      { op: 'delete', bucket: 'gone', key: 'k' },
    ]
    const results = await executeOperations(adapter, ops, fastEngine)
    expect(results.map((r) => [r.status, r.error?.code])).toEqual([[200, undefined], [200, undefined], [400, 'InvalidArgument'], [200, undefined], [404, 'NoSuchBucket']])
    expect(results[2]!.error!.message).toBe('Qiniu cannot copy between regions: "a" is in region z0, "z1-b" is in region z1')
    const batches = q.sent.filter((s) => s.ops.length > 0)
    expect(batches.map((s) => [new URL(s.url).host, s.ops.map(bucketOfOp)]).sort()).toEqual([
      ['rs-z0.example', ['a']],
      ['rs-z1.example', ['z1-b', 'z1-b']],
    ])
    // One uc query per bucket, however many operations name it.
    expect(q.sent.filter((s) => s.ops.length === 0).map((s) => new URL(s.url).searchParams.get('bucket')).sort()).toEqual(['a', 'gone', 'z1-b', 'z1-c'])
  })

  it('plans a known region straight into its own calls on the next batch', async () => {
    const q = fakeQiniu(regionOf)
    const adapter = createQiniuAdapter(account(), { fetch: q.fetch })
    const ops: Operation[] = [{ op: 'stat', bucket: 'a', key: 'k' }, { op: 'stat', bucket: 'z1-b', key: 'k' }]
    await executeOperations(adapter, ops, fastEngine)
    expect(adapter.plan(ops.map((op, index) => ({ op, index, attempt: 1 }))).map((c) => c.ops.map((o) => o.op.bucket))).toEqual([['a'], ['z1-b']])
  })

  it('retries only the operations of a region whose call failed in transit', async () => {
    let failures = 1
    const q = fakeQiniu(regionOf, { batchThrows: (host) => host === 'rs-z1.example' && failures-- > 0 })
    const adapter = createQiniuAdapter(account(), { fetch: q.fetch })
    const results = await executeOperations(adapter, [{ op: 'delete', bucket: 'a', key: 'k' }, { op: 'delete', bucket: 'z1-b', key: 'k' }], fastEngine)
    expect(results.map((r) => r.status)).toEqual([200, 200])
    const batches = q.sent.filter((s) => s.ops.length > 0).map((s) => new URL(s.url).host)
    expect(batches.sort()).toEqual(['rs-z0.example', 'rs-z1.example', 'rs-z1.example'])
  })

  it('keeps sending to the configured endpoint, without asking uc, when the account sets one', async () => {
    const q = fakeQiniu(regionOf)
    const adapter = createQiniuAdapter(account({ endpoint: 'https://rs-z0.qiniuapi.com' }), { fetch: q.fetch })
    await executeOperations(adapter, [{ op: 'stat', bucket: 'z1-b', key: 'k' }], fastEngine)
    expect(q.sent.map((s) => s.url)).toEqual(['https://rs-z0.qiniuapi.com/batch'])
  })
})
