import { ObjectIOError, type ProviderAdapter } from '../../../shared/engine/types.ts'
import type { JobRow } from './job-db.ts'
import { listingState, listStep } from './listing.ts'
import { manifestSource } from './manifest-source.ts'
import { chunkRowsFor, prepareStep } from './preparation.ts'
import type { JobSpec } from './types.ts'

const PREP_BUDGET_MS = 5_000
const MAX_READ_FAILURES = 8
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export type PrepareOutcome = { kind: 'more' } | { kind: 'prepared' } | { kind: 'failed'; code: string; message: string }

/**
 * One alarm's worth of preparation: a manifest generator's listing first (its rows are appended
 * to the job's own manifest), then cutting the manifest into chunks. Each part resumes from its
 * own checkpoint, so an eviction costs at most the page or window in flight.
 */
export async function prepareJob(sql: SqlStorage, spec: JobSpec, adapter: ProviderAdapter | undefined): Promise<PrepareOutcome> {
  if (spec.manifestGenerator && !listingState(sql).done) {
    if (!adapter?.lister) return { kind: 'failed', code: 'ManifestListingFailed', message: `objects cannot be listed on the ${spec.account} account` }
    const step = await listStep(sql, adapter.lister, spec.manifestGenerator, { budgetMs: PREP_BUDGET_MS })
    if (step.error) return { kind: 'failed', ...step.error }
    if (!step.done) return { kind: 'more' }
  }
  const row = sql.exec<JobRow>('SELECT * FROM job WHERE id = 1').one()
  let step
  try {
    const source = await manifestSource(sql, spec, row, adapter?.objects)
    if ('error' in source) return { kind: 'failed', code: source.code, message: source.error }
    step = await prepareStep(sql, source, { chunkRows: chunkRowsFor(adapter?.provider ?? '', spec.operation.op), budgetMs: PREP_BUDGET_MS })
  } catch (err) {
    // A failed HEAD or window read: what was cut before it is kept; the read is tried again after
    // a backoff, unless the provider refused for good or the reads keep failing.
    const failures = listingState(sql).failures + 1
    const retriable = err instanceof ObjectIOError ? err.retriable : true
    if (!retriable || failures >= MAX_READ_FAILURES)
      return { kind: 'failed', code: 'ManifestUnreadable', message: `the manifest could not be read${retriable ? ` (${failures} tries)` : ''}: ${(err as Error).message}` }
    sql.exec('UPDATE listing SET failures = ? WHERE id = 1', failures)
    await sleep(Math.min(5_000, 100 * 2 ** failures))
    return { kind: 'more' }
  }
  sql.exec('UPDATE listing SET failures = 0 WHERE id = 1')
  if (step.error) return { kind: 'failed', code: 'InvalidManifest', message: step.error }
  return step.done ? { kind: 'prepared' } : { kind: 'more' }
}
