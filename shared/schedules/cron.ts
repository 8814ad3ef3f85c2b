import { Cron } from 'croner'

/**
 * Schedules fire at most this often. Each run is a whole batch job (manifest, chunks, report), so a
 * schedule firing more often would pile up jobs faster than one usually ends, and each run costs the
 * per-minute cron tick a share of its subrequest budget.
 */
export const MIN_INTERVAL_MS = 5 * 60 * 1000
/** Runs looked at to find a schedule's shortest interval: every pattern repeats within its first day or so. */
const INTERVAL_SAMPLE = 100

export type CronCheck = { ok: true; cron: CronSchedule } | { ok: false; message: string }

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week, as Vixie cron: names,
 * ranges, steps, lists, `L`, `#` and the `@daily`-style nicknames; day-of-month and day-of-week
 * together match either, as crontab does), evaluated in UTC.
 */
export class CronSchedule {
  readonly #cron: Cron

  private constructor(cron: Cron) {
    this.#cron = cron
  }

  /** Parses without the interval rules: for expressions already accepted once. */
  static parse(expression: string): CronSchedule {
    // utcOffset rather than timezone: UTC needs no Intl lookups, and there is no daylight saving.
    return new CronSchedule(new Cron(expression, { mode: '5-part', utcOffset: 0, domAndDow: false }))
  }

  /** Parses and applies the rules a new schedule must meet, with a message for the `cron` field. */
  static check(expression: string, now: number): CronCheck {
    let cron: CronSchedule
    try {
      cron = CronSchedule.parse(expression)
    } catch (err) {
      // croner's messages name the offending field and value ("Invalid value for minute: 61").
      return { ok: false, message: `not a 5-field cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}` }
    }
    const runs = cron.#cron.nextRuns(INTERVAL_SAMPLE, new Date(now))
    if (runs.length === 0) return { ok: false, message: 'never fires' }
    for (let i = 1; i < runs.length; i++)
      if (runs[i]!.getTime() - runs[i - 1]!.getTime() < MIN_INTERVAL_MS)
        return { ok: false, message: `fires more often than every ${MIN_INTERVAL_MS / 60_000} minutes` }
    return { ok: true, cron }
  }

  /** The first fire time strictly after `t`, or null when there is none. */
  nextAfter(t: number): number | null {
    return this.#cron.nextRun(new Date(t))?.getTime() ?? null
  }

  /** The latest fire time at or before `t`, or null when there is none. */
  latestAtOrBefore(t: number): number | null {
    // croner's previousRuns() finds runs strictly before its reference.
    return this.#cron.previousRuns(1, new Date(t + 1))[0]?.getTime() ?? null
  }
}
