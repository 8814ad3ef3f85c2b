import { env, exports } from 'cloudflare:workers'
import { generateSignedCookie } from 'hono/cookie'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../shared/crypto/hash.ts'
import { createApp } from '../../workers/api/app.ts'
import { KEYS } from '../fixtures/keys.ts'
import { call, unique } from '../helpers.ts'

const ORIGIN = 'http://batchgate.test'

/** A browser-like request to the console: same-origin unless told otherwise, no redirects followed. */
async function browse(path: string, init: { method?: string; form?: Record<string, string>; cookie?: string; origin?: string | null; base?: string } = {}) {
  const base = init.base ?? ORIGIN
  const headers: Record<string, string> = {}
  if (init.cookie) headers.Cookie = init.cookie
  if (init.origin !== null) headers.Origin = init.origin ?? base
  if (init.form) headers['Content-Type'] = 'application/x-www-form-urlencoded'
  const res = await exports.default.fetch(`${base}${path}`, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    headers,
    redirect: 'manual',
    ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
  })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

async function signIn(key: string = KEYS.all, base = ORIGIN) {
  const res = await browse('/console/sign-in', { form: { apiKey: key }, base })
  expect(res.status).toBe(303)
  const setCookie = res.headers.get('Set-Cookie') ?? ''
  return { setCookie, cookie: setCookie.split(';')[0]! }
}

const createJob = async (body: Record<string, unknown>, key: string = KEYS.all) =>
  (await call('/v1/jobs', { key, body: { clientRequestToken: unique('tok'), account: 'local', operation: { op: 'delete' }, manifest: { inline: 'demo,x\n' }, report: { enabled: false }, ...body } })).json

