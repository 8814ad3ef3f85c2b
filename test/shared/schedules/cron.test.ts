import { describe, expect, it } from 'vitest'
import { CronSchedule } from '../../../shared/schedules/cron.ts'

const at = (iso: string) => Date.parse(iso)
const NOW = at('2030-01-01T00:00:00Z')

describe('CronSchedule', () => {
  it('finds the latest fire time at or before an instant, the instant itself included', () => {
    const cron = CronSchedule.parse('0 3 * * *')
    expect(cron.latestAtOrBefore(at('2030-01-05T03:00:00.000Z'))).toBe(at('2030-01-05T03:00:00Z'))
    expect(cron.latestAtOrBefore(at('2030-01-05T02:59:59.999Z'))).toBe(at('2030-01-04T03:00:00Z'))
    expect(cron.latestAtOrBefore(at('2030-01-05T03:04:59.000Z'))).toBe(at('2030-01-05T03:00:00Z'))
  })

  it('finds the first fire time strictly after an instant', () => {
    const cron = CronSchedule.parse('*/5 * * * *')
    expect(cron.nextAfter(at('2030-01-05T03:00:00.000Z'))).toBe(at('2030-01-05T03:05:00Z'))
    expect(cron.nextAfter(at('2030-01-05T02:59:59.999Z'))).toBe(at('2030-01-05T03:00:00Z'))
  })

  it('reads times in UTC, with day-of-month and day-of-week matching either, as crontab does', () => {
    // 2030-01-01 is a Tuesday: "the 15th or any Monday" fires on Monday the 7th first.
    expect(CronSchedule.parse('0 12 15 * MON').nextAfter(NOW)).toBe(at('2030-01-07T12:00:00Z'))
    expect(CronSchedule.parse('0 0 * * 0').nextAfter(NOW)).toBe(CronSchedule.parse('0 0 * * 7').nextAfter(NOW))
  })

  it.each([
    ['0 3 * * *', null],
    ['@hourly', null],
    ['0 0 29 2 *', null],
    ['0 3 * * * *', 'not a 5-field cron expression'],
    ['0 24 * * *', 'not a 5-field cron expression: Invalid value for hour: 24'],
    ['5/5 * * * *', 'not a 5-field cron expression'],
    ['@reboot', 'not a 5-field cron expression'],
    ['*/4 * * * *', 'fires more often than every 5 minutes'],
    // The short gap is only between days: 23:59 and 00:01.
    ['59,1 23,0 * * *', 'fires more often than every 5 minutes'],
    ['0 0 31 4 *', 'never fires'],
  ])('checks %j', (expression, message) => {
    const checked = CronSchedule.check(expression, NOW)
    if (message === null) expect(checked.ok).toBe(true)
    else expect(checked).toEqual({ ok: false, message: expect.stringContaining(message) })
  })
})
