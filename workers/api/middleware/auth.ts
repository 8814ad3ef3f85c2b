import { createMiddleware } from 'hono/factory'
import { authenticate } from '../../../shared/auth/api-keys.ts'
import { apiKeys } from '../../runtime/config.ts'
import type { AppEnv } from '../app-env.ts'
import { problems } from '../problem.ts'

/** `Authorization: Bearer <api key>` → the caller's tenant and accounts (§2); 401 otherwise. */
export const auth = () =>
  createMiddleware<AppEnv>(async function auth(c, next) {
    const keys = apiKeys(c.env)
    if (!keys.ok) throw problems.configuration(keys.detail)
    const match = /^Bearer[ ]+(\S+)$/i.exec(c.req.header('Authorization') ?? '')
    const principal = match ? await authenticate(keys.value, match[1] as string) : undefined
    if (!principal) throw problems.unauthorized()
    c.set('principal', principal)
    await next()
  })
