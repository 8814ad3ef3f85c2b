import * as z from 'zod'
import { CronSchedule } from '../schedules/cron.ts'
import { CreateJobRequest } from './job.ts'

/** Schedules one tenant may keep: each tick reads them all, and GET /v1/schedules lists them in one page. */
export const MAX_SCHEDULES_PER_TENANT = 100
/**
 * An inline manifest a schedule may carry, in characters. A schedule is one SQLite row (2 MB at
 * most) and is listed whole; recurring jobs mostly list their objects anyway (manifest objects or
 * a manifestGenerator). 256 Ki characters stay under the row limit even fully JSON-escaped.
 */
export const MAX_SCHEDULE_INLINE_CHARS = 256 * 1024

/** A 5-field cron expression in UTC, at least 5 minutes between runs (see shared/schedules/cron.ts). */
export const CronExpression = z
  .string()
  .trim()
  .min(1, 'required')
  .max(256)
  .superRefine((expression, ctx) => {
    if (expression === '') return
    const checked = CronSchedule.check(expression, Date.now())
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message })
  })
  .meta({ description: '5 fields (minute hour day-of-month month day-of-week), UTC, runs at least 5 minutes apart', examples: ['0 3 * * *'] })

const { clientRequestToken: _token, ...jobShape } = CreateJobRequest.shape
const JobWithoutToken = z.strictObject(jobShape)
// The job's checks look at manifest and manifestGenerator only, never at the token.
const jobChecks = (CreateJobRequest.def.checks ?? []) as z.core.$ZodCheck<z.output<typeof JobWithoutToken>>[]

/**
 * The job a schedule starts on each run: `POST /v1/jobs`'s body without `clientRequestToken` (each
 * run gets its own, derived from the schedule and the run time). zod will not `.omit()` from a
 * refined object, so the job's own checks are carried over from its definition as they are.
 */
export const ScheduledJob = JobWithoutToken.check(...jobChecks)
  .superRefine((j, ctx) => {
    if (j.manifest?.inline !== undefined && j.manifest.inline.length > MAX_SCHEDULE_INLINE_CHARS)
      ctx.addIssue({ code: 'custom', path: ['manifest', 'inline'], message: `must be at most ${MAX_SCHEDULE_INLINE_CHARS} characters in a schedule; use a manifest object or a manifestGenerator` })
  })
export type ScheduledJob = z.output<typeof ScheduledJob>

/** `POST /v1/schedules` (§7). */
export const CreateScheduleRequest = z.strictObject({ cron: CronExpression, job: ScheduledJob })
export type CreateScheduleRequest = z.output<typeof CreateScheduleRequest>

const Instant = z.iso.datetime()

/** Why the last run could not start; cleared by the next run that starts. */
export const ScheduleError = z.object({
  code: z.string(),
  message: z.string(),
  /** The fire time the error is about. */
  runAt: Instant,
  /** Whether that run was given up (true) or is tried again on the next tick (false). */
  skipped: z.boolean(),
})

/** A schedule as the API answers it. */
export const Schedule = z.object({
  id: z.uuid(),
  cron: z.string(),
  job: z.record(z.string(), z.unknown()),
  createdAt: Instant,
  /** The next fire time to start; in the past when a run is due and waits for the next tick. */
  nextRunAt: Instant.nullable(),
  /** The fire time of the last run started (or given up). */
  lastRunAt: Instant.nullable(),
  lastJobId: z.string().nullable(),
  lastError: ScheduleError.nullable(),
})
export type Schedule = z.output<typeof Schedule>

export const ScheduleList = z.object({ schedules: z.array(Schedule) })
