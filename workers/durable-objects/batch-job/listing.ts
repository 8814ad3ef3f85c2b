import { ObjectIOError, type ObjectLister } from '../../../shared/engine/types.ts'
import { generatedRows } from '../../../shared/manifest/generated-manifest.ts'
import type { ManifestGenerator } from '../../../shared/schemas/job.ts'
import { appendInline } from './job-db.ts'

/**
 * Where a manifest generator's listing stands: the provider's cursor and what it found so far;
 * `failures` counts consecutive failed provider reads while preparing (listing pages, then
 * manifest windows), so retries stay bounded across alarms and evictions.
 */
export const LISTING_SCHEMA = `CREATE TABLE IF NOT EXISTS listing (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cursor TEXT, done INTEGER NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0,
  listed INTEGER NOT NULL DEFAULT 0, matched INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0)`

export type ListingRow = { cursor: string | null; done: number; pages: number; listed: number; matched: number; failures: number }

/** Consecutive failed page reads before the job fails; each waits longer (capped) than the one before. */
const MAX_LIST_FAILURES = 8
const MAX_BACKOFF_MS = 5_000

/** The listing's progress for a description, without writing anything. */
export function readListing(sql: SqlStorage): ListingRow | undefined {
  return sql.exec<ListingRow>('SELECT cursor, done, pages, listed, matched, failures FROM listing WHERE id = 1').toArray()[0]
}

export function listingState(sql: SqlStorage): ListingRow {
  sql.exec('INSERT OR IGNORE INTO listing (id) VALUES (1)')
  return sql.exec<ListingRow>('SELECT cursor, done, pages, listed, matched, failures FROM listing WHERE id = 1').one()
}

export interface ListStepOptions {
  budgetMs: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

/**
 * One step of a manifest generator: lists pages from the stored cursor and appends each page's
 * rows to the job's own manifest together with the next cursor (no await between the writes, so
 * they commit as one). An eviction mid-page loses only the page in flight, which is listed again
 * from the same cursor: no key enters the manifest twice.
 */
export async function listStep(sql: SqlStorage, lister: ObjectLister, gen: ManifestGenerator, opts: ListStepOptions): Promise<{ done: boolean; error?: { code: string; message: string } }> {
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const deadline = now() + opts.budgetMs
  let state = listingState(sql)
  while (!state.done && now() < deadline) {
    let page
    try {
      page = await lister.list(gen.sourceBucket, gen.prefix ?? '', state.cursor)
    } catch (err) {
      // Anything but a provider's definite refusal (a dropped connection, say) is worth another try.
      const retriable = err instanceof ObjectIOError ? err.retriable : true
      const code = err instanceof ObjectIOError ? err.code : 'InternalError'
      const failures = state.failures + 1
      if (!retriable || failures >= MAX_LIST_FAILURES)
        return { done: false, error: { code: 'ManifestListingFailed', message: `listing ${gen.sourceBucket} failed (${code}${retriable ? `, ${failures} times` : ''}): ${(err as Error).message}` } }
      sql.exec('UPDATE listing SET failures = ? WHERE id = 1', failures)
      await sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures))
      state = listingState(sql)
      continue
    }
    const { text, rows } = generatedRows(gen.sourceBucket, page.objects, gen.filters)
    const size = sql.exec<{ manifest_size: number | null }>('SELECT manifest_size FROM job WHERE id = 1').one().manifest_size ?? 0
    const grown = appendInline(sql, text, size)
    sql.exec('UPDATE job SET manifest_size = ? WHERE id = 1', grown)
    sql.exec(
      'UPDATE listing SET cursor = ?, done = ?, pages = pages + 1, listed = listed + ?, matched = matched + ?, failures = 0 WHERE id = 1',
      page.next, page.next === null ? 1 : 0, page.objects.length, rows,
    )
    state = listingState(sql)
  }
  return { done: state.done === 1 }
}
