/**
 * Qiniu Kodo management-API emulator: the provider routes on the shared emulator server
 * (../http-server.ts).
 *
 * Provider endpoints (auth required; see qiniu-auth.ts for the token rules):
 *   POST /batch, POST /glb/batch (the latter also takes `/glb/`-prefixed ops)
 *   POST|GET /<op>/... (single op: `/stat/<E>`, `/delete/<E>`, ...; also `/glb/<op>/...`)
 * rsf: GET|POST /list?bucket=&marker=&limit=&prefix= (management token; qiniu-list-route.ts).
 * up: POST / multipart form upload (upload token; qiniu-upload-route.ts).
 * Download domains: GET|HEAD /download/<bucket>/<key>?e=&token= (qiniu-download-route.ts).
 * uc (no auth): GET /v4/query?ak=&bucket= — the bucket's region (uc-query.ts). With `regions`,
 *   this instance is one region of a multi-region account (qiniu-regions.ts).
 * Control endpoints (no auth): /__emulator/... — see ../control.ts (served by ../control-routes.ts).
 * Errors answer `{error: <message>}`; every answer carries an `X-Reqid` header.
 *
 * Order of checks for a provider request: route → method (405) → body size (413) → auth
 * (401/403) → body shape (400: content type, form, 0 or > 1000 ops) → faults → ops.
 * So a request that fails auth or validation does not consume fault rules.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import { FaultError, FaultRegistry, type FaultTarget, type TerminalFault } from '../faults.ts'
import { RequestLog } from '../control-routes.ts'
import { dropConnection, mediaType, readBody, retryAfterHeader, sendJsonText, sleep } from '../http-io.ts'
import { startEmulatorServer } from '../http-server.ts'
import { authenticate, FORM } from './qiniu-auth.ts'
import { OP_NAMES, parseOp, type ParsedOp } from './qiniu-ops.ts'
import { QiniuStore, SeedError, toJson, type OpResult } from './qiniu-store.ts'
import { DOWNLOAD_PREFIX, handleDownload } from './qiniu-download-route.ts'
import { handleList } from './qiniu-list-route.ts'
import type { RouteContext } from './qiniu-route-support.ts'
import { handleUpload } from './qiniu-upload-route.ts'
import type { QiniuRegions } from './qiniu-regions.ts'
import { handleUcQuery, UC_QUERY_PATH } from './uc-query.ts'
import type { LogEntry } from '../control.ts'

export interface QiniuEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 80 (see qiniu-auth.ts on the SDK's port bug). 0 picks a free port. */
  port?: number
  /** Access key → secret key. */
  credentials: Record<string, string>
  /** Largest accepted |X-Qiniu-Date − now|, default 15 minutes. */
  maxSkewMs?: number
  /** Clock for putTime, expiry dates and the X-Qiniu-Date check (default Date.now). */
  now?: () => number
  /** Serve region `id` of a multi-region account whose directory (and store) `directory` holds. */
  regions?: { directory: QiniuRegions; id: string }
}

export interface QiniuEmulator {
  /** e.g. `http://127.0.0.1` (no port when 80). */
  url: string
  close(): Promise<void>
  /** Direct access for Node-side tests. */
  store: QiniuStore
  faults: FaultRegistry
}

const MAX_OPS = 1000
const MAX_BODY = 16 * 1024 * 1024

const DEFAULT_ERRORS: Record<number, string> = {
  400: 'bad request',
  401: 'bad token',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  500: 'internal server error',
  502: 'bad gateway',
  503: 'service unavailable',
  504: 'gateway timeout',
  573: 'too many requests',
  599: 'server error',
  608: 'file modified',
  612: 'no such file or directory',
  614: 'file exists',
  631: 'no such bucket',
}
const defaultError = (code: number) => DEFAULT_ERRORS[code] ?? `error ${code}`

/**
 * Strict application/x-www-form-urlencoded parsing of the `op` values. A pair whose NAME cannot
 * be decoded makes the whole body unusable (null); an `op` VALUE that cannot be decoded yields
 * undefined at its position (that op answers 400). Other parameters are ignored.
 */
