import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../api/app-env.ts'
import { ProblemError } from '../api/problem.ts'

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * CSRF guard for the console's forms, beside the SameSite=Strict cookie: a state-changing request
 * must say it comes from this origin. Browsers send `Origin` on every form post (the console's
 * Referrer-Policy keeps it from being `null`); without it only `Sec-Fetch-Site: same-origin` passes.
 * hono's `csrf()` is not used because it checks only form content types.
 */
export const sameOrigin = () =>
  createMiddleware<AppEnv>(async function sameOrigin(c, next) {
    if (!SAFE.has(c.req.method)) {
      const origin = c.req.header('Origin')
      const ok = origin !== undefined ? origin === new URL(c.req.url).origin : c.req.header('Sec-Fetch-Site') === 'same-origin'
      if (!ok) throw new ProblemError({ status: 403, code: 'CrossOriginRefused', title: 'The request did not come from this console', detail: 'reload the page and try again' })
    }
    await next()
  })
