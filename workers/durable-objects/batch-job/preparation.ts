import { RecordScanner } from '../../../shared/manifest/manifest-csv.ts'

/** Tasks per chunk where a provider batch call carries them (Qiniu /batch, multi-delete, PDS). */
export const CHUNK_ROWS = 1000
/** Tasks per chunk where each costs its own calls (up to two: HEAD + PUT copy): within 1,000 subrequests. */
export const PER_OBJECT_CHUNK_ROWS = 400

/**
 * How many tasks one chunk (one consumer invocation) carries: a provider batch endpoint takes a
 * thousand in one or ten calls, but per-object calls must fit the invocation's subrequest limit.
 */
export function chunkRowsFor(provider: string, op: string): number {
  if (provider === 'qiniu' || provider === 'pds') return CHUNK_ROWS
  return op === 'delete' ? CHUNK_ROWS : PER_OBJECT_CHUNK_ROWS
}
/**
 * The subrequests one chunk may take on its first run: its provider calls (a batch endpoint's call
 * per 1,000 ops — per 100 on PDS — or up to two per object) and the consumer's own three (the job
 * object's beginChunk and completeChunk, the manifest range read). The chunk consumer takes
 * several chunk messages per invocation and runs together only as many as fit its budget.
 */
export function chunkSubrequests(provider: string, op: string, rows: number): number {
  const calls = provider === 'pds' ? Math.ceil(rows / 100) : provider === 'qiniu' || op === 'delete' ? Math.ceil(rows / CHUNK_ROWS) : rows * 2
  return calls + 3
}

const WINDOW_BYTES = 1024 * 1024
/** A record longer than this cannot be cut into a chunk; such a manifest fails. */
export const MAX_WINDOW_BYTES = 16 * 1024 * 1024
/** How far a single over-long record is scanned for its end before the manifest is given up on. */
const MAX_RECORD_SCAN_BYTES = 1024 * 1024 * 1024

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
      // One record longer than the largest window: scan on for its end without keeping its bytes,
      // and make it a chunk of its own, which the consumer fails as one row without reading it.
      const scanner = new RecordScanner(offset)
      let pos = offset
      let recordEnd: number | undefined
      while (recordEnd === undefined) {
        if (pos - offset >= MAX_RECORD_SCAN_BYTES) return { done: false, error: `a manifest record starting at byte ${offset} is longer than ${MAX_RECORD_SCAN_BYTES} bytes` }
        const to = Math.min(source.size, pos + WINDOW_BYTES)
        recordEnd = scanner.push(await source.read(pos, to), to === source.size)[0]
        pos = to
      }
      add(offset, recordEnd, 1)
      offset = recordEnd
      window = WINDOW_BYTES
    }
    sql.exec('UPDATE job SET prep_offset = ?, total = ? WHERE id = 1', offset, total)
  }
  return { done: offset >= source.size }
}
