/**
 * The Worker's cron expressions, the one place they are written in TypeScript: `scheduled()`
 * switches on them and the tests fire them. `wrangler.toml` `[triggers] crons` lists the same
 * strings (a test checks that the two agree).
 */

/**
 * The watchdogs of §7. Every 5 minutes, the same as a chunk's lease (`LEASE_MS`), so a lease whose
 * alarm was lost is re-driven at most one lease later.
 */
export const WATCHDOG_CRON = '*/5 * * * *'

/**
 * Starts the due runs of /v1/schedules. Every minute, so a run starts within a minute of its fire
 * time; in its own invocation rather than the watchdog's, so neither eats the other's subrequests.
 */
export const SCHEDULE_RUNS_CRON = '* * * * *'

export const CRONS = [WATCHDOG_CRON, SCHEDULE_RUNS_CRON] as const
export type Cron = (typeof CRONS)[number]
