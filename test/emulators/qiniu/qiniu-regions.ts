/**
 * The regions of the emulated Qiniu account. A Qiniu account may own buckets in several regions,
 * each served by its own RS host; uc (`/v4/query`) tells a client which. Here every region is one
 * emulator instance (each on its own loopback address, port 80 — see qiniu-auth.ts), and the
 * instances share this directory and one store: bucket names are unique across an account's
 * regions on Qiniu too, and the control API may seed any bucket through any instance.
 *
 * Which region a bucket lives in is a naming convention, so tests need no extra control route:
 * a bucket named `<id>-…`, for a registered region `<id>` other than the first, lives in that
 * region (`z1-photos` in `z1`); every other bucket lives in the first region.
 *
 * An RS host refuses ops on an existing bucket of another region with 400 `incorrect region,
 * please use <host>, bucket is: <bucket>` — the answer Qiniu's upload hosts are known to give
 * (`{"error":"incorrect region, please use up-z2.qiniup.com"}`, reported in many SDK issues); the
 * RS answer is not documented, so the same shape is a guess. A bucket that exists nowhere is
 * answered 631 by the store, as everywhere.
 */
import type { OpResult, QiniuStore } from './qiniu-store.ts'

export interface RegionsOptions {
  store: QiniuStore
  /** Seconds a client may cache a uc answer (default 86400, what Qiniu answers). */
  ttl?: number
}

export class QiniuRegions {
  readonly store: QiniuStore
  readonly ttl: number
  /** Region id → `host[:port]` of its emulator, in registration order (the first is the default). */
  private readonly hosts = new Map<string, string>()

  constructor(opts: RegionsOptions) {
    this.store = opts.store
    this.ttl = opts.ttl ?? 86_400
  }

  /** Called by each emulator instance once it listens (`url` as `http://host[:port]`). */
  register(id: string, url: string): void {
    this.hosts.set(id, new URL(url).host)
  }

  /** The region a bucket lives in (whether or not it exists). */
  regionOf(bucket: string): string {
    const ids = [...this.hosts.keys()]
    return ids.slice(1).find((id) => bucket.startsWith(`${id}-`)) ?? ids[0] ?? 'z0'
  }

  /** The host (domain, no scheme) of a region's emulator. */
  hostOf(id: string): string | undefined {
    return this.hosts.get(id)
  }

  /**
   * The answer for an op of `region`'s RS host that names these buckets: undefined when all may be
   * served here, else the incorrect-region error of the first bucket that lives elsewhere.
   */
  refuse(region: string, buckets: Iterable<string>): OpResult | undefined {
    for (const bucket of buckets) {
      if (!this.store.buckets.has(bucket)) continue
      const home = this.regionOf(bucket)
      if (home !== region) return { code: 400, data: { error: `incorrect region, please use ${this.hostOf(home) ?? home}, bucket is: ${bucket}` } }
    }
    return undefined
  }
}
