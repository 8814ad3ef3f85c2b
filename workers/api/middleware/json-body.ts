import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../app-env.ts'
import { problems } from '../problem.ts'

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i
const HAS_BODY = new Set(['POST', 'PUT', 'PATCH'])

/**
 * Every `/v1` body is JSON: anything else is 415, unparseable JSON a 400 naming `body`. The text is
 * read once here; hono caches it, so the schema validator after it parses the same bytes.
 */
export const jsonBody = () =>
  createMiddleware<AppEnv>(async function jsonBody(c, next) {
    if (HAS_BODY.has(c.req.method)) {
      if (!JSON_TYPE.test(c.req.header('Content-Type') ?? '')) throw problems.unsupportedMediaType()
      try {
        JSON.parse(await c.req.text())
      } catch (err) {
        throw problems.malformedJson(err instanceof Error ? err.message : 'unreadable body')
      }
    }
    await next()
  })
