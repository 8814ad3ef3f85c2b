import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../app-env.ts'

/** One structured JSON line per request. It names no header and no body: nothing secret can leak. */
export const accessLog = () =>
  createMiddleware<AppEnv>(async function accessLog(c, next) {
    const started = Date.now()
    await next()
    console.log(
      JSON.stringify({
        level: 'info',
        msg: 'request',
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Date.now() - started,
        tenant: c.get('principal')?.tenant,
      }),
    )
  })
