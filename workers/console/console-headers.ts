import { secureHeaders } from 'hono/secure-headers'

/**
 * A strict CSP: only this origin's script and stylesheet (assets.ts), no inline code, no frames.
 * Bars are SVG geometry, not inline styles, so `style-src` needs no 'unsafe-inline'. The referrer
 * policy is `same-origin` rather than hono's `no-referrer`, under which Chromium sends
 * `Origin: null` on form posts and the same-origin check would refuse them.
 */
export const consoleHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
  })
