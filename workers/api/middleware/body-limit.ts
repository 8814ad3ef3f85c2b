import { bodyLimit as honoBodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../app-env.ts'
import { problems } from '../problem.ts'

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

/** hono's body limit (it also counts streamed bodies without Content-Length), answered as a 413 problem. */
export const bodyLimit = () =>
  createMiddleware<AppEnv>(async function bodyLimit(c, next) {
    const maxSize = Number(c.env.MAX_BODY_BYTES) || DEFAULT_MAX_BODY_BYTES
    return honoBodyLimit({ maxSize, onError: () => { throw problems.payloadTooLarge(maxSize) } })(c, next)
  })
