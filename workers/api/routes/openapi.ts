import { Hono } from 'hono'
import { openApiDocument } from '../../../shared/openapi/document.ts'
import type { AppEnv } from '../app-env.ts'
import { methodNotAllowed } from './method-not-allowed.ts'

let cached: string | undefined

/** `GET /openapi.json` (§8): generated from the very schemas that validate requests. */
export const openapi = new Hono<AppEnv>()
  .get('/', (c) => {
    cached ??= JSON.stringify(openApiDocument())
    return c.body(cached, 200, { 'Content-Type': 'application/json' })
  })
  .all('/', methodNotAllowed('GET', 'HEAD'))
