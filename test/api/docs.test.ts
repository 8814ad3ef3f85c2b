import { describe, expect, it } from 'vitest'
import { call } from '../helpers.ts'

/** Every URL an HTML page names in src/href attributes. */
const urlsOf = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string)

const csp = (headers: Headers) =>
  Object.fromEntries(
    (headers.get('Content-Security-Policy') ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name, values]),
  )

describe('/docs', () => {
  it('serves an HTML reference page without a key, naming only same-origin URLs', async () => {
    const r = await call('/docs', { key: null })
    expect(r.status).toBe(200)
    expect(r.headers.get('Content-Type')).toBe('text/html; charset=utf-8')
    expect(r.headers.get('X-Request-Id')).toBeTruthy()
    expect(r.text).toContain('<div id="swagger-ui"></div>')
    const urls = urlsOf(r.text)
    expect(urls.length).toBeGreaterThanOrEqual(4)
    for (const url of urls) expect(url).toMatch(/^\/(?!\/)/)
    // No inline code: every script is a file, so the CSP needs no 'unsafe-inline'.
    expect(r.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(r.text).not.toMatch(/<style|\sstyle=/)
  })

  it('forbids every other origin in its Content-Security-Policy', async () => {
    const r = await call('/docs', { key: null })
    const policy = csp(r.headers)
    expect(policy['default-src']).toEqual(["'none'"])
    expect(policy['script-src']).toEqual(["'self'"])
    expect(policy['style-src']).toEqual(["'self'"])
    expect(policy['connect-src']).toEqual(["'self'"])
    expect(policy['img-src']).toEqual(["'self'", 'data:'])
    expect(policy['frame-ancestors']).toEqual(["'none'"])
    for (const values of Object.values(policy) as string[][]) for (const v of values) expect(v).toMatch(/^('none'|'self'|data:)$/)
    expect(r.headers.get('X-Content-Type-Options')).toBe('nosniff')
  })

  it('serves Swagger UI from the Worker with the right content types and a year-long cache', async () => {
    const page = await call('/docs', { key: null })
    const assets = urlsOf(page.text).filter((u) => u.startsWith('/docs/assets/'))
    expect(assets.map((u) => u.split('/').pop()).sort()).toEqual(['docs-init.js', 'docs.css', 'swagger-ui-bundle.js', 'swagger-ui.css'])
    for (const url of assets) {
      const r = await call(url, { key: null })
      expect(r.status, url).toBe(200)
      expect(r.headers.get('Content-Type'), url).toBe(url.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8')
      expect(r.headers.get('Cache-Control'), url).toBe('public, max-age=31536000, immutable')
    }
    const bundle = await call(assets.find((u) => u.endsWith('swagger-ui-bundle.js'))!, { key: null })
    expect(bundle.text.length).toBeGreaterThan(500_000)
    expect(bundle.text).toContain('SwaggerUIBundle')
    const init = await call(assets.find((u) => u.endsWith('docs-init.js'))!, { key: null })
    expect(init.text).toContain("url: '/openapi.json'")
    expect(init.text).toContain('validatorUrl: null')
  })

  it('answers 404 for an asset of another version or an unknown file, and 405 for other methods', async () => {
    const page = await call('/docs', { key: null })
    const css = urlsOf(page.text).find((u) => u.endsWith('/swagger-ui.css'))!
    const version = css.split('/')[3]!
    expect((await call('/docs/assets/0123456789abcdef/swagger-ui.css', { key: null })).status).toBe(404)
    const unknown = await call(`/docs/assets/${version}/index.html`, { key: null })
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('Content-Type')).toBe('application/problem+json')
    const post = await call('/docs', { key: null, method: 'POST', body: {} })
    expect(post.status).toBe(405)
    expect(post.headers.get('Allow')).toBe('GET, HEAD')
  })
})
