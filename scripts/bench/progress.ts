/**
 * Progress on stderr: a bar redrawn in place on a terminal, otherwise one line per 10 iterations
 * (so logs and CI output stay readable). Shows the running medians of both kinds (or a given text).
 */
import type { Writable } from 'node:stream'
import { quantile } from './stats.ts'

/** The median of `xs` to 0.1 ms, or '–' with none yet. */
export const median = (xs: readonly number[]) => (xs.length ? quantile([...xs].sort((a, b) => a - b), 0.5).toFixed(1) : '–')

export class Progress {
  private readonly total: number
  private readonly stream: Writable & { isTTY?: boolean; columns?: number }
  private readonly started = performance.now()
  private count = 0
  private drawn = false
  private lastLine = -Infinity
  private printed = -1

  constructor(total: number, stream: Writable & { isTTY?: boolean }) {
    this.total = total
    this.stream = stream
  }

  /** One step done; `samples` (gateway and direct so far) or a ready-made status text. */
  tick(phase: string, samples: { gateway: readonly number[]; direct: readonly number[] } | string): void {
    this.count++
    const so = typeof samples === 'string' ? samples : `p50 so far: gateway ${median(samples.gateway)} ms, direct ${median(samples.direct)} ms`
    const secs = ((performance.now() - this.started) / 1000).toFixed(0)
    const n = `${String(this.count).padStart(String(this.total).length)}/${this.total}`
    if (this.stream.isTTY) {
      const width = 24
      const filled = Math.round((this.count / this.total) * width)
      this.stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n} ${phase.padEnd(9)} ${so}  ${secs}s`)
      this.drawn = true
    } else if (this.count % 10 === 0 || this.count === this.total) {
      this.stream.write(`[${n}] ${phase.padEnd(9)} ${so}  (${secs}s)\n`)
    }
  }

  /**
   * Sets the count to `count` (of the total) with a status text, for work measured in units rather
   * than steps (tasks of a job). Off a terminal, a line at most every `everyMs` and at the end.
   */
  update(count: number, phase: string, text: string, everyMs = 2000): void {
    this.count = Math.min(this.total, Math.max(0, count))
    const secs = ((performance.now() - this.started) / 1000).toFixed(1)
    const n = `${String(this.count).padStart(String(this.total).length)}/${this.total}`
    if (this.stream.isTTY) {
      const width = 24
      const filled = Math.round((this.count / this.total) * width)
      this.stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n} ${phase.padEnd(10)} ${text}  ${secs}s`)
      this.drawn = true
    } else if (performance.now() - this.lastLine >= everyMs || (this.count === this.total && this.printed !== this.total)) {
      this.lastLine = performance.now()
      this.printed = this.count
      this.stream.write(`[${n}] ${phase.padEnd(10)} ${text}  (${secs}s)\n`)
    }
  }

  done(): void {
    if (this.drawn) this.stream.write('\n')
    this.drawn = false
  }
}
