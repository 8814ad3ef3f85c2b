/** The closing table: every goal of the issue, the figure behind it, met or missed, and the load. */

export interface GoalLine {
  section: 'sync' | 'jobs' | 'prep'
  goal: string
  /** What the figure is about: a provider, a size. */
  subject: string
  figure: string
  /** null: shown for its scaling, not judged (the issue sets the goal at another size). */
  met: boolean | null
}

export function printGoals(out: (s?: string) => void, goals: readonly GoalLine[], o: { start: number[]; end: number[]; cores: number }): void {
  if (goals.length === 0) return
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  out(`== goals (machine load average ${load(o.start)} at the start, ${load(o.end)} at the end, 1/5/15 min, on ${o.cores} cores)`)
  let last = ''
  const sw = Math.max(...goals.map((g) => g.subject.length)) + 2
  const fw = Math.max(...goals.map((g) => g.figure.length)) + 2
  for (const g of goals) {
    if (g.goal !== last) out(`  ${g.section.padEnd(5)} ${g.goal}`)
    last = g.goal
    out(`        ${g.subject.padEnd(sw)}${g.figure.padEnd(fw)}${g.met === null ? 'not judged (scaling)' : g.met ? 'met' : 'MISSED'}`)
  }
  const judged = goals.filter((g) => g.met !== null)
  const missed = judged.filter((g) => !g.met).length
  out(`  ${judged.length - missed} of ${judged.length} met`)
  out()
}
