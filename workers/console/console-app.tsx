import { Hono } from 'hono'
import type { AppEnv } from '../api/app-env.ts'
import { bodyLimit } from '../api/middleware/body-limit.ts'
import { formBody } from '../api/middleware/form-body.ts'
import { assets } from './assets.ts'
import { consoleHeaders } from './console-headers.ts'
import { htmlErrors } from './html-errors.tsx'
import { jobRoutes, jobsIndex, liveRoutes } from './routes/job-routes.tsx'
import { playgroundRoutes } from './routes/playground-routes.tsx'
import { sessionRoutes } from './routes/session-routes.tsx'
import { sameOrigin } from './same-origin.ts'
import { consoleSession } from './session.ts'

/**
 * The console (§8 `GET /`): server-rendered pages over the same job service and batch runtime as
 * the JSON API, signed in with an API key held in a session cookie. Mounted at `/`, so its
 * middleware names its own paths (`/` and `/console/*`) and never reaches `/v1`.
 */
export const consoleApp = new Hono<AppEnv>()
for (const path of ['/', '/console/*']) consoleApp.use(path, htmlErrors(), consoleHeaders(), sameOrigin(), bodyLimit(), formBody())
consoleApp
  .get('/', consoleSession(), jobsIndex)
  .route('/console/assets', assets)
  .route('/console', sessionRoutes)
  .route('/console/jobs', jobRoutes)
  .route('/console/live', liveRoutes)
  .route('/console/playground', playgroundRoutes)
