/** Summary statistics of latency samples (milliseconds). */

export interface Summary {
  n: number
  p50: number
  p95: number
  mean: number
  min: number
  max: number
  stdev: number
}

/**
 * The q-quantile (0..1) by linear interpolation between closest ranks (the "type 7" rule of R and
 * NumPy's default), on a sorted copy.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const n = sorted.length
  const mean = n ? sorted.reduce((s, x) => s + x, 0) / n : NaN
  const variance = n > 1 ? sorted.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0
  return {
    n,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    mean,
    min: sorted[0] ?? NaN,
    max: sorted[n - 1] ?? NaN,
    stdev: Math.sqrt(variance),
  }
}

/** Rounds for the JSON file: 3 decimals is microseconds. */
export const round3 = (x: number) => Math.round(x * 1000) / 1000

export function roundSummary(s: Summary): Summary {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'n' ? v : round3(v)])) as unknown as Summary
}
