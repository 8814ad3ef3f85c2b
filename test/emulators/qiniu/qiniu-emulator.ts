/**
 * Qiniu Kodo management-API emulator: a plain node:http server.
 *
 * Provider endpoints (auth required):
 *   POST /batch, POST /glb/batch (the latter also takes `/glb/`-prefixed ops)
 *   POST|GET /<op>/... (single op: `/stat/<E>`, `/delete/<E>`, ...; also `/glb/<op>/...`)
 * Control endpoints (no auth): /__emulator/... — see test/emulators/control.ts.
 *
 * Authentication is checked with the official `qiniu` SDK signers (an implementation
 * independent of the gateway's):
 *   - `QBox <AK>:<sig>`  = generateAccessToken(mac, 'http://' + Host + url, body) where the body
 *     is included only when Content-Type is exactly `application/x-www-form-urlencoded`.
 *   - `Qiniu <AK>:<sig>` = generateAccessTokenV2(mac, 'http://' + Host + url, method,
 *     Content-Type, body, X-Qiniu-* headers) where the body is included only when Content-Type
 *     is exactly `application/x-www-form-urlencoded` or `application/json` (the Go SDK rule,
 *     `incBodyV2`; the Node SDK would include it for any type but octet-stream).
 *   The Host header is used as received. The Node SDK's v2 signer appends a non-default port a
 *   second time, so the emulator only verifies v2 tokens correctly when reached on port 80.
 *   Then, if `X-Qiniu-Date` is present, it must be `yyyyMMddTHHmmssZ` within maxSkewMs of the
 *   clock, else 403.
 *
 * Order of checks for a provider request: route → method (405) → body size (413) → auth
 * (401/403) → body shape (400: content type, form, 0 or > 1000 ops) → faults → ops.
 * So a request that fails auth or validation does not consume fault rules.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import qiniu from 'qiniu'
import { FaultError, FaultRegistry, type FaultTarget, type TerminalFault } from '../faults.ts'
import { OP_NAMES, parseOp, type ParsedOp } from './qiniu-ops.ts'
import { QiniuStore, SeedError, toJson, type OpResult } from './qiniu-store.ts'
import type { LogEntry } from '../control.ts'

export interface QiniuEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 80 (see the note on the SDK's port bug above). 0 picks a free port. */
  port?: number
  /** Access key → secret key. */
  credentials: Record<string, string>
  /** Largest accepted |X-Qiniu-Date − now|, default 15 minutes. */
  maxSkewMs?: number
  /** Clock for putTime, expiry dates and the X-Qiniu-Date check (default Date.now). */
  now?: () => number
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
const LOG_CAP = 10_000
const FORM = 'application/x-www-form-urlencoded'
const JSON_CT = 'application/json'
const DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/

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

type AuthResult =
  | { ok: true; scheme: 'Qiniu' | 'QBox'; accessKey: string }
  | { ok: false; status: 401 | 403; error: string; scheme: 'Qiniu' | 'QBox' | 'none'; accessKey: string | null }

class HttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooBig = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) tooBig = true
      else chunks.push(c)
    })
    req.on('end', () => (tooBig ? reject(new HttpError(413, 'request entity too large')) : resolve(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}

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

function mediaType(ct: string | undefined): string {
  return (ct ?? '').split(';')[0]!.trim().toLowerCase()
}

export async function startQiniuEmulator(opts: QiniuEmulatorOptions): Promise<QiniuEmulator> {
  const host = opts.host ?? '127.0.0.1'
  const port = opts.port ?? 80
  const maxSkewMs = opts.maxSkewMs ?? 15 * 60_000
  const now = opts.now ?? Date.now
  const credentials = new Map(Object.entries(opts.credentials))
  const store = new QiniuStore({ now })
  const faults = new FaultRegistry()
  const logs = new Map<string, LogEntry[]>()

  function record(buckets: ReadonlySet<string>, entry: LogEntry): void {
    for (const b of buckets) {
      let l = logs.get(b)
      if (!l) logs.set(b, (l = []))
      l.push(entry)
      if (l.length > LOG_CAP) l.splice(0, l.length - LOG_CAP)
    }
  }

  function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': String(Buffer.byteLength(body)),
      ...extra,
    })
    res.end(body)
  }
  const sendError = (res: ServerResponse, status: number, error: string, extra?: Record<string, string>) =>
    send(res, status, JSON.stringify({ error }), extra)

  function authenticate(req: IncomingMessage, body: string): AuthResult {
    const header = req.headers.authorization
    const m = header === undefined ? null : /^(Qiniu|QBox) ([^:\s]+):(\S+)$/.exec(header)
    if (!m) return { ok: false, status: 401, error: 'bad token', scheme: 'none', accessKey: null }
    const scheme = m[1] as 'Qiniu' | 'QBox'
    const accessKey = m[2]!
    const fail = (status: 401 | 403, error: string): AuthResult => ({ ok: false, status, error, scheme, accessKey })
    const secretKey = credentials.get(accessKey)
    const hostHeader = req.headers.host
    if (secretKey === undefined || !hostHeader) return fail(401, 'bad token')
    const mac = new qiniu.auth.digest.Mac(accessKey, secretKey)
    const requestURI = 'http://' + hostHeader + (req.url ?? '/')
    const contentType = req.headers['content-type']
    let expected: string
    try {
      if (scheme === 'QBox') {
        expected = qiniu.util.generateAccessToken(mac, requestURI, contentType === FORM ? body : undefined)
      } else {
        const qiniuHeaders: Record<string, string> = {}
        for (const [name, values] of Object.entries(req.headersDistinct)) {
          if (name.startsWith('x-qiniu-') && values && values[0] !== undefined) qiniuHeaders[name] = values[0]
        }
        const withBody = contentType === FORM || contentType === JSON_CT
        expected = qiniu.util.generateAccessTokenV2(mac, requestURI, req.method ?? 'GET', contentType ?? '', withBody ? body : undefined, qiniuHeaders)
      }
    } catch {
      return fail(401, 'bad token')
    }
    if (!safeEqual(expected, header!)) return fail(401, 'bad token')
    const date = req.headersDistinct['x-qiniu-date']?.[0]
    if (date !== undefined) {
      const d = DATE_RE.exec(date)
      const t = d ? Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!) : NaN
      const valid = d !== null && new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') === date
      if (!valid) return fail(403, 'invalid X-Qiniu-Date')
      if (Math.abs(now() - t) > maxSkewMs) return fail(403, 'request time too skewed')
    }
    return { ok: true, scheme, accessKey }
  }

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      setTimeout(resolve, ms).unref()
    })

  /** Handles /batch, /glb/batch and single-op requests. */
  async function handleProvider(req: IncomingMessage, res: ServerResponse, pathname: string, kind: 'batch' | 'single', glb: boolean): Promise<void> {
    const at = now()
    const method = req.method ?? 'GET'
    if (kind === 'batch' ? method !== 'POST' : method !== 'POST' && method !== 'GET') {
      req.resume()
      return sendError(res, 405, 'method not allowed', { Allow: kind === 'batch' ? 'POST' : 'GET, POST' })
    }
    const raw = await readBody(req)
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

    const auth = authenticate(req, body)
    const log = (httpStatus: number, fault?: LogEntry['fault']) => {
      const e: LogEntry = { method, path: pathname, auth: auth.scheme, accessKey: auth.accessKey, ops: parsed.length, httpStatus, at }
      if (fault) e.fault = fault
      record(buckets, e)
    }
    if (!auth.ok) {
      log(auth.status)
      return sendError(res, auth.status, auth.error)
    }
    if (bodyError !== undefined) {
      log(400)
      return sendError(res, 400, bodyError)
    }

    // Faults.
    const delayMs = faults.takeDelay(buckets)
    if (delayMs > 0) await delay(delayMs)
    const terminal: TerminalFault | undefined = faults.takeTerminal(buckets)
    // Ops that failed to parse answer 400 whatever the rules say: they do not consume op rules.
    const opFaults = terminal ? new Map() : faults.takeOpFaults(parsed.map((p) => (p.ok ? p.targets : [])))
    const run = (): OpResult[] =>
      parsed.map((p, i) => {
        if (!p.ok) return { code: p.code, data: { error: p.error } }
        const hit = opFaults.get(i)
        if (hit) return { code: hit.code, data: { error: hit.error ?? defaultError(hit.code) } }
        return store.apply(p.cmd)
      })

    if (terminal) {
      switch (terminal.kind) {
        case 'http': {
          log(terminal.status, 'http')
          const extra: Record<string, string> = {}
          if (terminal.retryAfter !== undefined) extra['Retry-After'] = String(terminal.retryAfter)
          return send(res, terminal.status, terminal.body ?? JSON.stringify({ error: defaultError(terminal.status) }), extra)
        }
        case 'garbage':
          log(200, 'garbage')
          return send(res, 200, terminal.body ?? '[{"code":200},{"code":2<html>upstream error</html>')
        case 'drop':
          if (terminal.apply) run()
          log(0, 'drop')
          res.socket?.destroy()
          return
      }
    }

    const results = run()
    const fault = delayMs > 0 ? 'delay' : opFaults.size > 0 ? 'op' : undefined
    if (kind === 'single') {
      const r = results[0]!
      log(r.code, fault)
      return send(res, r.code, r.data === undefined ? '' : toJson(r.data))
    }
    const status = results.every((r) => r.code === 200) ? 200 : 298
    log(status, fault)
    send(res, status, toJson(results))
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const raw = (await readBody(req)).toString('utf8')
    if (raw.trim() === '') return undefined
    try {
      return JSON.parse(raw)
    } catch {
      throw new HttpError(400, 'body is not valid JSON')
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET'
    const json = (status: number, v: unknown) => send(res, status, JSON.stringify(v))
    const requireBucket = (): string => {
      const b = query.get('bucket')
      if (!b) throw new HttpError(400, 'query parameter "bucket" is required')
      return b
    }
    const bm = /^\/__emulator\/buckets\/([^/]+)$/.exec(pathname)
    if (bm) {
      let bucket: string
      try {
        bucket = decodeURIComponent(bm[1]!)
      } catch {
        throw new HttpError(400, 'bad bucket name')
      }
      switch (method) {
        case 'PUT': {
          const body = (await readJson(req)) ?? {}
          if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body must be {"objects": [...]}')
          const n = store.putBucket(bucket, (body as { objects?: unknown }).objects ?? [])
          return json(200, { bucket, objects: n })
        }
        case 'PATCH': {
          const n = store.patchBucket(bucket, (await readJson(req)) ?? {})
          if (n === undefined) throw new HttpError(404, 'no such bucket')
          return json(200, { bucket, objects: n })
        }
        case 'GET': {
          req.resume()
          const objects = store.listObjects(bucket)
          if (!objects) throw new HttpError(404, 'no such bucket')
          return json(200, { objects })
        }
        case 'DELETE':
          req.resume()
          return json(200, { deleted: store.deleteBucket(bucket) })
        default:
          throw new HttpError(405, 'method not allowed')
      }
    }
    if (pathname === '/__emulator/faults') {
      switch (method) {
        case 'POST':
          return json(201, faults.add(await readJson(req)))
        case 'GET':
          req.resume()
          return json(200, faults.list(requireBucket()))
        case 'DELETE':
          req.resume()
          return json(200, { cleared: faults.clear(requireBucket()) })
        default:
          throw new HttpError(405, 'method not allowed')
      }
    }
    if (pathname === '/__emulator/log') {
      req.resume()
      const bucket = requireBucket()
      switch (method) {
        case 'GET':
          return json(200, logs.get(bucket) ?? [])
        case 'DELETE': {
          const n = logs.get(bucket)?.length ?? 0
          logs.delete(bucket)
          return json(200, { cleared: n })
        }
        default:
          throw new HttpError(405, 'method not allowed')
      }
    }
    throw new HttpError(404, 'unknown control route')
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Reqid', randomBytes(12).toString('base64url'))
    const url = req.url ?? '/'
    const qi = url.indexOf('?')
    const pathname = qi < 0 ? url : url.slice(0, qi)
    try {
      if (pathname.startsWith('/__emulator/')) {
        return await handleControl(req, res, pathname, new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1)))
      }
      if (pathname === '/batch') return await handleProvider(req, res, pathname, 'batch', false)
      if (pathname === '/glb/batch') return await handleProvider(req, res, pathname, 'batch', true)
      const first = (pathname.startsWith('/glb/') ? pathname.slice(4) : pathname).split('/')[1] ?? ''
      if ((OP_NAMES as readonly string[]).includes(first)) return await handleProvider(req, res, pathname, 'single', false)
      req.resume()
      sendError(res, 404, 'not found')
    } catch (e) {
      if (e instanceof HttpError) return sendError(res, e.status, e.message)
      if (e instanceof SeedError || e instanceof FaultError) return sendError(res, 400, e.message)
      // Never print request headers or bodies (they carry tokens).
      console.error(`[qiniu-emulator] internal error on ${req.method} ${pathname}: ${e instanceof Error ? e.message : String(e)}`)
      sendError(res, 500, 'emulator internal error')
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res)
  })
  server.keepAliveTimeout = 5_000

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      const where = `${host}:${port}`
      const hint =
        e.code === 'EADDRINUSE'
          ? `${where} is already in use (is another emulator or test run active?)`
          : e.code === 'EACCES'
            ? `no permission to listen on ${where} (ports below 1024 need root or CAP_NET_BIND_SERVICE)`
            : e.code === 'EADDRNOTAVAIL'
              ? `address ${host} is not available on this machine`
              : e.message
      const err = new Error(`Qiniu emulator cannot listen on ${where}: ${hint}`) as NodeJS.ErrnoException
      if (e.code !== undefined) err.code = e.code
      reject(err)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })

  const actualPort = (server.address() as AddressInfo).port
  const hostPart = host.includes(':') ? `[${host}]` : host
  const url = `http://${hostPart}${actualPort === 80 ? '' : `:${actualPort}`}`

  let closed: Promise<void> | undefined
  return {
    url,
    store,
    faults,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()))
        server.closeAllConnections()
      })
      return closed
    },
  }
}
