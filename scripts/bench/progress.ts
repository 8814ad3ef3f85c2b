/**
 * Progress on stderr: a bar redrawn in place on a terminal, otherwise one line per 10 iterations
 * (so logs and CI output stay readable). Shows the running medians of both kinds.
 */
import type { Writable } from 'node:stream'
import { quantile } from './stats.ts'

export class Progress {
  private readonly total: number
  private readonly stream: Writable & { isTTY?: boolean; columns?: number }
  private readonly started = performance.now()
  private count = 0
  private drawn = false

  constructor(total: number, stream: Writable & { isTTY?: boolean }) {
    this.total = total
    this.stream = stream
  }

  tick(phase: string, samples: { gateway: readonly number[]; direct: readonly number[] }): void {
    this.count++
    const med = (xs: readonly number[]) => (xs.length ? quantile([...xs].sort((a, b) => a - b), 0.5).toFixed(1) : '–')
    const so = `p50 so far: gateway ${med(samples.gateway)} ms, direct ${med(samples.direct)} ms`
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

  done(): void {
    if (this.drawn) this.stream.write('\n')
    this.drawn = false
  }
}
