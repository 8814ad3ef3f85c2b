/**
 * How a cost grows with the size of the work: the same figure measured at several sizes (10, 100
 * and 1,000 operations; 10,000 to 1,000,000 keys), shown with its cost per unit and the growth
 * between consecutive sizes as an exponent k of cost ∝ size^k (1: linear, 0: flat; a per-call
 * floor shows as k < 1 at small sizes).
 */

export interface ScalePoint {
  size: number
  value: number
}

export interface Growth {
  from: number
  to: number
  /** to ÷ from (sizes). */
  sizeFactor: number
  /** value(to) ÷ value(from). */
  valueFactor: number
  /** log(valueFactor) / log(sizeFactor). */
  exponent: number
}

export function growth(points: readonly ScalePoint[]): Growth[] {
  const out: Growth[] = []
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    const sizeFactor = b.size / a.size
    const valueFactor = b.value / a.value
    out.push({ from: a.size, to: b.size, sizeFactor, valueFactor, exponent: Math.log(valueFactor) / Math.log(sizeFactor) })
  }
  return out
}

/** 10 → "10", 100000 → "100k", 1000000 → "1M". */
export function sizeLabel(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`
  return String(n)
}

/** "×10 → ×1.84 (k 0.27)" */
export const growthText = (g: Growth) => `×${g.sizeFactor.toFixed(0)} → ×${g.valueFactor.toFixed(2)} (k ${g.exponent.toFixed(2)})`

/**
 * A table, one row per label: the value at each size, the value per `unit` units of work, and the
 * growth between consecutive sizes.
 */
export function scalingTable(o: {
  rows: ReadonlyArray<{ label: string; points: readonly ScalePoint[] }>
  /** Column title of the value, e.g. 'p50 ms'. */
  value: string
  /** Units the per-unit column counts, e.g. 1000 → "per 1,000". */
  unit: number
  unitName: string
  digits?: number
  labelWidth?: number
}): string[] {
  const d = o.digits ?? 2
  const sizes = [...new Set(o.rows.flatMap((r) => r.points.map((p) => p.size)))].sort((a, b) => a - b)
  const lw = o.labelWidth ?? Math.max(8, ...o.rows.map((r) => r.label.length + 1))
  const cw = 10
  const per = `per ${o.unit.toLocaleString('en-US')} ${o.unitName}`
  const lines = [
    `${''.padEnd(lw)}${`${o.value} at size`.padEnd(cw * sizes.length)}  ${per.padEnd(cw * sizes.length)}  growth between sizes (cost ∝ size^k)`,
    `${''.padEnd(lw)}${sizes.map((s) => sizeLabel(s).padStart(cw)).join('')}  ${sizes.map((s) => sizeLabel(s).padStart(cw)).join('')}  `,
  ]
  for (const r of o.rows) {
    const at = (s: number) => r.points.find((p) => p.size === s)
    const vals = sizes.map((s) => (at(s) ? at(s)!.value.toFixed(d) : '–').padStart(cw)).join('')
    const pers = sizes.map((s) => (at(s) ? ((at(s)!.value / s) * o.unit).toFixed(d) : '–').padStart(cw)).join('')
    lines.push(`${r.label.padEnd(lw)}${vals}  ${pers}  ${growth(r.points).map(growthText).join(', ')}`)
  }
  return lines
}

/** The JSON form of one row: points with per-unit values, and the growths. */
export function scalingJson(points: readonly ScalePoint[], unit: number) {
  const r = (x: number) => Math.round(x * 1000) / 1000
  return {
    points: points.map((p) => ({ size: p.size, value: r(p.value), perUnit: r((p.value / p.size) * unit) })),
    perUnitOf: unit,
    growth: growth(points).map((g) => ({ from: g.from, to: g.to, valueFactor: r(g.valueFactor), exponent: r(g.exponent) })),
  }
}
