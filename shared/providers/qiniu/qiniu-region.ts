/**
 * Qiniu region discovery (provider-protocols §1.1): one account may own buckets in several
 * regions, and a management call must reach the RS host of its bucket's region. uc answers which
 * region that is: `GET <ucEndpoint>/v4/query?ak=<AK>&bucket=<bucket>` (unauthenticated), with
 * `{ hosts: [{ region, ttl, rs: { domains }, rsf, io, up, … }] }` — the shape the qiniu SDK reads
 * in `httpc/regionsProvider.js` (`getRegionFromQuery`); the first entry is the bucket's own region
 * and its first domain the preferred host. Domains come without a scheme: the SDK adds its
 * preferred one, here the scheme of the account's `ucEndpoint`.
 *
 * Answers are cached per (uc endpoint, AK, bucket) for the answer's ttl, in the isolate (plain
 * data only, so any request may read them), bounded in size. Failures are not cached: a uc
 * outage only delays the affected operations, which the engine retries.
 */
import * as z from 'zod'
import { failure } from '../../engine/engine.ts'
import { parseRetryAfter } from '../../engine/retry.ts'
import type { Outcome } from '../../engine/types.ts'
import { DEFAULT_QINIU_RS_ENDPOINT, type QiniuAccount } from './qiniu-account.ts'
import { isRetriableQiniuCode } from './qiniu-codes.ts'

/** Base URLs (scheme://host[:port]) of one region's services. */
export interface QiniuRegionHosts {
  /** The region id uc names (`z0`, `z1`, …), when it names one. */
  region?: string
  rs: string
  rsf?: string
  io?: string
  up?: string
}

export type RegionLookup = { ok: true; hosts: QiniuRegionHosts } | { ok: false; outcome: Outcome }

/** Whether the account's operations are routed by region (the rule is documented on `regions`). */
export function regionDiscoveryOn(account: Pick<QiniuAccount, 'regions' | 'endpoint'>): boolean {
  return account.regions === 'auto' || (account.regions === undefined && account.endpoint === DEFAULT_QINIU_RS_ENDPOINT)
}

/** Qiniu's own default ttl (qiniu SDK `httpc/region.js`), and the longest an answer is trusted. */
const DEFAULT_TTL_S = 86_400
/** Buckets remembered per isolate; the least recently used goes first past this. */
export const REGION_CACHE_SIZE = 1024

interface CacheEntry {
  hosts: QiniuRegionHosts
  expiresAt: number
}
const cache = new Map<string, CacheEntry>()

/** Forgets every cached region (tests). */
export function clearQiniuRegionCache(): void {
  cache.clear()
}

const Service = z.object({ domains: z.array(z.string()) })
const UcAnswer = z.object({
  hosts: z
    .array(
      z.object({
        region: z.string().optional(),
        ttl: z.number().optional(),
        rs: z.object({ domains: z.array(z.string()).min(1) }),
        rsf: Service.optional(),
        io: Service.optional(),
        up: Service.optional(),
      }),
    )
    .min(1),
})

// A bare host[:port] (or bracketed IPv6): anything else — a path, credentials, a query — is refused
// rather than spliced into the URL every signed request of the bucket goes to.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

function hostUrl(domain: string | undefined, scheme: string): string | undefined {
  if (domain === undefined) return undefined
  const m = /^(https?:)\/\/([^/]+)\/?$/.exec(domain)
  const host = m ? m[2]! : domain
  return HOST.test(host) ? `${m ? m[1] : scheme}//${host}` : undefined
}

export interface RegionResolverDeps {
  fetch: typeof fetch
  /** The cache's clock (default Date.now). */
  now?: () => number
}

export interface QiniuRegionResolver {
  /** The bucket's region from the cache, without asking uc. */
  cached(bucket: string): QiniuRegionHosts | undefined
  /** The bucket's region: from the cache, else from uc. Never throws. */
  lookup(bucket: string, signal: AbortSignal): Promise<RegionLookup>
}

/**
 * One resolver per adapter (per request): concurrent lookups of one bucket share one uc call.
 * That sharing stays within the request on purpose: Workers must not hand a promise of one
 * request's I/O to another.
 */
