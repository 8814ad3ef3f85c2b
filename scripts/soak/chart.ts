/**
 * Console charts of the soak: a job's progress samples as rates over time (block-character
 * sparklines on a shared time axis).
 */

/** One progress sample: seconds since the job was created, tasks done, faults fired so far. */
export interface Sample {
  t: number
  done: number
  faults: number
}

const BLOCKS = '▁▂▃▄▅▆▇█'

/** One character per value, scaled to the largest (a zero shows as a blank). */
export function sparkline(values: readonly number[]): string {
  const peak = Math.max(0, ...values)
  return values.map((v) => (v <= 0 || peak === 0 ? ' ' : BLOCKS[Math.min(BLOCKS.length - 1, Math.floor((v / peak) * BLOCKS.length))]!)).join('')
}

/**
 * Rates per time slot: the span of the samples cut into `width` equal slots, each slot's value
 * the growth of `field` across it divided by its seconds (samples interpolated at the edges).
 */
export function ratesOverTime(samples: readonly Sample[], field: 'done' | 'faults', width: number): { rates: number[]; slotSeconds: number } {
  if (samples.length < 2) return { rates: [], slotSeconds: 0 }
  const t0 = samples[0]!.t
  const span = samples[samples.length - 1]!.t - t0
  const slots = Math.max(1, Math.min(width, Math.floor(span)))
  const slot = span / slots
  const at = (t: number) => {
    let i = 1
    while (i < samples.length - 1 && samples[i]!.t < t) i++
    const a = samples[i - 1]!
    const b = samples[i]!
    const f = b.t === a.t ? 1 : Math.min(1, Math.max(0, (t - a.t) / (b.t - a.t)))
    return a[field] + (b[field] - a[field]) * f
  }
  const rates: number[] = []
  for (let k = 0; k < slots; k++) rates.push((at(t0 + (k + 1) * slot) - at(t0 + k * slot)) / slot)
  return { rates, slotSeconds: slot }
}

/** The keys/s and faults/s sparklines over the job's run, with their scales and time axis. */
export function progressChart(samples: readonly Sample[], width = 60): string {
  const keys = ratesOverTime(samples, 'done', width)
  const faults = ratesOverTime(samples, 'faults', width)
  if (keys.rates.length === 0) return '(too few samples for a chart)'
  const n = (x: number) => Math.round(x).toLocaleString('en-US')
  const t0 = samples[0]!.t
  const t1 = samples[samples.length - 1]!.t
  const cols = keys.rates.length
  const axis = `${t0.toFixed(0)} s`.padEnd(cols - `${t1.toFixed(0)} s`.length) + `${t1.toFixed(0)} s`
  return [
    `keys/s   │${sparkline(keys.rates)}│ peak ${n(Math.max(...keys.rates))}, mean ${n((samples[samples.length - 1]!.done - samples[0]!.done) / (t1 - t0))}`,
    `faults/s │${sparkline(faults.rates)}│ peak ${n(Math.max(0, ...faults.rates))}`,
    `          ${axis}  (${keys.slotSeconds.toFixed(1)} s a column)`,
  ].join('\n')
}

/** Horizontal bars of counts with a note each (faults by kind). */
export function countBars(rows: ReadonlyArray<{ label: string; value: number; note: string }>, width = 30): string {
  const peak = Math.max(1, ...rows.map((r) => r.value))
  const labelW = Math.max(...rows.map((r) => r.label.length))
  const numW = Math.max(...rows.map((r) => r.value.toLocaleString('en-US').length))
  return rows
    .map((r) => {
      const len = r.value <= 0 ? 0 : Math.max(1, Math.round((r.value / peak) * width))
      return `${r.label.padEnd(labelW)} │${'█'.repeat(len).padEnd(width)} ${r.value.toLocaleString('en-US').padStart(numW)} ${r.note}`
    })
    .join('\n')
}
