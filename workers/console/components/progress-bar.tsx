import type { ProgressSummary } from '../../durable-objects/batch-job/types.ts'

const WIDTH = 1000

/** Succeeded (green) then failed (red) out of the job's tasks, as SVG: no inline style under the CSP. */
export function ProgressBar({ progress }: { progress: ProgressSummary }) {
  const total = progress.totalNumberOfTasks
  const ok = progress.numberOfTasksSucceeded
  const bad = progress.numberOfTasksFailed
  const okW = total > 0 ? Math.round((ok / total) * WIDTH) : 0
  const badW = total > 0 ? Math.min(WIDTH - okW, Math.round((bad / total) * WIDTH)) : 0
  const pct = total > 0 ? Math.floor(((ok + bad) / total) * 100) : 0
  return (
    <div class="progress" data-testid="progress" data-succeeded={ok} data-failed={bad} data-total={total}>
      <svg class="bar" viewBox={`0 0 ${WIDTH} 12`} preserveAspectRatio="none" role="img" aria-label={`${ok} succeeded, ${bad} failed of ${total}`}>
        <rect class="rest" x="0" y="0" width={WIDTH} height="12" />
        <rect class="ok" x="0" y="0" width={okW} height="12" />
        <rect class="bad" x={okW} y="0" width={badW} height="12" />
      </svg>
      <div class="legend">
        {fmt(ok)} succeeded · {fmt(bad)} failed · {fmt(total)} total ({pct}%)
      </div>
    </div>
  )
}

export const fmt = (n: number) => n.toLocaleString('en-US')

/** `95` → `1m 35s`. */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`
}
