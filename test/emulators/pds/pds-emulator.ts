/**
 * Aliyun PDS (Drive and Photo Service) emulator: a plain node:http server serving `/v2/batch` with
 * `resource: "file"` (provider-protocols §4) over in-memory drives (see pds-store.ts).
 *
 * Provider endpoint (auth required): POST /v2/batch
 *   - `Authorization: Bearer <token>` with a token the emulator was started with, else 401
 *     `{code: "AccessTokenInvalid"}`.
 *   - `Content-Type: application/json`; body `{resource: "file", requests: [...]}` with 1 to 100
 *     child requests, each `{id, method, url, headers?, body?}` with a unique non-empty `id`; else
 *     400 `{code: "InvalidParameter..."}` and nothing runs.
 *   - Each child request answers its own `{id, status, body?}`: a child whose `method` is not POST,
 *     or that has a body without `headers["Content-Type"]: application/json`, answers 400; the others
 *     run in request order (see pds-store.ts for what each does).
 *   - The answer is 200 `{responses: [...]}` in a DIFFERENT order from the requests (shuffled, and
 *     never the request order when there are two or more), so a client must match them by id.
 * Control endpoints (no auth): /__emulator/... — the same routes as the Qiniu emulator, with drive
 * ids for buckets and files for objects; see test/emulators/control.ts.
 *
 * Fault rules are the shared registry's, scoped to a drive (`bucket`) and a file id (`key`; a child
 * request touches its file and its destination folder). An `op` rule answers that child with status
 * `code` and body `{code: error ?? <default for the status>, message}`; an `http` rule answers the
 * whole request with `status` and `{code, message}` (or its raw `body`).
 *
 * Order of checks: route → method (405) → body size (413) → auth (401) → body shape (400) → faults →
 * child requests. So a request that fails auth or validation does not consume fault rules.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { FaultError, FaultRegistry, type FaultTarget } from '../faults.ts'
import type { PdsLogEntry } from '../control.ts'
import { PdsStore, SeedError, type SubResult } from './pds-store.ts'

export interface PdsEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 9200; 0 picks a free port. */
  port?: number
  /** The Bearer tokens accepted. */
  tokens: readonly string[]
  /** Answer in request order instead of shuffled (default false). */
  inOrder?: boolean
  /** Clock for file times (default Date.now). */
  now?: () => number
}

export interface PdsEmulator {
  /** e.g. `http://127.0.0.1:9200`. */
  url: string
  close(): Promise<void>
  /** Direct access for Node-side tests. */
  store: PdsStore
  faults: FaultRegistry
}

export const MAX_REQUESTS = 100
const MAX_BODY = 16 * 1024 * 1024
const LOG_CAP = 10_000

const DEFAULT_CODES: Record<number, string> = {
  400: 'InvalidParameter',
  401: 'AccessTokenInvalid',
  403: 'ForbiddenNoPermission.File',
  404: 'NotFound.File',
  409: 'AlreadyExist.File',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
}
const defaultCode = (status: number) => DEFAULT_CODES[status] ?? (status >= 500 ? 'InternalError' : `Error${status}`)
const errorBody = (code: string, message: string) => JSON.stringify({ code, message })