export function createQiniuRegionResolver(account: Pick<QiniuAccount, 'accessKey' | 'ucEndpoint'>, deps: RegionResolverDeps): QiniuRegionResolver {
  const now = deps.now ?? Date.now
  const scheme = new URL(account.ucEndpoint).protocol
  const keyOf = (bucket: string) => `${account.ucEndpoint}\n${account.accessKey}\n${bucket}`
  const inflight = new Map<string, Promise<RegionLookup>>()

  const cached = (bucket: string) => {
    const key = keyOf(bucket)
    const hit = cache.get(key)
    if (!hit) return undefined
    if (hit.expiresAt <= now()) {
      cache.delete(key)
      return undefined
    }
    // Re-inserted so Map order is recency order and eviction drops the least recently used.
    cache.delete(key)
    cache.set(key, hit)
    return hit.hosts
  }

  async function query(bucket: string, signal: AbortSignal): Promise<RegionLookup> {
    const url = `${account.ucEndpoint}/v4/query?ak=${encodeURIComponent(account.accessKey)}&bucket=${encodeURIComponent(bucket)}`
    const about = `Qiniu region discovery for bucket "${bucket}"`
    let response: Response
    let text: string
    try {
      response = await deps.fetch(url, { signal })
      text = await response.text()
    } catch (err) {
      const timedOut = signal.aborted || (err instanceof Error && err.name === 'TimeoutError')
      const error = timedOut
        ? { code: 'Timeout' as const, message: `${about}: uc did not answer in time` }
        : { code: 'ProviderError' as const, message: `${about}: network error: ${err instanceof Error ? err.message : String(err)}` }
      return { ok: false, outcome: { kind: 'retry', error } }
    }
    const status = response.status
    const provider = { code: String(status), ...ucErrorText(text) }
    if (status === 200) {
      const parsed = UcAnswer.safeParse(safeJson(text))
      const first = parsed.success ? parsed.data.hosts[0]! : undefined
      const rs = hostUrl(first?.rs.domains[0], scheme)
      if (!first || !rs) return { ok: false, outcome: { kind: 'retry', error: { code: 'ProviderError', message: `${about}: uc answered without a usable rs host`, provider } } }
      const hosts: QiniuRegionHosts = { rs }
      if (first.region) hosts.region = first.region
      for (const service of ['rsf', 'io', 'up'] as const) {
        const u = hostUrl(first[service]?.domains[0], scheme)
        if (u) hosts[service] = u
      }
      const ttlS = Math.min(first.ttl ?? DEFAULT_TTL_S, DEFAULT_TTL_S)
      if (ttlS > 0) remember(keyOf(bucket), { hosts, expiresAt: now() + ttlS * 1000 })
      return { ok: true, hosts }
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'))
    const retry = (code: 'Throttled' | 'ProviderError', message: string): RegionLookup => ({
      ok: false,
      outcome: { kind: 'retry', error: { code, message, provider }, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    })
    if (status === 573 || status === 429) return retry('Throttled', `${about}: uc is rate limiting`)
    if (isRetriableQiniuCode(status)) return retry('ProviderError', `${about}: uc answered ${status}`)
    // uc answers 631 "no such bucket" for a bucket the key's account does not own.
    if (status === 631 || status === 612 || status === 404)
      return { ok: false, outcome: failure('NoSuchBucket', `the bucket "${bucket}" does not exist (uc answered ${status})`, provider) }
    if (status === 401 || status === 403) return { ok: false, outcome: failure('AccessDenied', `${about}: uc refused the access key`, provider) }
    return { ok: false, outcome: failure('ProviderError', `${about}: uc answered ${status}`, provider) }
  }

  return {
    cached,
    lookup(bucket, signal) {
      const hit = cached(bucket)
      if (hit) return Promise.resolve({ ok: true, hosts: hit })
      let pending = inflight.get(bucket)
      if (!pending) {
        pending = query(bucket, signal).finally(() => inflight.delete(bucket))
        inflight.set(bucket, pending)
      }
      return pending
    },
  }
}

function remember(key: string, entry: CacheEntry) {
  cache.delete(key)
  cache.set(key, entry)
  while (cache.size > REGION_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
}

function ucErrorText(text: string): { message?: string } {
  const data = safeJson(text) as { error?: unknown } | undefined
  return data && typeof data.error === 'string' ? { message: data.error } : {}
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
