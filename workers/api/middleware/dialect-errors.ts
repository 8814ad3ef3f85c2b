import { createMiddleware } from 'hono/factory'
import type { AppEnv, ErrorRenderer } from '../app-env.ts'

/**
 * Makes the one `onError` answer in a provider dialect's error shape (OSS `<Error>` XML, Qiniu's
 * `{error}`) for the routes it is mounted on. Mount it before auth, so a 401 is in that shape too.
 */
export const dialectErrors = (render: ErrorRenderer) =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set('errorRenderer', render)
    await next()
  })