class HttpError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

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
    req.on('end', () => (tooBig ? reject(new HttpError(413, 'EntityTooLarge', 'request entity too large')) : resolve(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}

const mediaType = (ct: string | undefined) => (ct ?? '').split(';')[0]!.trim().toLowerCase()

/** One child request as parsed: runnable, or answered at once with `early`. */
interface Child {
  id: string
  url: string
  body: unknown
  targets: FaultTarget[]
  early?: SubResult
}

/** The drives and files a child request touches (for fault rules and the per-drive log). */
function targetsOf(body: unknown): FaultTarget[] {
  if (!isObj(body) || typeof body.drive_id !== 'string') return []
  const t: FaultTarget[] = [typeof body.file_id === 'string' ? { bucket: body.drive_id, key: body.file_id } : { bucket: body.drive_id }]
  if (typeof body.to_parent_file_id === 'string')
    t.push({ bucket: typeof body.to_drive_id === 'string' ? body.to_drive_id : body.drive_id, key: body.to_parent_file_id })
  return t
}

/** Validates the batch body: the child requests, or a reason to refuse the whole request. */
function parseBatch(json: unknown): { children: Child[] } | { error: string; code: string } {
  if (!isObj(json)) return { code: 'InvalidParameter', error: 'body must be a JSON object' }
  if (json.resource !== 'file') return { code: 'InvalidParameter.Resource', error: 'resource must be "file" (the only resource this emulator serves)' }
  const requests = json.requests
  if (!Array.isArray(requests) || requests.length < 1 || requests.length > MAX_REQUESTS)
    return { code: 'InvalidParameter.Requests', error: `requests must hold 1 to ${MAX_REQUESTS} child requests` }
  const seen = new Set<string>()
  const children: Child[] = []
  for (const r of requests) {
    if (!isObj(r) || typeof r.id !== 'string' || r.id === '') return { code: 'InvalidParameter.Id', error: 'every child request needs a non-empty string id' }
    if (seen.has(r.id)) return { code: 'InvalidParameter.Id', error: `duplicate child request id ${JSON.stringify(r.id)}` }
    seen.add(r.id)
    if (typeof r.url !== 'string' || typeof r.method !== 'string') return { code: 'InvalidParameter', error: `child request ${r.id}: url and method are required` }
    const child: Child = { id: r.id, url: r.url, body: r.body, targets: targetsOf(r.body) }
    const headers = isObj(r.headers) ? r.headers : {}
    const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1]
    if (r.method.toUpperCase() !== 'POST') child.early = { status: 400, body: { code: 'InvalidParameter.Method', message: `${r.url} takes POST` } }
    else if (r.body !== undefined && (typeof contentType !== 'string' || mediaType(contentType) !== 'application/json'))
      child.early = { status: 400, body: { code: 'InvalidParameter.Headers', message: 'a child request with a body needs headers {"Content-Type": "application/json"}' } }
    children.push(child)
  }
  return { children }
}

/** A shuffle that never leaves two or more answers in request order. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  if (out.length > 1 && out.every((x, i) => x === items[i])) out.push(out.shift()!)
  return out
}

export async function startPdsEmulator(opts: PdsEmulatorOptions): Promise<PdsEmulator> {
  const host = opts.host ?? '127.0.0.1'
  const port = opts.port ?? 9200
  const tokens = opts.tokens.map((t) => Buffer.from(t))
  const store = new PdsStore(opts.now ? { now: opts.now } : {})
  const faults = new FaultRegistry()
  const logs = new Map<string, PdsLogEntry[]>()

  function record(drives: ReadonlySet<string>, entry: PdsLogEntry): void {
    for (const d of drives) {
      let l = logs.get(d)
      if (!l) logs.set(d, (l = []))
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
  const sendError = (res: ServerResponse, status: number, code: string, message: string, extra?: Record<string, string>) =>
    send(res, status, errorBody(code, message), extra)

  /** Whether the request carries an accepted Bearer token (compared in constant time). */
  function authenticate(req: IncomingMessage): { scheme: 'Bearer' | 'none'; valid: boolean } {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
    if (!m) return { scheme: 'none', valid: false }
    const given = Buffer.from(m[1]!)
    return { scheme: 'Bearer', valid: tokens.some((t) => t.length === given.length && timingSafeEqual(t, given)) }
  }

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      setTimeout(resolve, ms).unref()
    })

  async function handleBatch(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const at = Date.now()
    const method = req.method ?? 'GET'
    if (method !== 'POST') {
      req.resume()
      return sendError(res, 405, 'MethodNotAllowed', 'POST only', { Allow: 'POST' })
    }
    const raw = (await readBody(req)).toString('utf8')

    // Parse first (without answering) so that every outcome can be logged against its drives.
    let json: unknown
    let parsed: ReturnType<typeof parseBatch>
    if (mediaType(req.headers['content-type']) !== 'application/json') parsed = { code: 'InvalidParameter.ContentType', error: 'Content-Type must be application/json' }
    else {
      try {
        json = JSON.parse(raw)
        parsed = parseBatch(json)
      } catch {
        parsed = { code: 'InvalidParameter', error: 'body is not valid JSON' }
      }
    }
    const rawRequests = isObj(json) && Array.isArray(json.requests) ? json.requests : []
    const children = 'children' in parsed ? parsed.children : []
    const drives = new Set(
      ('children' in parsed ? children.map((c) => c.targets) : rawRequests.map((r) => targetsOf(isObj(r) ? r.body : undefined))).flat().map((t) => t.bucket),
    )
    const auth = authenticate(req)
    const log = (httpStatus: number, fault?: PdsLogEntry['fault']) => {
      const urls = rawRequests.map((r) => (isObj(r) && typeof r.url === 'string' ? r.url : ''))
      const e: PdsLogEntry = { method, path: pathname, auth: auth.scheme, tokenValid: auth.valid, ops: rawRequests.length, urls, httpStatus, at }
      if (fault) e.fault = fault
      record(drives, e)
    }
    if (!auth.valid) {
      log(401)
      return sendError(res, 401, 'AccessTokenInvalid', 'AccessToken is invalid. token expired or not exist')
    }
    if ('error' in parsed) {
      log(400)
      return sendError(res, 400, parsed.code, parsed.error)
    }

    // Faults.
    const delayMs = faults.takeDelay(drives)
    if (delayMs > 0) await delay(delayMs)
    const terminal = faults.takeTerminal(drives)
    // Children refused on their shape answer 400 whatever the rules say: they do not consume op rules.
    const opFaults = terminal ? new Map() : faults.takeOpFaults(children.map((c) => (c.early ? [] : c.targets)))
    const run = () =>
      children.map((c, i) => {
        if (c.early) return { id: c.id, ...c.early }
        const hit = opFaults.get(i)
        if (hit) return { id: c.id, status: hit.code, body: { code: hit.error ?? defaultCode(hit.code), message: 'injected fault' } }
        return { id: c.id, ...store.apply(c.url, c.body) }
      })

    if (terminal) {
      switch (terminal.kind) {
        case 'http': {
          log(terminal.status, 'http')
          const extra: Record<string, string> = {}
          if (terminal.retryAfter !== undefined) extra['Retry-After'] = String(terminal.retryAfter)
          return send(res, terminal.status, terminal.body ?? errorBody(defaultCode(terminal.status), 'injected fault'), extra)
        }
        case 'garbage':
          log(200, 'garbage')
          return send(res, 200, terminal.body ?? '{"responses":[{"id":"0","status":2<html>upstream error</html>')
        case 'drop':
          if (terminal.apply) run()
          log(0, 'drop')
          res.socket?.destroy()
          return
      }
    }

    const responses = run()
    log(200, delayMs > 0 ? 'delay' : opFaults.size > 0 ? 'op' : undefined)
    send(res, 200, JSON.stringify({ responses: opts.inOrder ? responses : shuffled(responses) }))
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const raw = (await readBody(req)).toString('utf8')
    if (raw.trim() === '') return undefined
    try {
      return JSON.parse(raw)
    } catch {
      throw new HttpError(400, 'InvalidParameter', 'body is not valid JSON')
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET'
    const json = (status: number, v: unknown) => send(res, status, JSON.stringify(v))
    const requireBucket = (): string => {
      const b = query.get('bucket')
      if (!b) throw new HttpError(400, 'InvalidParameter', 'query parameter "bucket" is required')
      return b
    }
    const bm = /^\/__emulator\/buckets\/([^/]+)$/.exec(pathname)
    if (bm) {
      let drive: string
      try {
        drive = decodeURIComponent(bm[1]!)
      } catch {
        throw new HttpError(400, 'InvalidParameter', 'bad drive id')
      }
      switch (method) {
        case 'PUT': {
          const body = (await readJson(req)) ?? {}
          if (!isObj(body)) throw new HttpError(400, 'InvalidParameter', 'body must be {"objects": [...]}')
          return json(200, { bucket: drive, objects: store.putDrive(drive, body.objects ?? []) })
        }
        case 'PATCH': {
          const n = store.patchDrive(drive, (await readJson(req)) ?? {})
          if (n === undefined) throw new HttpError(404, 'NotFound.Drive', 'no such drive')
          return json(200, { bucket: drive, objects: n })
        }
        case 'GET': {
          req.resume()
          const objects = store.listFiles(drive)
          if (!objects) throw new HttpError(404, 'NotFound.Drive', 'no such drive')
          return json(200, { objects })
        }
        case 'DELETE':
          req.resume()
          return json(200, { deleted: store.deleteDrive(drive) })
        default:
          throw new HttpError(405, 'MethodNotAllowed', 'method not allowed')
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
          throw new HttpError(405, 'MethodNotAllowed', 'method not allowed')
      }
    }
    if (pathname === '/__emulator/log') {
      req.resume()
      const drive = requireBucket()
      switch (method) {
        case 'GET':
          return json(200, logs.get(drive) ?? [])
        case 'DELETE': {
          const n = logs.get(drive)?.length ?? 0
          logs.delete(drive)
          return json(200, { cleared: n })
        }
        default:
          throw new HttpError(405, 'MethodNotAllowed', 'method not allowed')
      }
    }
    throw new HttpError(404, 'NotFound', 'unknown control route')
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-ca-request-id', randomBytes(12).toString('hex').toUpperCase())
    const url = req.url ?? '/'
    const qi = url.indexOf('?')
    const pathname = qi < 0 ? url : url.slice(0, qi)
    try {
      if (pathname.startsWith('/__emulator/')) return await handleControl(req, res, pathname, new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1)))
      if (pathname === '/v2/batch') return await handleBatch(req, res, pathname)
      req.resume()
      sendError(res, 404, 'NotFound', `no route ${pathname}`)
    } catch (e) {
      if (e instanceof HttpError) return sendError(res, e.status, e.code, e.message)
      if (e instanceof SeedError || e instanceof FaultError) return sendError(res, 400, 'InvalidParameter', e.message)
      // Never print request headers or bodies (they carry tokens).
      console.error(`[pds-emulator] internal error on ${req.method} ${pathname}: ${e instanceof Error ? e.message : String(e)}`)
      sendError(res, 500, 'InternalError', 'emulator internal error')
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
      const hint = e.code === 'EADDRINUSE' ? `${where} is already in use (is another emulator or test run active?)` : e.message
      const err = new Error(`PDS emulator cannot listen on ${where}: ${hint}`) as NodeJS.ErrnoException
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
  let closed: Promise<void> | undefined
  return {
    url: `http://${hostPart}:${actualPort}`,
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
