import { Hono } from 'hono'
import { CreateScheduleRequest } from '../../../shared/schemas/schedule.ts'
import type { AppEnv } from '../app-env.ts'
import { createSchedule, deleteSchedule, getSchedule, listSchedules } from '../services/schedule-service.ts'
import { validateJson } from '../validate.ts'
import { methodNotAllowed } from './method-not-allowed.ts'

/** `/v1/schedules` (§7): recurring jobs, scoped to the tenant; cron starts their runs. */
export const schedules = new Hono<AppEnv>()
  .post('/', validateJson(CreateScheduleRequest), async (c) => c.json(await createSchedule(c.env, c.get('principal'), c.req.valid('json')), 201))
  .get('/', async (c) => c.json({ schedules: await listSchedules(c.env, c.get('principal').tenant) }))
  .all('/', methodNotAllowed('GET', 'POST'))
  .get('/:id', async (c) => c.json(await getSchedule(c.env, c.get('principal').tenant, c.req.param('id'))))
  .delete('/:id', async (c) => {
    await deleteSchedule(c.env, c.get('principal').tenant, c.req.param('id'))
    return c.body(null, 204)
  })
  .all('/:id', methodNotAllowed('GET', 'DELETE'))
