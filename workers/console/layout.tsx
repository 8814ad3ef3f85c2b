import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Principal } from '../../shared/auth/api-keys.ts'

export function Layout(props: { title: string; principal?: Principal | undefined; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · batchgate`}</title>
        <link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">batchgate</a>
          {props.principal ? (
            <>
              <nav>
                <a href="/">Jobs</a>
                <a href="/console/playground">Batch playground</a>
              </nav>
              <span class="who">
                tenant <strong>{props.principal.tenant}</strong>
              </span>
              <form method="post" action="/console/sign-out">
                <button type="submit">Sign out</button>
              </form>
            </>
          ) : (
            <nav />
          )}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  )
}

/**
 * A whole page: hono's JSX escapes every string it renders, so user data never reaches the page
 * as markup. The console's components are synchronous, so rendering yields a string.
 */
export function page(c: Context, node: unknown, status: ContentfulStatusCode = 200, headers: Record<string, string> = {}): Response {
  return c.body(`<!DOCTYPE html>${String(node)}`, status, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
}

/** A fragment for a live section (see assets.ts). */
export function fragment(c: Context, node: unknown): Response {
  return c.body(String(node), 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
}
