const WIDTH = 600

/** Failed tasks by unified error code (the description's `failuresByCode`), largest first, as SVG bars. */
export function FailureChart({ failuresByCode }: { failuresByCode: Record<string, number> }) {
  const rows = Object.entries(failuresByCode).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (rows.length === 0) return <p class="muted" data-testid="failure-chart">No failed tasks.</p>
  const max = rows[0]?.[1] ?? 1
  return (
    <table class="chart" data-testid="failure-chart">
      <tbody>
        {rows.map(([code, n]) => (
          <tr data-code={code} data-count={n}>
            <td class="code mono">{code}</td>
            <td>
              <svg viewBox={`0 0 ${WIDTH} 18`} preserveAspectRatio="none" role="img" aria-label={`${code}: ${n}`}>
                <rect x="0" y="0" height="18" rx="3" width={Math.max(2, Math.round((n / max) * WIDTH))} />
              </svg>
            </td>
            <td class="num">{n.toLocaleString('en-US')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
