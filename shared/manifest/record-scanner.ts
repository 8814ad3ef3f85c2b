/**
 * Record boundaries of an RFC 4180 manifest found over byte windows, without holding the manifest.
 *
 * Written by hand rather than taken from a CSV library: those parse whole strings or streams of
 * rows, while a job needs absolute byte offsets of record ends over arbitrary windows in constant
 * memory, to cut a manifest of millions of rows into byte ranges of N records.
 */

// Structural characters are ASCII, so the same transitions hold over UTF-8 bytes (here) and over
// UTF-16 code units (the parser in manifest-csv.ts, which must cut records at the same places):
// every non-ASCII unit is >= 0x80 in both and is plain data.
/** '"' (byte and UTF-16 code unit). */
export const QUOTE = 0x22
/** ',' (byte and UTF-16 code unit). */
export const COMMA = 0x2c
/** CR (byte and UTF-16 code unit). */
export const CR = 0x0d
/** LF (byte and UTF-16 code unit). */
export const LF = 0x0a

/** At the start of a field: a quote here opens a quoted field. */
const FIELD_START = 0
/** Inside an unquoted field: quotes are data (the parser reports them), commas and line ends are not. */
const UNQUOTED = 1
/** Inside a quoted field: only a quote is special; commas and line ends are data. */
const QUOTED = 2
/** Just after a quote inside a quoted field: a second quote is an escaped one, anything else closes it. */
const QUOTE_IN_QUOTED = 3

/**
 * The next state after a non-terminator character outside a quoted field (or any character inside
 * one); line ends outside quotes are handled by the caller, since they end the record.
 */
function nextState(state: number, c: number): number {
  if (state === QUOTED) return c === QUOTE ? QUOTE_IN_QUOTED : QUOTED
  if (c === COMMA) return FIELD_START
  if (c === QUOTE) return state === UNQUOTED ? UNQUOTED : QUOTED
  // Text after a closing quote is malformed; treating the rest of the field as unquoted keeps a
  // stray quote from swallowing the lines after it, and the parser fails just that record.
  return UNQUOTED
}

const BOM = [0xef, 0xbb, 0xbf]

/**
 * Incremental record-boundary finder over bytes. A record ends at LF, CRLF or a lone CR outside
 * quotes; empty lines are not records (their bytes belong to the range of the record after them).
 * State is the quote state, whether the current line has content, and a pending CR, whatever
 * the input size. A UTF-8 BOM at offset 0 is not content, matching the parser.
 */
export class RecordScanner {
  /** Records whose end this scanner has reported. */
  recordsSeen = 0
  private pos: number
  private state = FIELD_START
  private content = false
  // A CR outside quotes ended a line; whether an LF follows is only known at the next byte.
  private pendingCR = false
  // Bytes of a leading BOM matched so far, -1 once past it (or not starting at offset 0).
  private bom: number
  private done = false

  /** Scans bytes whose first one sits at `startOffset` in the manifest (a record boundary). */
  constructor(startOffset = 0) {
    this.pos = startOffset
    this.bom = startOffset === 0 ? 0 : -1
  }

  /** Absolute offset just past the last byte pushed. */
  get offset(): number {
    return this.pos
  }

  /**
   * Feeds the next window; answers the absolute offsets just past each record completed in it
   * (after its line end; for a last record without one, the end of data once `final`).
   */
  push(bytes: Uint8Array, final: boolean): number[] {
    if (this.done) throw new Error('RecordScanner: push after the final window')
    const ends: number[] = []
    const base = this.pos
    let i = this.bom >= 0 ? this.skipBom(bytes) : 0
    let state = this.state
    let content = this.content
    let pendingCR = this.pendingCR
    for (const n = bytes.length; i < n; i++) {
      const c = bytes[i]!
      if (pendingCR) {
        pendingCR = false
        if (c === LF) {
          if (content) ends.push(base + i + 1)
          content = false
          continue
        }
        if (content) ends.push(base + i)
        content = false
      }
      if (state !== QUOTED && (c === LF || c === CR)) {
        state = FIELD_START
        if (c === CR) pendingCR = true
        else {
          if (content) ends.push(base + i + 1)
          content = false
        }
        continue
      }
      content = true
      state = nextState(state, c)
    }
    this.pos = base + bytes.length
    if (final) {
      // A partly matched BOM at the very end was data after all.
      if (this.bom > 0 && this.bom < 3) content = true
      if (content) ends.push(this.pos)
      this.done = true
    }
    this.state = state
    this.content = content
    this.pendingCR = pendingCR
    this.recordsSeen += ends.length
    return ends
  }

  // Consumes the BOM bytes at the head of the window; on a mismatch the bytes taken so far turn
  // out to be data, which can only put the scanner inside an unquoted field (they are not ASCII).
  private skipBom(bytes: Uint8Array): number {
    let i = 0
    while (i < bytes.length && this.bom >= 0 && this.bom < 3) {
      if (bytes[i] !== BOM[this.bom]) {
        if (this.bom > 0) {
          this.content = true
          this.state = UNQUOTED
        }
        this.bom = -1
        return i
      }
      this.bom++
      i++
    }
    if (this.bom === 3) this.bom = -1
    return i
  }
}
