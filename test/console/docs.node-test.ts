/**
 * /docs in a real browser: headless Chromium (playwright-core) against the real Worker in workerd
 * (test/console/gateway.ts). Swagger UI must render every operation of /openapi.json from the
 * Worker's own files, with no request to another origin (any is aborted and recorded), no CSP
 * violation and no script error, and "Try it out" must reach the API on this origin.
 */
import assert from 'node:assert/strict'
import { dirname, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { KEYS } from '../fixtures/keys.ts'
import { launchChromium } from './chromium.ts'
import { startTestGateway, type TestGateway } from './gateway.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const HOST = process.env.BG_TEST_HOST ?? '127.0.0.1'

let gateway: TestGateway
let browser: Browser
let page: Page
const requested: string[] = []
const elsewhere: string[] = []
const browserErrors: string[] = []

before(async () => {
  gateway = await startTestGateway({ root: ROOT, host: HOST })
  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const origin = new URL(gateway.url).origin
  await context.route('**/*', (route) => {
    const url = route.request().url()
    requested.push(url)
    if (new URL(url).origin === origin) return route.continue()
    elsewhere.push(url)
    return route.abort()
  })
  // CSP violations are events in the page; record them where the test can read them.
  // (Typed by hand: the tests compile without the DOM library.)
  await context.addInitScript(() => {
    type Violation = { violatedDirective: string; blockedURI: string }
    const page = globalThis as unknown as { violations: string[]; document: { addEventListener(type: string, listener: (e: Violation) => void): void } }
    page.violations = []
    page.document.addEventListener('securitypolicyviolation', (e) => page.violations.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error') browserErrors.push(`${m.text()} (${m.location().url})`)
  })
  page.on('pageerror', (e) => browserErrors.push(e.message))
})

after(async () => {
  await browser?.close()
  await gateway?.close()
})

const opblock = (tag: string, operationId: string) => page.locator(`#operations-${tag.replace(/ /g, '_')}-${operationId}`)

describe('/docs in Chromium', { concurrency: false }, () => {
  it('renders every operation of /openapi.json from files the Worker serves itself', async () => {
    const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string; tags: string[] }>> }
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item).filter((op) => typeof op === 'object' && 'operationId' in op))
    const response = await page.goto(`${gateway.url}/docs`)
    assert.equal(response?.status(), 200)
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 })
    assert.equal(await page.locator('.opblock').count(), operations.length)
    for (const op of operations) assert.equal(await opblock(op.tags[0]!, op.operationId).count(), 1, op.operationId)
    assert.match((await page.locator('.info .title').textContent()) ?? '', /batchgate/)
    assert.ok(requested.some((u) => u.endsWith('/openapi.json')))
    assert.ok(requested.some((u) => /\/docs\/assets\/[0-9a-f]{16}\/swagger-ui-bundle\.js$/.test(u)))
  })

  it("shows a request body's named examples", async () => {
    const batch = opblock('Sync batches', 'runBatch')
    await batch.locator('.opblock-summary').click()
    await batch.locator('.opblock-body').waitFor()
    const body = batch.locator('.opblock-section-request-body')
    assert.match((await body.textContent()) ?? '', /photos\/2024\/cat\.jpg/)
    // The examples of api.md are there to pick.
    const options = await body.locator('select option').allTextContents()
    assert.ok(options.some((o) => /§5 example/.test(o)), options.join(' | '))
    await batch.locator('.opblock-summary').click()
  })

  it('runs "Try it out" against this origin: /healthz, then POST /v1/batch with a Bearer key', async () => {
    const health = opblock('Operability and pages', 'health')
    await health.locator('.opblock-summary').click()
    await health.locator('button.try-out__btn').click()
    await health.locator('button.execute').click()
    await health.locator('.live-responses-table .response-col_status').first().waitFor()
    assert.match((await health.locator('.live-responses-table').textContent()) ?? '', /200[\s\S]*"ok": true/)

    await page.locator('button.authorize').first().click()
    await page.locator('.modal-ux input[type=text], .modal-ux input[type=password]').first().fill(KEYS.all)
    await page.locator('.modal-ux button.authorize').click()
    await page.locator('.modal-ux button.btn-done, .modal-ux button.close-modal').first().click()

    const batch = opblock('Sync batches', 'runBatch')
    await batch.locator('.opblock-summary').click()
    await batch.locator('button.try-out__btn').click()
    await batch.locator('button.execute').click()
    const live = batch.locator('.live-responses-table')
    await live.locator('.response-col_status').first().waitFor()
    // The local example: the demo objects are not seeded here, so the stat finds nothing (207).
    assert.match((await live.textContent()) ?? '', /207[\s\S]*"summary"/)
    assert.ok(requested.some((u) => u.endsWith('/v1/batch')))
  })

  it('sent nothing to another origin, and met no CSP violation or script error', async () => {
    assert.deepEqual(elsewhere, [])
    assert.deepEqual(await page.evaluate(() => (globalThis as unknown as { violations: string[] }).violations), [])
    assert.deepEqual(browserErrors, [])
    for (const url of requested) assert.equal(new URL(url).origin, new URL(gateway.url).origin, url)
  })
})
