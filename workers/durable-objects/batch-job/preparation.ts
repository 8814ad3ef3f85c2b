import { RecordScanner } from '../../../shared/manifest/manifest-csv.ts'

/** Tasks per chunk: one provider batch call on Qiniu, S3/OSS multi-delete and R2. */
export const CHUNK_ROWS = 1000
const WINDOW_BYTES = 1024 * 1024
/** A record longer than this cannot be cut into a chunk; such a manifest fails. */
const MAX_WINDOW_BYTES = 16 * 1024 * 1024

export interface ManifestSource {
  size: number
  read(start: number, end: number): Promise<Uint8Array>
}

export interface PrepareOptions {
  chunkRows: number
  /** Stop after this much wall time and let the next alarm go on from the checkpoint. */
  budgetMs: number
  now?: () => number
}

/**
 * One step of preparation: reads the manifest window by window from the checkpoint, cuts byte
 * ranges of `chunkRows` records at record boundaries, and stores each window's chunks together
 * with the new checkpoint (no await between them, so they commit together). Memory holds one
 * window, whatever the manifest's size.
 */
export async function prepareStep(sql: SqlStorage, source: ManifestSource, opts: PrepareOptions): Promise<{ done: boolean; error?: string }> {
  const now = opts.now ?? Date.now
  const deadline = now() + opts.budgetMs
  const state = sql.exec<{ prep_offset: number; total: number }>('SELECT prep_offset, total FROM job WHERE id = 1').one()
  let offset = state.prep_offset
  let total = state.total
  let window = WINDOW_BYTES
  const add = (start: number, end: number, rows: number) => {
    sql.exec(`INSERT INTO chunk (start_byte, end_byte, first_row, rows, state) VALUES (?, ?, ?, ?, 'pending')`, start, end, total + 1, rows)
    total += rows
  }
  while (offset < source.size && now() < deadline) {
    const end = Math.min(source.size, offset + window)
    const final = end === source.size
    const bytes = await source.read(offset, end)
    const ends = new RecordScanner(offset).push(bytes, final)
    let chunkStart = offset
    let count = 0
    for (const e of ends) {
      if (++count === opts.chunkRows) {
        add(chunkStart, e, count)
        chunkStart = e
        count = 0
      }
    }
    if (final) {
      if (count > 0) add(chunkStart, ends[ends.length - 1] as number, count)
      offset = source.size
    } else if (chunkStart > offset) {
      offset = chunkStart
      window = WINDOW_BYTES
    } else if (window < MAX_WINDOW_BYTES) {
      window *= 2
      continue
    } else if (count > 0) {
      // Very long rows: take what the largest window holds as a smaller chunk.
      const last = ends[ends.length - 1] as number
      add(chunkStart, last, count)
      offset = last
      window = WINDOW_BYTES
    } else {
      return { done: false, error: `a manifest record starting at byte ${offset} is longer than ${MAX_WINDOW_BYTES} bytes` }
    }
    sql.exec('UPDATE job SET prep_offset = ?, total = ? WHERE id = 1', offset, total)
  }
  return { done: offset >= source.size }
}
