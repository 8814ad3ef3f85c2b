import { ObjectIOError, type ListedObject, type ObjectLister } from '../../engine/types.ts'
import type { R2BucketResolver } from './r2-adapter.ts'
import { checkSignal, r2Call } from './r2-objects.ts'

/** R2's `list` answers at most 1,000 objects a call. */
export const R2_LIST_LIMIT = 1000

/**
 * Paged listing through the R2 binding's `list({ prefix, cursor, limit })`: R2's own cursor is
 * the page cursor. R2 may end a page early (truncated, fewer than `limit`); the next page
 * carries on from its cursor, so nothing is listed twice.
 */
export function createR2Lister(resolve: R2BucketResolver): ObjectLister {
  return {
    async list(bucket, prefix, cursor, opts = {}) {
      checkSignal(opts.signal)
      const binding = resolve(bucket)
      if (!binding) throw new ObjectIOError('NoSuchBucket', `the account has no bucket "${bucket}"`, false)
      const asked = opts.limit !== undefined && Number.isFinite(opts.limit) ? Math.floor(opts.limit) : R2_LIST_LIMIT
      const limit = Math.min(R2_LIST_LIMIT, Math.max(1, asked))
      const page = await r2Call(() => binding.list({ limit, ...(prefix !== '' ? { prefix } : {}), ...(cursor !== null ? { cursor } : {}) }))
      const objects = page.objects.map((o): ListedObject => ({ key: o.key, size: o.size, lastModified: o.uploaded.toISOString(), etag: o.etag }))
      return { objects, next: page.truncated ? page.cursor : null }
    },
  }
}