describe('console', () => {
  it('sends a visitor without a session to the sign-in form, which posts the key in the body', async () => {
    const home = await browse('/')
    expect(home.status).toBe(303)
    expect(home.headers.get('Location')).toBe('/console/sign-in')
    const form = await browse('/console/sign-in')
    expect(form.status).toBe(200)
    expect(form.text).toContain('<form method="post" action="/console/sign-in"')
    expect(form.text).toContain('type="password"')
  })

  it('sets an HttpOnly SameSite=Strict session cookie that holds the key hash, not the key', async () => {
    const { setCookie } = await signIn()
    expect(setCookie).toMatch(/^bg_console=/)
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Strict/)
    expect(setCookie).toMatch(/Path=\//)
    expect(setCookie).not.toMatch(/Secure/)
    expect(setCookie).not.toContain(KEYS.all)
    const https = await signIn(KEYS.all, 'https://console.example')
    expect(https.setCookie).toMatch(/^__Host-bg_console=.*Secure/)
  })

  it('refuses an unknown key without echoing it', async () => {
    const res = await browse('/console/sign-in', { form: { apiKey: 'bg_wrong_key_123' } })
    expect(res.status).toBe(401)
    expect(res.text).toContain('That API key is not valid')
    expect(res.text).not.toContain('bg_wrong_key_123')
  })

  it('refuses a tampered session cookie', async () => {
    const { cookie } = await signIn()
    const forged = cookie.replace(/bg_console=([0-9a-f])/, (_, c: string) => `bg_console=${c === '0' ? '1' : '0'}`)
    expect(forged).not.toBe(cookie)
    expect((await browse('/', { cookie })).status).toBe(200)
    expect((await browse('/', { cookie: forged })).status).toBe(303)
  })

  it('refuses state-changing posts from another origin or without one', async () => {
    const { cookie } = await signIn()
    const job = await createJob({ confirmationRequired: true })
    const evil = await browse(`/console/jobs/${job.jobId}/status`, { form: { requestedStatus: 'Cancelled' }, cookie, origin: 'https://evil.example' })
    expect(evil.status).toBe(403)
    expect(evil.headers.get('Content-Type')).toContain('text/html')
    const none = await browse(`/console/jobs/${job.jobId}/status`, { form: { requestedStatus: 'Cancelled' }, cookie, origin: null })
    expect(none.status).toBe(403)
    const signIn403 = await browse('/console/sign-in', { form: { apiKey: KEYS.all }, origin: 'https://evil.example' })
    expect(signIn403.status).toBe(403)
    expect((await call(`/v1/jobs/${job.jobId}`)).json.status).not.toMatch(/Cancel/)
  })

  it('serves pages under a strict CSP and no-store, leaving the JSON API as it was', async () => {
    const { cookie } = await signIn()
    const page = await browse('/', { cookie })
    const csp = page.headers.get('Content-Security-Policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(page.headers.get('Cache-Control')).toBe('no-store')
    expect(page.text).not.toMatch(/<script>|style="/)
    const api = await call('/v1/jobs')
    expect(api.headers.get('Content-Security-Policy')).toBeNull()
    const unknown = await call('/no-such-route', { key: null })
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('Content-Type')).toBe('application/problem+json')
  })

  it('escapes user data: a description with markup is shown as text', async () => {
    const { cookie } = await signIn()
    const job = await createJob({ description: '<script>alert(1)</script> & <b>bold</b>' })
    for (const path of ['/', `/console/jobs/${job.jobId}`]) {
      const page = await browse(path, { cookie })
      expect(page.status).toBe(200)
      expect(page.text).not.toContain('<script>alert(1)</script>')
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;')
    }
  })

  it("answers another tenant's job, and a malformed id, with a 404 page", async () => {
    const theirs = await createJob({ description: 'globex job' }, KEYS.otherTenant)
    const { cookie } = await signIn()
    for (const path of [`/console/jobs/${theirs.jobId}`, `/console/live/jobs/${theirs.jobId}`, `/console/jobs/${theirs.jobId}/report`, '/console/jobs/not-an-id']) {
      const page = await browse(path, { cookie })
      expect(page.status, path).toBe(404)
      expect(page.text).toContain('404 · The ')
    }
    const list = await browse('/', { cookie })
    expect(list.text).not.toContain(theirs.jobId)
    const post = await browse(`/console/jobs/${theirs.jobId}/status`, { form: { requestedStatus: 'Cancelled' }, cookie })
    expect(post.status).toBe(404)
  })

  it('answers a live poll without a session with 401, and signs out by clearing the cookie', async () => {
    const job = await createJob({})
    const poll = await exports.default.fetch(`${ORIGIN}/console/live/jobs/${job.jobId}`, { headers: { 'Sec-Fetch-Dest': 'empty' }, redirect: 'manual' })
    expect(poll.status).toBe(401)
    const out = await browse('/console/sign-out', { method: 'POST' })
    expect(out.status).toBe(303)
    expect(out.headers.get('Set-Cookie')).toMatch(/^bg_console=; Max-Age=0/)
  })

  it('refuses a playground batch naming an account the key may not use, running nothing', async () => {
    const { cookie } = await signIn(KEYS.localOnly)
    const page = await browse('/console/playground', { cookie, form: { body: JSON.stringify({ account: 's3', operations: [{ op: 'delete', bucket: 'b', key: 'k' }] }) } })
    expect(page.status).toBe(400)
    expect(page.text).toContain('This API key may not use that account')
    const bad = await browse('/console/playground', { cookie, form: { body: '{"account":"local","operations":[{"op":"stat"}]}' } })
    expect(bad.text).toContain('operations[0].bucket')
  })

  describe('with CONSOLE_SECRET set', () => {
    const secret = 'a-console-secret-of-32-characters!'
    const app = createApp()
    const unknownHash = '59f4e6b1a6f3a5fa3d5b5fb4bb5a0fd2ac3c7b1b1ed9a1d3e5e8cbd9b53ed2bd'
    const withSecret = (value: string, cookie?: string) =>
      app.request('http://batchgate.test/', { headers: cookie ? { Cookie: cookie } : {}, redirect: 'manual' }, { ...env, CONSOLE_SECRET: value })
    const session = async (value: string, key = secret) => (await generateSignedCookie('bg_console', value, key)).split(';')[0]!

    it('accepts a session it signed and refuses an expired one, one signed with another secret, and an unknown key hash', async () => {
      const mine = await sha256Hex(KEYS.all)
      const later = Math.floor(Date.now() / 1000) + 60
      expect((await withSecret(secret, await session(`${mine}:${later}`))).status).toBe(200)
      expect((await withSecret(secret, await session(`${mine}:${later - 120}`))).status).toBe(303)
      expect((await withSecret(secret, await session(`${mine}:${later}`, 'another-secret-of-32-characters!!!'))).status).toBe(303)
      expect((await withSecret(secret, await session(`${unknownHash}:${later}`))).status).toBe(303)
    })

    it('refuses a CONSOLE_SECRET shorter than 32 characters with a configuration error page', async () => {
      const res = await withSecret('too-short', await session('x'))
      expect(res.status).toBe(500)
      expect(await res.text()).toContain('CONSOLE_SECRET must be at least 32 characters')
    })
  })
})
