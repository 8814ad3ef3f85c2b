import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
// Imported as text (wrangler.toml [[rules]] type = "Text"): the Worker serves Swagger UI itself, so
// the page loads nothing from a CDN and its CSP can name this origin only.
import SWAGGER_UI_CSS from 'swagger-ui-dist/swagger-ui.css'
import SWAGGER_UI_JS from 'swagger-ui-dist/swagger-ui-bundle.js'
import { sha256Hex } from '../../../shared/crypto/hash.ts'
import type { AppEnv } from '../app-env.ts'
import { methodNotAllowed } from './method-not-allowed.ts'

/**
 * Starts Swagger UI on /openapi.json. A file of its own rather than an inline script, so the CSP
 * needs no 'unsafe-inline'. `validatorUrl: null` keeps Swagger UI from asking swagger.io to
 * validate the document; authorisations are not persisted, so an API key typed into "Authorize"
 * stays in the page's memory only.
 */
const INIT_JS = `'use strict';
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
  docExpansion: 'list',
  filter: true,
});
`

/** The page's own few rules: the reference fills the window without Swagger UI's demo top bar. */
const PAGE_CSS = `body { margin: 0; background: #fafafa; }
.swagger-ui .information-container { padding-top: 8px; }
`

const ASSETS = {
  'swagger-ui.css': { body: SWAGGER_UI_CSS, type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { body: SWAGGER_UI_JS, type: 'text/javascript; charset=utf-8' },
  'docs.css': { body: PAGE_CSS, type: 'text/css; charset=utf-8' },
  'docs-init.js': { body: INIT_JS, type: 'text/javascript; charset=utf-8' },
} as const
type AssetName = keyof typeof ASSETS

/**
 * Asset URLs carry a digest of their contents, so they can be cached for a year: an upgrade of
 * swagger-ui-dist (or of the init script) changes the URL the page names. Computed once per isolate.
 */
let version: Promise<string> | undefined
const assetVersion = () => (version ??= sha256Hex(Object.values(ASSETS).map((a) => a.body).join('\u0000')).then((h) => h.slice(0, 16)))

const page = (v: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>batchgate API reference</title>
<link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/docs/assets/${v}/swagger-ui.css">
<link rel="stylesheet" href="/docs/assets/${v}/docs.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/${v}/swagger-ui-bundle.js"></script>
<script src="/docs/assets/${v}/docs-init.js"></script>
</body>
</html>
`

/**
 * This origin only: scripts and styles from /docs/assets, the document and "Try it out" calls to
 * the API itself; `data:` images are the stylesheet's inline SVG icons. No frames, forms or fonts.
 */
const docsHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
  })

/** `GET /docs`: the API reference, rendered in the browser by Swagger UI (swagger-ui-dist) from /openapi.json. */
export const docs = new Hono<AppEnv>()
  .use(docsHeaders())
  .get('/', async (c) => c.body(page(await assetVersion()), 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }))
  .all('/', methodNotAllowed('GET', 'HEAD'))
  .get('/assets/:version/:name', async (c) => {
    const name = c.req.param('name')
    // An old version's URL is a 404, not today's file under a year-long cache header.
    if (c.req.param('version') !== (await assetVersion()) || !Object.hasOwn(ASSETS, name)) return c.notFound()
    const asset = ASSETS[name as AssetName]
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable' })
  })
  .all('/assets/:version/:name', methodNotAllowed('GET', 'HEAD'))