function parseFormOps(body: string): Array<string | undefined> | null {
  const ops: Array<string | undefined> = []
  if (body === '') return ops
  const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))
  for (const pair of body.split('&')) {
    if (pair === '') continue
    const i = pair.indexOf('=')
    const rawName = i < 0 ? pair : pair.slice(0, i)
    let name: string
    try {
      name = dec(rawName)
    } catch {
      return null
    }
    if (name !== 'op') continue
    if (i < 0) {
      ops.push(undefined)
      continue
    }
    try {
      ops.push(dec(pair.slice(i + 1)))
    } catch {
      ops.push(undefined)
    }
  }
  return ops
}

export async function startQiniuEmulator(opts: QiniuEmulatorOptions): Promise<QiniuEmulator> {
  const maxSkewMs = opts.maxSkewMs ?? 15 * 60_000
  const now = opts.now ?? Date.now
  const credentials = new Map(Object.entries(opts.credentials))
  const store = opts.regions?.directory.store ?? new QiniuStore({ now })
  let selfHost = ''
  const faults = new FaultRegistry()
  const log = new RequestLog<LogEntry>()

  const sendError = (res: ServerResponse, status: number, error: string, extra?: Record<string, string>) =>
    sendJsonText(res, status, JSON.stringify({ error }), extra)

  /** Handles /batch, /glb/batch and single-op requests. */
  async function handleProvider(req: IncomingMessage, res: ServerResponse, pathname: string, kind: 'batch' | 'single', glb: boolean): Promise<void> {
    const at = now()
    const method = req.method ?? 'GET'
    if (kind === 'batch' ? method !== 'POST' : method !== 'POST' && method !== 'GET') {
      req.resume()
      return sendError(res, 405, 'method not allowed', { Allow: kind === 'batch' ? 'POST' : 'GET, POST' })
    }
    const raw = await readBody(req, MAX_BODY)
    const body = raw.toString('utf8')

    // Parse first (without answering) so that every outcome can be logged against its buckets.
    let parsed: ParsedOp[] = []
    let bodyError: string | undefined
    if (kind === 'single') {
      let opPath: string | undefined
      try {
        opPath = decodeURIComponent(pathname)
      } catch {
        opPath = undefined
      }
      parsed = [opPath === undefined ? { ok: false, code: 400, error: 'invalid op', targets: [] } : parseOp(opPath, { allowGlb: true })]
    } else if (mediaType(req.headers['content-type']) !== FORM) {
      bodyError = 'content type must be application/x-www-form-urlencoded'
    } else {
      const ops = parseFormOps(body)
      if (ops === null) bodyError = 'invalid form body'
      else if (ops.length === 0) bodyError = 'no op'
      else if (ops.length > MAX_OPS) bodyError = `too many ops: ${ops.length} > ${MAX_OPS}`
      parsed = (ops ?? []).map((op) =>
        op === undefined ? { ok: false, code: 400, error: 'invalid op', targets: [] } : parseOp(op, { allowGlb: glb }),
      )
    }
    const targets: FaultTarget[][] = parsed.map((p) => p.targets)
    const buckets = new Set(targets.flat().map((t) => t.bucket))

    const auth = authenticate(req, body, { credentials, now, maxSkewMs })
    const logAnswer = (httpStatus: number, fault?: LogEntry['fault']) => {
      const e: LogEntry = { method, path: pathname, auth: auth.scheme, accessKey: auth.accessKey, ops: parsed.length, httpStatus, at }
      if (fault) e.fault = fault
      log.record(buckets, e)
    }
    if (!auth.ok) {
      logAnswer(auth.status)
      return sendError(res, auth.status, auth.error)
    }
    if (bodyError !== undefined) {
      logAnswer(400)
      return sendError(res, 400, bodyError)
    }

    // Faults.
    const delayMs = faults.takeDelay(buckets)
    if (delayMs > 0) await sleep(delayMs)
    const terminal: TerminalFault | undefined = faults.takeTerminal(buckets)
    // Ops that failed to parse answer 400 whatever the rules say: they do not consume op rules.
    const opFaults = terminal ? new Map() : faults.takeOpFaults(parsed.map((p) => (p.ok ? p.targets : [])))
    const run = (): OpResult[] =>
      parsed.map((p, i) => {
        if (!p.ok) return { code: p.code, data: { error: p.error } }
        const elsewhere = opts.regions?.directory.refuse(opts.regions.id, p.targets.map((t) => t.bucket))
        if (elsewhere) return elsewhere
        const hit = opFaults.get(i)
        if (hit) return { code: hit.code, data: { error: hit.error ?? defaultError(hit.code) } }
        return store.apply(p.cmd)
      })

    if (terminal) {
      switch (terminal.kind) {
        case 'http':
          logAnswer(terminal.status, 'http')
          return sendJsonText(res, terminal.status, terminal.body ?? JSON.stringify({ error: defaultError(terminal.status) }), retryAfterHeader(terminal))
        case 'garbage':
          logAnswer(200, 'garbage')
          return sendJsonText(res, 200, terminal.body ?? '[{"code":200},{"code":2<html>upstream error</html>')
        case 'drop':
          if (terminal.apply) run()
          logAnswer(0, 'drop')
          dropConnection(res)
          return
      }
    }

    const results = run()
    const fault = delayMs > 0 ? 'delay' : opFaults.size > 0 ? 'op' : undefined
    if (kind === 'single') {
      const r = results[0]!
      logAnswer(r.code, fault)
      return sendJsonText(res, r.code, r.data === undefined ? '' : toJson(r.data))
    }
    const status = results.every((r) => r.code === 200) ? 200 : 298
    logAnswer(status, fault)
    sendJsonText(res, status, toJson(results))
  }

  // The rsf, up and download hosts' routes, whose paths do not clash with RS's (qiniu-*-route.ts).
  const objectRoutes: RouteContext = { store, faults, log, credentials, maxSkewMs, now, defaultError }
  const regions = opts.regions
  if (regions)
    objectRoutes.otherRegion = (bucket) => {
      const r = regions.directory.refuse(regions.id, [bucket])
      return r && { code: r.code, error: (r.data as { error: string }).error }
    }

  /** /batch, /glb/batch, the single-op paths and the object routes; anything else is 404. */
  async function provider(req: IncomingMessage, res: ServerResponse, pathname: string, rawQuery: string): Promise<void> {
    if (pathname === '/list') return handleList(objectRoutes, req, res, pathname, rawQuery)
    if (pathname === '/') return handleUpload(objectRoutes, req, res)
    if (pathname.startsWith(DOWNLOAD_PREFIX)) return handleDownload(objectRoutes, req, res, pathname, rawQuery)
    if (pathname === UC_QUERY_PATH)
      return handleUcQuery(req, res, rawQuery, { credentials, store, regions: opts.regions?.directory, selfHost: () => selfHost, faults, log, now })
    if (pathname === '/batch') return handleProvider(req, res, pathname, 'batch', false)
    if (pathname === '/glb/batch') return handleProvider(req, res, pathname, 'batch', true)
    const first = (pathname.startsWith('/glb/') ? pathname.slice(4) : pathname).split('/')[1] ?? ''
    if ((OP_NAMES as readonly string[]).includes(first)) return handleProvider(req, res, pathname, 'single', false)
    req.resume()
    sendError(res, 404, 'not found')
  }

  const server = await startEmulatorServer({
    label: 'Qiniu',
    name: 'qiniu',
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 80,
    control: {
      buckets: {
        badName: { code: 'InvalidParameter', message: 'bad bucket name' },
        missing: { code: 'NotFound', message: 'no such bucket' },
        putShape: 'body must be {"objects": [...]}',
        put: (bucket, body) => store.putBucket(bucket, body.objects ?? []),
        patch: (bucket, body) => store.patchBucket(bucket, body),
        get: (bucket) => {
          const objects = store.listObjects(bucket)
          return objects && { objects }
        },
        delete: (bucket) => store.deleteBucket(bucket),
      },
      faults,
      log,
      maxBody: MAX_BODY,
    },
    onRequest: (res) => res.setHeader('X-Reqid', randomBytes(12).toString('base64url')),
    provider,
    isBadInput: (e) => e instanceof SeedError || e instanceof FaultError,
    sendError: (_req, res, err) => sendError(res, err.status, err.message),
  })
  selfHost = new URL(server.url).host
  opts.regions?.directory.register(opts.regions.id, server.url)
  return { url: server.url, store, faults, close: server.close }
}
