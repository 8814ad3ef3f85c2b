import { Hono } from 'hono'
import type { AppEnv } from '../../api/app-env.ts'
import { page } from '../layout.tsx'
import { SignInPage } from '../pages/sign-in-page.tsx'
import { sessionSecret, signIn, signOut } from '../session.ts'

const configured = (env: Env) => {
  const s = sessionSecret(env)
  return s.ok && s.configured
}

/** `/console/sign-in` and `/console/sign-out`: the only console routes without a session. */
export const sessionRoutes = new Hono<AppEnv>()
  .get('/sign-in', (c) => {
    const notice = c.req.query('signed-out') !== undefined ? 'You are signed out.' : undefined
    return page(c, <SignInPage secretConfigured={configured(c.env)} {...(notice ? { notice } : {})} />)
  })
  .post('/sign-in', async (c) => {
    const form = await c.req.parseBody()
    const key = typeof form.apiKey === 'string' ? form.apiKey.trim() : ''
    if (key === '' || !(await signIn(c, key)))
      // The key is not echoed back, not even into the field.
      return page(c, <SignInPage secretConfigured={configured(c.env)} error="That API key is not valid." />, 401)
    return c.redirect('/', 303)
  })
  .post('/sign-out', (c) => {
    signOut(c)
    return c.redirect('/console/sign-in?signed-out', 303)
  })
