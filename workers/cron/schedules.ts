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

export const CRONS = [WATCHDOG_CRON] as const
export type Cron = (typeof CRONS)[number]
