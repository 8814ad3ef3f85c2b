import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { BatchRequest } from '../../shared/schemas/batch.ts'
import { KEYS } from '../fixtures/keys.ts'
import { unique } from '../helpers.ts'
import { batchBody, nulAllowed } from './examples.ts'
import { bytes, captureConsole, expectNoCrash, expectUntouched, inBatches, jobAndScheduleCounts, streamOf } from './harness.ts'
import { generateMutations, jsonSchemaOf } from './mutations.ts'

// The console's POST routes (sign-in, sign-out, a job's status buttons, the playground) answer bad
// input with an HTML page and a 4xx, never a 500: forms that are not forms, multipart bodies that
// do not parse, bytes that are not UTF-8, bodies over the limit, and every generated bad batch
// through the playground, which must run nothing.

const lines = captureConsole()
const ORIGIN = 'http://batchgate.test'
const bucket = unique('bad-console')

async function post(path: string, body: BodyInit | null, contentType: string | null, cookie?: string) {
  const headers: Record<string, string> = { Origin: ORIGIN }
  if (contentType !== null) headers['Content-Type'] = contentType
  if (cookie) headers.Cookie = cookie
  const stream = body instanceof ReadableStream
  const res = await exports.default.fetch(`${ORIGIN}${path}`, { method: 'POST', headers, body, redirect: 'manual', ...(stream ? { duplex: 'half' } : {}) } as RequestInit)
  return { status: res.status, type: res.headers.get('Content-Type') ?? '', text: await res.text() }
}

/** A 4xx HTML page (the console's error page or the form again), no stack trace. */
function expectPage(r: Awaited<ReturnType<typeof post>>, status: number | number[], label = '') {
  const where = `${label}\n${r.status} ${r.text.slice(0, 300)}`
  expect(Array.isArray(status) ? status : [status], where).toContain(r.status)
  expect(r.type, where).toMatch(/^text\/html/)
  expect(r.text, where).not.toMatch(/\bat .*\.(ts|js|tsx):\d+/)
}

async function signIn() {
  const res = await exports.default.fetch(`${ORIGIN}/console/sign-in`, {
    method: 'POST', redirect: 'manual', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ apiKey: KEYS.all }).toString(),
  })
  await res.text()
  expect(res.status).toBe(303)
  return (res.headers.get('Set-Cookie') ?? '').split(';')[0]!
}

const BROKEN_FORMS: [string, BodyInit, string][] = [
  ['multipart without its boundary', '--x\r\nContent-Disposition: form-data; name="apiKey"\r\n\r\nk\r\n', 'multipart/form-data'],
  ['multipart with a wrong boundary', '--y\r\nContent-Disposition: form-data; name="apiKey"\r\n\r\nk\r\n--y--\r\n', 'multipart/form-data; boundary=x'],
  ['multipart cut short', '--x\r\nContent-Disposition: form-data; name="apiKey"\r\n\r\nk', 'multipart/form-data; boundary=x'],
  ['multipart garbage', 'not multipart at all', 'multipart/form-data; boundary=x'],
  ['a form of bytes that are not UTF-8', bytes('apiKey=', [0xff, 0xfe], '&body=', [0xc0, 0xaf]), 'application/x-www-form-urlencoded'],
  ['a form with broken escapes', 'apiKey=%ZZ&body=%E0%A4%A&requestedStatus=%', 'application/x-www-form-urlencoded'],
  ['a JSON body', '{"apiKey":"x"}', 'application/json'],
  ['no body type', 'apiKey=x', 'text/plain'],
]

describe('bad input on the console', () => {
  it('answers broken forms on every console POST route with a 4xx page, never a 500', async () => {
    const cookie = await signIn()
    const made = await exports.default.fetch('https://batchgate.test/v1/jobs', {
      method: 'POST', headers: { Authorization: `Bearer ${KEYS.all}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientRequestToken: unique('t'), account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,never\n' }, report: { enabled: false }, confirmationRequired: true }),
    })
    const jobId = ((await made.json()) as { jobId: string }).jobId
    const routes: [string, string | undefined][] = [['/console/sign-in', undefined], ['/console/playground', cookie], [`/console/jobs/${jobId}/status`, cookie]]
    for (const [path, session] of routes)
      for (const [name, body, type] of BROKEN_FORMS) expectPage(await post(path, body, type, session), [400, 401, 415], `${path} ${name}`)
    expectNoCrash(lines)
  })

  it('answers bodies over MAX_BODY_BYTES with 413, sized or streamed', async () => {
    const cookie = await signIn()
    const limit = Number(env.MAX_BODY_BYTES)
    for (const [path, session] of [['/console/sign-in', undefined], ['/console/playground', cookie]] as const) {
      expectPage(await post(path, new Uint8Array(limit + 1).fill(0x61), 'application/x-www-form-urlencoded', session), 413, `${path} sized`)
      expectPage(await post(path, streamOf(limit + 1, 0x61), 'application/x-www-form-urlencoded', session), 413, `${path} streamed`)
    }
    expectNoCrash(lines)
  })

  it('refuses a job status that is not a button of the page, and ids that are not jobs', async () => {
    const cookie = await signIn()
    for (const status of ['Complete', 'ready', '', 'Cancelled\r\nX: 1'])
      expectPage(await post('/console/jobs/00000000-0000-4000-8000-000000000000/status', new URLSearchParams({ requestedStatus: status }).toString(), 'application/x-www-form-urlencoded', cookie), 400, status)
    for (const id of ['nope', '%00', '%FF', 'x'.repeat(5000)])
      expectPage(await post(`/console/jobs/${id}/status`, 'requestedStatus=Cancelled', 'application/x-www-form-urlencoded', cookie), 404, id.slice(0, 20))
    expectNoCrash(lines)
  })

  it('refuses every generated bad batch in the playground with a 400 page naming the field, running nothing', async () => {
    const cookie = await signIn()
    const before = await jobAndScheduleCounts()
    const mutations = generateMutations(jsonSchemaOf(BatchRequest), batchBody('qiniu', bucket), { nulAllowed })
    const failures: string[] = []
    await inBatches(mutations, 16, async (m) => {
      const r = await post('/console/playground', new URLSearchParams({ body: JSON.stringify(m.body) }).toString(), 'application/x-www-form-urlencoded', cookie)
      // The page shows each path HTML-escaped; paths with control characters or surrogates are checked by status alone.
      const escaped = m.path.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
      if (r.status !== 400 || !r.type.startsWith('text/html') || (/^[\x20-\x7e]*$/.test(m.path) && !r.text.includes(escaped))) failures.push(`${m.name}: ${r.status}`)
    })
    expect(failures, `${failures.length} of ${mutations.length}`).toEqual([])
    expect(await jobAndScheduleCounts()).toEqual(before)
    await expectUntouched([bucket])
    expectNoCrash(lines)
  })
})
