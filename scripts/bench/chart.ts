/**
 * Console charts: a side-by-side histogram of two latency distributions over shared bins, and a
 * horizontal bar chart of named values (for the phase breakdown).
 */

export interface Series {
  label: string
  /** One character used for the bars. */
  glyph: string
  samples: readonly number[]
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1))

/**
 * Both series share the bins, from the smallest sample to the 99th-percentile-ish top; anything
 * beyond the last edge is counted in an open "≥" bin so one outlier does not squash the chart.
 */
export function histogram(a: Series, b: Series, opts: { bins?: number; width?: number } = {}): string {
  const bins = opts.bins ?? 16
  const width = opts.width ?? 28
  const all = [...a.samples, ...b.samples].sort((x, y) => x - y)
  if (all.length === 0) return '(no samples)'
  const lo = Math.floor(all[0]!)
  // Top edge: the largest sample, unless a few outliers sit far above the rest.
  const p98 = all[Math.min(all.length - 1, Math.floor(all.length * 0.98))]!
  const max = all[all.length - 1]!
  const top = max > p98 * 1.5 ? p98 : max
  const step = niceStep((top - lo) / bins)
  const edges: number[] = []
  for (let e = lo; e <= top; e += step) edges.push(e)
  const count = (samples: readonly number[]) => {
    const c = new Array<number>(edges.length).fill(0)
    for (const s of samples) c[Math.min(edges.length - 1, Math.max(0, Math.floor((s - lo) / step)))]!++
    return c
  }
  const ca = count(a.samples)
  const cb = count(b.samples)
  const peak = Math.max(1, ...ca, ...cb)
  const bar = (n: number, glyph: string) => {
    const len = n === 0 ? 0 : Math.max(1, Math.round((n / peak) * width))
    return (glyph.repeat(len) + ' ' + (n || '')).padEnd(width + 4)
  }
  const labelW = Math.max(...edges.map((e, i) => rangeLabel(e, step, i === edges.length - 1 && top !== max).length))
  const lines = [
    `${''.padEnd(labelW)}     ${(a.glyph + ' ' + a.label).padEnd(width + 4)} ${b.glyph} ${b.label}`,
  ]
  edges.forEach((e, i) => {
    const label = rangeLabel(e, step, i === edges.length - 1 && top !== max)
    lines.push(`${label.padStart(labelW)} ms │${bar(ca[i]!, a.glyph)}│${bar(cb[i]!, b.glyph)}`)
  })
  return lines.join('\n')
}

function rangeLabel(edge: number, step: number, open: boolean): string {
  return open ? `≥ ${fmt(edge)}` : `${fmt(edge)}–${fmt(edge + step)}`
}

/** A step of 1, 2 or 5 × 10^k at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p
  return 10 * p
}

/** Horizontal bars of named values, e.g. the phases of one call. */
export function bars(rows: ReadonlyArray<{ label: string; value: number; note?: string }>, opts: { width?: number; unit?: string } = {}): string {
  const width = opts.width ?? 40
  const unit = opts.unit ?? 'ms'
  const peak = Math.max(1e-9, ...rows.map((r) => r.value))
  const labelW = Math.max(...rows.map((r) => r.label.length))
  return rows
    .map((r) => {
      const len = r.value <= 0 ? 0 : Math.max(1, Math.round((r.value / peak) * width))
      return `${r.label.padEnd(labelW)} │${'█'.repeat(len).padEnd(width)} ${r.value.toFixed(2).padStart(7)} ${unit}${r.note ? '  ' + r.note : ''}`
    })
    .join('\n')
}

/**
 * Horizontal bars of ratios (e.g. gateway ÷ direct per provider) from 0×, with the goal marked:
 * `█` up to the goal, `▒` beyond it, `┆` at the goal when a bar stops short of it. Rows without a
 * ratio show their note only. A scale line follows.
 */
export function ratioBars(
  rows: ReadonlyArray<{ label: string; ratio: number | undefined; note?: string }>,
  opts: { goal: number; width?: number },
): string {
  const width = opts.width ?? 40
  const top = Math.max(opts.goal * 1.1, ...rows.map((r) => (r.ratio === undefined ? 0 : r.ratio * 1.02)))
  const col = (x: number) => Math.round((x / top) * width)
  const goalCol = col(opts.goal)
  const labelW = Math.max(...rows.map((r) => r.label.length))
  const lines = rows.map((r) => {
    if (r.ratio === undefined) return `${r.label.padEnd(labelW)} │ ${r.note ?? ''}`
    const len = Math.max(1, col(r.ratio))
    let bar = ''
    for (let k = 0; k < width; k++) bar += k < len ? (k < goalCol ? '█' : '▒') : k === goalCol ? '┆' : ' '
    return `${r.label.padEnd(labelW)} │${bar} ${(r.ratio.toFixed(2) + '×').padStart(6)}${r.note ? '  ' + r.note : ''}`
  })
  // Scale: 0, the goal, and whole multiples where they fall; a label that would touch the previous one is left out.
  const scale = new Array<string>(width).fill('─')
  const ticks: Array<[number, string]> = [[goalCol, `${opts.goal}×`]]
  for (let m = 1; m <= top; m++) ticks.push([col(m), `${m}×`])
  // The goal's label first; the others where they do not touch a placed one.
  const labels = new Array<string>(width + 8).fill(' ')
  for (const [c, text] of ticks) {
    if (c < 1 || c >= width) continue
    scale[c] = '┴'
    const from = Math.max(0, c - 1)
    const to = Math.min(labels.length, c + text.length + 1)
    if (labels.slice(from, to).some((ch) => ch !== ' ')) continue
    for (let k = 0; k < text.length; k++) labels[c + k] = text[k]!
  }
  lines.push(`${''.padEnd(labelW)} └${scale.join('')}`)
  lines.push(`${''.padEnd(labelW)} 0${labels.join('').trimEnd()}`)
  return lines.join('\n')
}

/** Paired bars of two values per row (e.g. gateway and direct p50 ms), on one shared scale. */
export function pairedBars(
  rows: ReadonlyArray<{ label: string; a: number; b: number | undefined }>,
  opts: { a: { label: string; glyph: string }; b: { label: string; glyph: string }; width?: number; unit?: string },
): string {
  const width = opts.width ?? 40
  const unit = opts.unit ?? 'ms'
  const peak = Math.max(1e-9, ...rows.flatMap((r) => [r.a, r.b ?? 0]))
  const labelW = Math.max(...rows.map((r) => r.label.length), 2)
  const bar = (v: number, glyph: string) => glyph.repeat(v <= 0 ? 0 : Math.max(1, Math.round((v / peak) * width))).padEnd(width)
  const lines = [`${''.padEnd(labelW)}  ${opts.a.glyph} ${opts.a.label}   ${opts.b.glyph} ${opts.b.label}`]
  for (const r of rows) {
    lines.push(`${r.label.padEnd(labelW)} │${bar(r.a, opts.a.glyph)} ${r.a.toFixed(1).padStart(7)} ${unit}`)
    lines.push(`${''.padEnd(labelW)} │${r.b === undefined ? '(none)'.padEnd(width) : bar(r.b, opts.b.glyph)} ${r.b === undefined ? '' : `${r.b.toFixed(1).padStart(7)} ${unit}`}`)
  }
  return lines.join('\n')
}

/** Keeps at most `max` evenly spaced items (and the last). */
export function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs]
  const step = xs.length / max
  const out: T[] = []
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]!)
  out.push(xs[xs.length - 1]!)
  return out
}
