import { Hono } from 'hono'
import type { AppEnv } from '../api/app-env.ts'

/**
 * The console's only script and stylesheet, served from this origin so the CSP can say
 * `script-src 'self'; style-src 'self'` with no inline code, nonce or CDN.
 */

/**
 * Live sections: an element with `data-live="<url>"` is refreshed in place from that URL (a server-
 * rendered fragment) until the fragment carries `data-settled`. In place rather than a meta refresh,
 * so a button is not lost to a reload in mid-click.
 */
const SCRIPT = `'use strict';
(function () {
  var INTERVAL = 1000;
  document.querySelectorAll('[data-live]').forEach(function (el) {
    var url = el.getAttribute('data-live');
    function settled() { return el.querySelector('[data-settled]') !== null; }
    function tick() {
      if (settled()) return;
      fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' } })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (html) {
          if (html === null) return;
          if (html !== el.innerHTML) el.innerHTML = html;
          setTimeout(tick, INTERVAL);
        })
        .catch(function () { setTimeout(tick, INTERVAL * 5); });
    }
    setTimeout(tick, INTERVAL);
  });
})();
`

const STYLE = `
:root { --ink: #1d2430; --muted: #5d6878; --line: #dde2ea; --bg: #f5f7fa; --card: #fff; --accent: #2457d6;
  --ok: #2e9d5b; --bad: #d2463c; --warn: #c98a12; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font-size: 15px; line-height: 1.45; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 28px; background: #18202e; color: #fff; }
header.top .brand { font-weight: 700; letter-spacing: .02em; color: #fff; text-decoration: none; font-size: 17px; }
header.top nav { display: flex; gap: 16px; flex: 1; }
header.top nav a { color: #c9d3e3; text-decoration: none; }
header.top nav a:hover { color: #fff; }
header.top .who { color: #c9d3e3; font-size: 13px; }
header.top form { margin: 0; }
main { max-width: 1080px; margin: 24px auto; padding: 0 24px; }
h1 { font-size: 22px; margin: 0 0 16px; }
h2 { font-size: 16px; margin: 0 0 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin-bottom: 18px; }
.muted { color: var(--muted); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: var(--accent); }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e8ecf3; color: #3a4558; }
.badge.Active, .badge.Completing, .badge.Preparing, .badge.Ready, .badge.New { background: #e2ebfd; color: #1f4fc4; }
.badge.Complete { background: #dff3e7; color: #1f7a45; }
.badge.Failed, .badge.Failing { background: #fbe3e1; color: #a8322a; }
.badge.Suspended, .badge.Paused, .badge.Pausing { background: #fbf0d9; color: #8a5d06; }
.badge.Cancelled, .badge.Cancelling { background: #eceef2; color: #5d6878; }
.badge.s2xx { background: #dff3e7; color: #1f7a45; }
.badge.sfail { background: #fbe3e1; color: #a8322a; }
svg.bar { display: block; width: 100%; height: 12px; border-radius: 6px; }
svg.bar .rest { fill: #e6e9ef; }
svg.bar .ok { fill: var(--ok); }
svg.bar .bad { fill: var(--bad); }
.progress { min-width: 220px; }
.progress .legend { font-size: 12px; color: var(--muted); margin-top: 3px; font-variant-numeric: tabular-nums; }
.stats { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 14px 0; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.stat .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.stat .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat.ok .value { color: var(--ok); }
.stat.bad .value { color: var(--bad); }
.chart td { border: none; padding: 5px 10px; }
.chart td.code { width: 190px; }
.chart svg { display: block; width: 100%; height: 18px; }
.chart svg rect { fill: var(--bad); }
.actions { display: flex; gap: 10px; flex-wrap: wrap; }
.actions form { margin: 0; }
button, .button { font: inherit; border: 1px solid var(--line); background: #fff; color: var(--ink); border-radius: 6px; padding: 6px 14px; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: #efc1bd; }
header.top button { background: transparent; color: #c9d3e3; border-color: #3a475d; padding: 3px 10px; font-size: 13px; }
label { display: block; font-weight: 600; margin-bottom: 6px; }
input[type=password], input[type=text], textarea { width: 100%; font: inherit; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; min-height: 220px; }
.notice { border-left: 4px solid var(--accent); background: #eef3fe; padding: 10px 14px; border-radius: 4px; margin-bottom: 16px; }
.notice.error { border-color: var(--bad); background: #fdeeed; }
dl.meta { display: grid; grid-template-columns: 170px 1fr; gap: 6px 14px; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.signin { max-width: 420px; margin: 60px auto; }
.row { display: flex; gap: 12px; align-items: center; justify-content: space-between; }
`

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#18202e"/><rect x="3" y="4" width="10" height="2" fill="#2e9d5b"/><rect x="3" y="7" width="7" height="2" fill="#2e9d5b"/><rect x="3" y="10" width="4" height="2" fill="#d2463c"/></svg>`

export const assets = new Hono<AppEnv>()
  .get('/icon.svg', (c) => c.body(ICON, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' }))
  .get('/console.js', (c) => c.body(SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300' }))
  .get('/console.css', (c) => c.body(STYLE, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=300' }))
