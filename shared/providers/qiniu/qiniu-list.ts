/**
 * Listing a Qiniu bucket through RSF: `GET <rsf host>/list?bucket=&marker=&limit=&prefix=`, signed
 * with the management token. The answer's `marker` is where the next page starts; an empty or
 * absent one means the listing is done.
 */
import * as z from 'zod'
import { ObjectIOError, type ListPage, type ObjectLister } from '../../engine/types.ts'
import type { QiniuAccount } from './qiniu-account.ts'
import { DEFAULT_RSF_ENDPOINT, managementRequest, qiniuIOError, readBody, regionHosts, send, type QiniuIODeps } from './qiniu-io.ts'

/** RSF answers at most 1,000 items a page. */
export const QINIU_LIST_LIMIT = 1000

const ListItem = z.object({
  key: z.string(),
  hash: z.string(),
  fsize: z.number().int().nonnegative(),
  /** 100 ns units since the epoch; beyond 2^53, so the last digits are rounded, which ms do not see. */
  putTime: z.number().nonnegative(),
  mimeType: z.string().optional(),
  type: z.number().optional(),
  status: z.number().optional(),
})

const ListAnswer = z.object({
  marker: z.string().optional(),
  items: z.array(ListItem).nullish(),
})

/**
 * The RSF request of one page (exported so tests can check what is sent): to the account's
 * `rsfEndpoint`, else its bucket's region's RSF host when it routes by region, else the default.
 */
export function listUrl(account: QiniuAccount, bucket: string, prefix: string, marker: string | null, limit: number, regionRsf?: string): URL {
  const base = account.rsfEndpoint ?? regionRsf ?? DEFAULT_RSF_ENDPOINT
  // encodeURIComponent rather than URLSearchParams: a space goes as %20, never '+', so the query
  // means the same to any decoder; both tokens sign the raw query as sent.
  const query = [`bucket=${encodeURIComponent(bucket)}`, `marker=${encodeURIComponent(marker ?? '')}`, `limit=${limit}`, `prefix=${encodeURIComponent(prefix)}`]
  return new URL(`${base}/list?${query.join('&')}`)
}

/** One RSF answer body → a page; throws ObjectIOError when it is not the documented shape. */
export function parseListAnswer(text: string): ListPage {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ObjectIOError('ProviderError', 'Qiniu RSF answered a list that is not JSON', true)
  }
  const parsed = ListAnswer.safeParse(json)
  if (!parsed.success) throw new ObjectIOError('ProviderError', `Qiniu RSF answered a list of an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`, true)
  return {
    objects: (parsed.data.items ?? []).map((i) => ({
      key: i.key,
      size: i.fsize,
      lastModified: new Date(Math.floor(i.putTime / 10_000)).toISOString(),
      etag: i.hash,
    })),
    next: parsed.data.marker ? parsed.data.marker : null,
  }
}

export function createQiniuLister(account: QiniuAccount, deps: QiniuIODeps): ObjectLister {
  return {
    async list(bucket, prefix, cursor, opts = {}) {
      if (bucket === '' || bucket.includes(':')) throw new ObjectIOError('InvalidArgument', 'a Qiniu bucket name is non-empty and has no ":"', false)
      const limit = opts.limit ?? QINIU_LIST_LIMIT
      if (!Number.isInteger(limit) || limit < 1) throw new ObjectIOError('InvalidArgument', `a page limit is a whole number ≥ 1, not ${limit}`, false)
      const hosts = account.rsfEndpoint === undefined ? await regionHosts(deps, bucket, opts.signal) : undefined
      const url = listUrl(account, bucket, prefix, cursor, Math.min(limit, QINIU_LIST_LIMIT), hosts?.rsf)
      const answer = await send(deps, await managementRequest(account, 'GET', url, new Date()), 'Qiniu RSF', opts.signal)
      const text = await readBody(answer, (r) => r.text(), 'Qiniu RSF', opts.signal)
      if (answer.status !== 200) throw qiniuIOError(answer.status, text, 'Qiniu RSF')
      return parseListAnswer(text)
    },
  }
}
