/**
 * The console in a real browser: headless Chromium (playwright-core) against the real Worker in
 * workerd (test/console/gateway.ts), signing in, following jobs the JSON API created, pressing the
 * buttons and running the playground — and checking that the API key never shows in a URL, a page
 * or a log line.
 */
import assert from 'node:assert/strict'
import { dirname, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { KEYS } from '../fixtures/keys.ts'
import { launchChromium } from './chromium.ts'
import { startTestGateway, type TestGateway } from './gateway.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const HOST = process.env.BG_TEST_HOST ?? '127.0.0.1'
const TERMINAL = ['Complete', 'Cancelled', 'Failed']

let gateway: TestGateway
let browser: Browser
let context: BrowserContext
let page: Page
/** Every URL the browser requested or navigated to, and every HTML page it received. */
const urls: string[] = []
const pages: Promise<string>[] = []
const browserErrors: string[] = []

async function api(path: string, { key = KEYS.all as string, body }: { key?: string; body?: unknown } = {}) {
  const res = await fetch(`${gateway.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const json = (await res.json()) as any
  assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

let tokens = 0
const createJob = (body: Record<string, unknown>, key: string = KEYS.all) =>
  api('/v1/jobs', { key, body: { clientRequestToken: `console-${Date.now()}-${tokens++}`, account: 'local', report: { enabled: false }, ...body } }) as Promise<{ jobId: string }>

async function jobUntil(jobId: string, statuses: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = await api(`/v1/jobs/${jobId}`)
    if (statuses.includes(job.status)) return job
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Rows of deletes of keys that do not exist: each succeeds (delete is idempotent), quickly. */
const deletes = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `demo,${prefix}/${i}\n`).join('')

const status = () => page.locator('[data-testid=status]').first()
const waitForStatus = (s: string, timeout = 60_000) => page.locator('[data-testid=status]', { hasText: new RegExp(`^${s}$`) }).first().waitFor({ timeout })

async function progressOf() {
  const bar = page.locator('[data-live] [data-testid=progress]').first()
  const [ok, bad, total] = await Promise.all(['data-succeeded', 'data-failed', 'data-total'].map((a) => bar.getAttribute(a)))
  return { done: Number(ok) + Number(bad), total: Number(total) }
}

before(async () => {
  gateway = await startTestGateway({ root: ROOT, host: HOST })
  browser = await launchChromium()
  context = await browser.newContext()
  context.on('request', (r) => urls.push(r.url()))
  context.on('response', (r) => {
    if ((r.headers()['content-type'] ?? '').startsWith('text/html')) pages.push(r.text().catch(() => ''))
  })
  page = await context.newPage()
  page.on('framenavigated', (f) => urls.push(f.url()))
  page.on('console', (m) => {
    if (m.type() === 'error') browserErrors.push(`${m.text()} (${m.location().url})`)
  })
  page.on('pageerror', (e) => browserErrors.push(e.message))
})

after(async () => {
  await browser?.close()
  await gateway?.close()
})

describe('console in Chromium', { concurrency: false }, () => {
  let failing: { jobId: string }
  let theirs: { jobId: string }

  it("signs in with an API key and lists the tenant's jobs with progress bars", async () => {
    const demo = gateway.mf.getR2Bucket('DEMO_BUCKET')
    const bucket = await demo
    await Promise.all(Array.from({ length: 6 }, (_, i) => bucket.put(`console/ok-${i}`, `object ${i}`)))
    // 6 objects that exist, 3 that do not (NoSuchKey), 2 rows that cannot be read (InvalidManifestRow).
    const rows = [...Array.from({ length: 6 }, (_, i) => `demo,console/ok-${i}`), 'demo,console/missing-1', 'demo,console/missing-2', 'demo,console/missing-3', 'demo', 'demo,bad%zzkey']
    failing = await createJob({ operation: { op: 'stat' }, manifest: { inline: rows.join('\n') + '\n' }, report: { enabled: true, bucket: 'backup', prefix: 'console/' }, description: 'stat with failures' })
    theirs = await createJob({ operation: { op: 'delete' }, manifest: { inline: 'demo,x\n' }, description: 'globex private job' }, KEYS.otherTenant)
    await jobUntil(failing.jobId, ['Complete'])

    const first = await page.goto(`${gateway.url}/`)
    assert.equal(new URL(page.url()).pathname, '/console/sign-in')
    assert.equal(first?.status(), 200)
    await page.fill('#apiKey', KEYS.all)
    await Promise.all([page.waitForURL(`${gateway.url}/`), page.click('button[type=submit]')])

    const row = page.locator(`tr[data-job="${failing.jobId}"]`)
    await row.waitFor()
    assert.equal(await row.locator('[data-testid=status]').textContent(), 'Complete')
    const bar = row.locator('[data-testid=progress]')
    assert.deepEqual(await Promise.all(['data-succeeded', 'data-failed', 'data-total'].map((a) => bar.getAttribute(a))), ['6', '5', '11'])
    assert.match((await bar.textContent()) ?? '', /6 succeeded · 5 failed · 11 total \(100%\)/)
    assert.equal(await page.locator(`tr[data-job="${theirs.jobId}"]`).count(), 0)
    assert.doesNotMatch(await page.content(), /globex private job/)
  })

  it("shows a job's counts, elapsed time, failures by error code and its report's links", async () => {
    await Promise.all([page.waitForURL(`**/console/jobs/${failing.jobId}`), page.click(`a[href="/console/jobs/${failing.jobId}"]`)])
    const stat = (id: string) => page.locator(`[data-testid=${id}] .value`).textContent()
    assert.equal(await stat('total'), '11')
    assert.equal(await stat('succeeded'), '6')
    assert.equal(await stat('failed'), '5')
    assert.equal(await stat('pending'), '0')
    assert.match((await stat('elapsed')) ?? '', /^\d+s$/)
    const chart = page.locator('[data-testid=failure-chart] tr')
    assert.deepEqual(
      await chart.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-code'), tr.getAttribute('data-count')])),
      [['NoSuchKey', '3'], ['InvalidManifestRow', '2']],
    )
    assert.equal(await page.locator('[data-testid=failure-chart] svg rect').count(), 2)

    const manifest = await page.request.get(`${gateway.url}/console/jobs/${failing.jobId}/report`)
    assert.equal(manifest.status(), 200)
    assert.equal((await manifest.json()).format, 'Report_CSV_20180820')
    const shards = page.locator('[data-testid=report] a[data-shard]')
    assert.ok((await shards.count()) >= 2)
    let csv = ''
    for (const href of await shards.evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      const res = await page.request.get(`${gateway.url}${href}`)
      assert.equal(res.status(), 200)
      csv += await res.text()
    }
    assert.equal(csv.trimEnd().split('\n').length, 11)
    assert.equal(csv.match(/NoSuchKey/g)?.length, 3)
    assert.equal(csv.match(/InvalidManifestRow/g)?.length, 2)
  })

  it('confirms a Suspended job, then follows its progress in place until it completes', async () => {
    const job = await createJob({ operation: { op: 'delete' }, manifest: { inline: deletes(100_000, 'console-confirm') }, confirmationRequired: true, description: 'confirm me' })
    await page.goto(`${gateway.url}/console/jobs/${job.jobId}`)
    // The page was opened while the job prepared: the live section shows it reach Suspended.
    await waitForStatus('Suspended')
    await Promise.all([page.waitForURL(`**/console/jobs/${job.jobId}?done=Ready`), page.click('button[data-action=Ready]')])
    assert.match((await page.locator('.notice').textContent()) ?? '', /Confirmed/)

    let navigations = 0
    const count = () => navigations++
    page.on('framenavigated', count)
    const seen: number[] = []
    const deadline = Date.now() + 90_000
    while (!TERMINAL.includes((await status().textContent()) ?? '')) {
      const { done, total } = await progressOf()
      assert.equal(total, 100_000)
      if (seen.at(-1) !== done) seen.push(done)
      assert.ok(Date.now() < deadline, `progress stuck at ${done}`)
      await page.waitForTimeout(150)
    }
    page.off('framenavigated', count)
    assert.equal(await status().textContent(), 'Complete')
    assert.deepEqual((await progressOf()).done, 100_000)
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, `progress went backwards: ${seen}`)
    assert.ok(seen.some((d) => d > 0 && d < 100_000), `no progress between 0 and the total was shown: ${seen}`)
    assert.equal(navigations, 0, 'the page reloaded instead of updating in place')
  })

  it("pauses, resumes and cancels a running job with the job page's buttons", async () => {
    const job = await createJob({ operation: { op: 'delete' }, manifest: { inline: deletes(300_000, 'console-pause') }, description: 'pause me' })
    await page.goto(`${gateway.url}/console/jobs/${job.jobId}`)
    await waitForStatus('Active')
    await Promise.all([page.waitForURL('**?done=Paused'), page.click('button[data-action=Paused]')])
    await waitForStatus('Paused')
    assert.equal((await api(`/v1/jobs/${job.jobId}`)).status, 'Paused')
    const paused = (await progressOf()).done
    assert.ok(paused < 300_000)

    await Promise.all([page.waitForURL('**?done=Active'), page.click('button[data-action=Active]')])
    assert.equal((await api(`/v1/jobs/${job.jobId}`)).status, 'Active')
    await Promise.all([page.waitForURL('**?done=Cancelled'), page.click('button[data-action=Cancelled]')])
    await waitForStatus('Cancelled')
    const cancelled = await api(`/v1/jobs/${job.jobId}`)
    assert.equal(cancelled.status, 'Cancelled')
    assert.ok(cancelled.progressSummary.numberOfTasksSucceeded < 300_000)
    assert.equal(await page.locator('[data-live] button').count(), 0, 'a cancelled job offers no action')
  })

  it('runs a unified batch in the playground and shows each operation’s result', async () => {
    await page.click('a[href="/console/playground"]')
    await page.waitForURL('**/console/playground')
    const body = {
      account: 'local',
      operations: [
        { op: 'stat', bucket: 'demo', key: 'console/ok-0' },
        { id: 'gone', op: 'stat', bucket: 'demo', key: 'console/nope' },
        { op: 'delete', bucket: 'demo', key: 'console/ok-1' },
      ],
    }
    await page.fill('#body', JSON.stringify(body, null, 2))
    await Promise.all([page.waitForURL('**/console/playground'), page.click('button[type=submit].primary')])
    const results = page.locator('[data-testid=results]')
    assert.match((await results.locator('h2').textContent()) ?? '', /HTTP 207 · 2 succeeded, 1 failed of 3/)
    const rows = await results.locator('tr[data-result]').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-result'), tr.getAttribute('data-status'), tr.textContent]))
    assert.deepEqual(rows.map((r) => r.slice(0, 2)), [['0', '200'], ['gone', '404'], ['2', '200']])
    assert.match(rows[1]![2] ?? '', /NoSuchKey/)
    assert.match(rows[0]![2] ?? '', /"size":8/)
    assert.equal(await (await gateway.mf.getR2Bucket('DEMO_BUCKET')).head('console/ok-1'), null, 'the delete really ran')
  })

  it("answers another tenant's job with a 404 page", async () => {
    const res = await page.goto(`${gateway.url}/console/jobs/${theirs.jobId}`)
    assert.equal(res?.status(), 404)
    assert.match((await page.locator('[data-testid=error] h1').textContent()) ?? '', /404 · The job was not found/)
    assert.doesNotMatch(await page.content(), /globex private job/)
  })

  it('never shows the API key in a URL, a page or a log line, and keeps the session cookie HttpOnly and SameSite=Strict', async () => {
    const encodings = [KEYS.all, encodeURIComponent(KEYS.all)]
    assert.ok(urls.length > 10)
    for (const u of urls) for (const k of encodings) assert.ok(!u.includes(k), `the key is in ${u}`)
    const html = await Promise.all(pages)
    assert.ok(html.length > 5)
    for (const h of html) assert.ok(!h.includes(KEYS.all), 'a page carries the key')
    assert.ok(!gateway.logs.some((l) => l.includes(KEYS.all)), 'a log line carries the key')
    const cookies = await context.cookies()
    const session = cookies.find((c) => c.name === 'bg_console')
    assert.ok(session)
    assert.equal(session.httpOnly, true)
    assert.equal(session.sameSite, 'Strict')
    assert.ok(!session.value.includes(KEYS.all))
    // The one expected error: the 404 page of the other tenant's job.
    const unexpected = browserErrors.filter((e) => !e.includes(`/console/jobs/${theirs.jobId})`))
    assert.deepEqual(unexpected, [], 'the browser reported errors (a CSP violation?)')
  })

  it('signs out: the cookie is gone and the console asks to sign in again', async () => {
    await Promise.all([page.waitForURL('**/console/sign-in?signed-out'), page.click('header form button')])
    assert.match((await page.locator('.notice').textContent()) ?? '', /signed out/)
    assert.equal((await context.cookies()).find((c) => c.name === 'bg_console'), undefined)
    await page.goto(`${gateway.url}/console/jobs/${failing.jobId}`)
    assert.equal(new URL(page.url()).pathname, '/console/sign-in')
  })
})
