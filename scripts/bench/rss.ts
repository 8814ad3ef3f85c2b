/**
 * Memory of the workerd process Miniflare runs the Worker in (Linux /proc): finding its pid among
 * this process's children, reading its resident set (VmRSS) and peak (VmHWM), resetting the peak,
 * and sampling VmRSS on a timer.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]. */
function statOf(pid: number): { comm: string; ppid: number; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const open = stat.indexOf('(')
    const close = stat.lastIndexOf(')')
    const rest = stat.slice(close + 2).split(' ')
    return { comm: stat.slice(open + 1, close), ppid: Number(rest[1]), startTicks: Number(rest[19]) }
  } catch {
    return undefined
  }
}

/** Descendants of `root` (default this process) whose command is workerd, newest first. */
export function workerdPids(root = process.pid): number[] {
  if (process.platform !== 'linux') return []
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .flatMap((pid) => {
      const s = statOf(pid)
      return s ? [{ pid, ...s }] : []
    })
  const children = new Map<number, typeof all>()
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p])
  const found: typeof all = []
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      if (c.comm.startsWith('workerd')) found.push(c)
      walk(c.pid)
    }
  }
  walk(root)
  return found.sort((a, b) => b.startTicks - a.startTicks).map((p) => p.pid)
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM, ...), or NaN when unreadable. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : NaN
  } catch {
    return NaN
  }
}

/** Resets VmHWM to the current RSS (writes 5 to clear_refs); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

export interface RssSample {
  /** Milliseconds since the sampler started. */
  t: number
  bytes: number
}

/** Samples VmRSS every `intervalMs` until stopped. */
export function sampleRss(pid: number, intervalMs: number): { stop(): RssSample[] } {
  const t0 = performance.now()
  const samples: RssSample[] = []
  const take = () => {
    const bytes = statusBytes(pid, 'VmRSS')
    if (Number.isFinite(bytes)) samples.push({ t: performance.now() - t0, bytes })
  }
  take()
  const timer = setInterval(take, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      take()
      return samples
    },
  }
}

/** CPU milliseconds (user + system) `pid` has used so far, from /proc/<pid>/stat; NaN when unreadable. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLOCK_TICKS
  } catch {
    return NaN
  }
}
const CLOCK_TICKS = 100

/** CPU milliseconds of each thread of `pid` so far (/proc/<pid>/task/<tid>/stat), by thread id. */
export function threadCpuMs(pid: number): Map<number, number> {
  const out = new Map<number, number>()
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        out.set(Number(tid), ((Number(rest[11]) + Number(rest[12])) * 1000) / CLOCK_TICKS)
      } catch {
        // the thread ended
      }
    }
  } catch {
    // no such process
  }
  return out
}

/** The largest per-thread CPU increase between two {@link threadCpuMs} readings, and the thread count. */
export function busiestThread(before: Map<number, number>, after: Map<number, number>): { ms: number; threads: number } {
  let ms = 0
  for (const [tid, t] of after) ms = Math.max(ms, t - (before.get(tid) ?? 0))
  return { ms, threads: after.size }
}

export const MiB = 1024 * 1024

/**
 * Nanoseconds each thread of `pid` has run on a CPU so far (/proc/<pid>/task/<tid>/schedstat, first
 * field: exact, unlike the 10 ms ticks of stat), by thread id.
 */
export function threadRunNs(pid: number): Map<number, number> {
  const out = new Map<number, number>()
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        out.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]))
      } catch {
        // the thread ended
      }
    }
  } catch {
    // no such process
  }
  return out
}
