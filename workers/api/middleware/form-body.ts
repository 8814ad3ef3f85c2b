import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../app-env.ts'
import { ProblemError } from '../problem.ts'

const FORM_TYPES = new Set(['multipart/form-data', 'application/x-www-form-urlencoded'])

/**
 * Reads a form body once, before the route does: `c.req.parseBody()` rejects a multipart body that
 * does not parse (no boundary, another boundary, cut short) with a TypeError, which would be a 500.
 * Here it is a 400; a body that parses is cached by hono, so the route's own parseBody() reuses it.
 * Mount it after the body limit, so an oversized form is a 413 before it is read.
 */
export const formBody = () =>
  createMiddleware<AppEnv>(async function formBody(c, next) {
    const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase()
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && type !== undefined && FORM_TYPES.has(type)) {
      try {
        await c.req.parseBody()
      } catch (err) {
        if (err instanceof ProblemError) throw err
        throw new ProblemError({ status: 400, code: 'MalformedForm', title: 'The form cannot be read', detail: err instanceof Error ? err.message : undefined })
      }
    }
    await next()
  })
