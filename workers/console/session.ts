import type { Context } from 'hono'
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { constantTimeEqual, type Principal } from '../../shared/auth/api-keys.ts'
import { sha256Hex } from '../../shared/crypto/hash.ts'
import { apiKeys } from '../runtime/config.ts'
import type { AppEnv } from '../api/app-env.ts'
import { ProblemError, problems } from '../api/problem.ts'

/**
 * The console's session: an HMAC-signed cookie holding the API key's SHA-256 (what `API_KEYS`
 * stores, never the key) and an expiry. Every request looks the hash up in `API_KEYS` again, so
 * removing a key ends its sessions at once.
 */

export const SESSION_SECONDS = 8 * 60 * 60
const MIN_SECRET_LENGTH = 32

/**
 * Without `CONSOLE_SECRET`, sessions are signed with a random key that lives as long as the
 * isolate: nothing at rest can forge a session (a key derived from `API_KEYS` would let anyone who
 * reads that list of hashes — which is meant to grant nothing — sign in as any tenant), at the cost
 * of being signed out when the isolate goes. That is fine for `npm start` and tests; production
 * sets the secret.
 */
let isolateSecret: Uint8Array<ArrayBuffer> | undefined

export type SecretChoice = { ok: true; secret: string | Uint8Array<ArrayBuffer>; configured: boolean } | { ok: false; detail: string }

export function sessionSecret(env: Env): SecretChoice {
  const configured = (env as { CONSOLE_SECRET?: string }).CONSOLE_SECRET
  if (configured !== undefined && configured !== '') {
    if (configured.length < MIN_SECRET_LENGTH) return { ok: false, detail: `CONSOLE_SECRET must be at least ${MIN_SECRET_LENGTH} characters` }
    return { ok: true, secret: configured, configured: true }
  }
  isolateSecret ??= crypto.getRandomValues(new Uint8Array(32))
  return { ok: true, secret: isolateSecret, configured: false }
}

const COOKIE = 'bg_console'

/** Over https the cookie is `__Host-bg_console` (pinned to this host, Secure); browsers refuse that prefix over http. */
function cookieOptions(c: Context) {
  const secure = new URL(c.req.url).protocol === 'https:'
  return { path: '/', httpOnly: true, sameSite: 'Strict' as const, secure, ...(secure ? { prefix: 'host' as const } : {}) }
}

function secretOrThrow(env: Env) {
  const s = sessionSecret(env)
  if (!s.ok) throw problems.configuration(s.detail)
  return s.secret
}

function keyEntries(env: Env) {
  const keys = apiKeys(env)
  if (!keys.ok) throw problems.configuration(keys.detail)
  return keys.value
}

/** The principal of a key's hash, checking every entry so timing does not tell which matched. */
function principalOfHash(env: Env, hash: string): Principal | undefined {
  let found: Principal | undefined
  for (const entry of keyEntries(env))
    if (constantTimeEqual(entry.sha256, hash) && !found) found = { tenant: entry.tenant, accounts: entry.accounts }
  return found
}

/** Signs in with a presented key: sets the session cookie and answers true, or false for an unknown key. */
export async function signIn(c: Context<AppEnv>, apiKey: string): Promise<boolean> {
  const hash = await sha256Hex(apiKey)
  if (!principalOfHash(c.env, hash)) return false
  const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS
  await setSignedCookie(c, COOKIE, `${hash}:${expires}`, secretOrThrow(c.env), { ...cookieOptions(c), maxAge: SESSION_SECONDS })
  return true
}

export function signOut(c: Context<AppEnv>) {
  deleteCookie(c, COOKIE, cookieOptions(c))
}

/** The signed-in principal, or undefined when the cookie is missing, forged, expired or revoked. */
export async function currentPrincipal(c: Context<AppEnv>): Promise<Principal | undefined> {
  const value = await getSignedCookie(c, secretOrThrow(c.env), COOKIE, cookieOptions(c).prefix)
  if (!value) return undefined
  const m = /^([0-9a-f]{64}):(\d{1,12})$/.exec(value)
  if (!m || Number(m[2]) * 1000 <= Date.now()) return undefined
  return principalOfHash(c.env, m[1] as string)
}

/**
 * Routes behind it see `principal` as the API's routes do. Without a session a page GET goes to
 * the sign-in form; anything else (a form post, the live poll) answers 401.
 */
export const consoleSession = () =>
  createMiddleware<AppEnv>(async function consoleSession(c, next) {
    const principal = await currentPrincipal(c)
    if (!principal) {
      if (c.req.method === 'GET' && c.req.header('Sec-Fetch-Dest') !== 'empty') return c.redirect('/console/sign-in', 303)
      throw new ProblemError({ status: 401, code: 'Unauthorized', title: 'Your console session has ended', detail: 'sign in again at /console/sign-in' })
    }
    c.set('principal', principal)
    await next()
  })
