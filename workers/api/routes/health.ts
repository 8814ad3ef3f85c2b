import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { methodNotAllowed } from './method-not-allowed.ts'

/** `GET /healthz` (§8): no auth, no dependencies — the Worker answers, so it is up. */
export const health = new Hono<AppEnv>().get('/', (c) => c.json({ ok: true })).all('/', methodNotAllowed('GET', 'HEAD'))
