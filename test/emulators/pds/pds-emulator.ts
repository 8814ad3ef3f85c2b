/**
 * Aliyun PDS (Drive and Photo Service) emulator: `/v2/batch` with `resource: "file"`
 * (provider-protocols §4) over in-memory drives (see pds-store.ts), on the shared emulator server
 * (../http-server.ts).
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
 * Provider endpoint (auth required): POST /v2/file/list — one folder's children page by page
 *   (pds-list.ts); same auth and fault rules, the request being one op on (drive, parent folder).
 * Control endpoints (no auth): /__emulator/... — the same routes as the Qiniu emulator, with drive
 * ids for buckets and files for objects; see ../control.ts (served by ../control-routes.ts).
 * Errors answer `{code, message}`; every answer carries an `x-ca-request-id` header.
 *
 * Fault rules are the shared registry's, scoped to a drive (`bucket`) and a file id (`key`; a child
 * request touches its file and its destination folder). An `op` rule answers that child with status
 * `code` and body `{code: error ?? <default for the status>, message}`; an `http` rule answers the
 * whole request with `status` and `{code, message}` (or its raw `body`).
 *
 * Order of checks: route → method (405) → body size (413) → auth (401) → body shape (400) → faults →
 * child requests. So a request that fails auth or validation does not consume fault rules.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { FaultError, FaultRegistry, type FaultTarget } from '../faults.ts'
import { RequestLog } from '../control-routes.ts'
import type { PdsLogEntry } from '../control.ts'
import { dropConnection, mediaType, readBody, retryAfterHeader, sendJsonText, sleep } from '../http-io.ts'
import { startEmulatorServer } from '../http-server.ts'
import { listFolder } from './pds-list.ts'
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

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

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
  const tokens = opts.tokens.map((t) => Buffer.from(t))
  const store = new PdsStore(opts.now ? { now: opts.now } : {})
  const faults = new FaultRegistry()
  const log = new RequestLog<PdsLogEntry>()

  const sendError = (res: ServerResponse, status: number, code: string, message: string, extra?: Record<string, string>) =>
    sendJsonText(res, status, errorBody(code, message), extra)

  /** Whether the request carries an accepted Bearer token (compared in constant time). */
  function authenticate(req: IncomingMessage): { scheme: 'Bearer' | 'none'; valid: boolean } {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
    if (!m) return { scheme: 'none', valid: false }
    const given = Buffer.from(m[1]!)
    return { scheme: 'Bearer', valid: tokens.some((t) => t.length === given.length && timingSafeEqual(t, given)) }
  }

  async function handleBatch(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const at = Date.now()
    const method = req.method ?? 'GET'
    if (method !== 'POST') {
      req.resume()
      return sendError(res, 405, 'MethodNotAllowed', 'POST only', { Allow: 'POST' })
    }
    const raw = (await readBody(req, MAX_BODY)).toString('utf8')

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
    const logAnswer = (httpStatus: number, fault?: PdsLogEntry['fault']) => {
      const urls = rawRequests.map((r) => (isObj(r) && typeof r.url === 'string' ? r.url : ''))
      const e: PdsLogEntry = { method, path: pathname, auth: auth.scheme, tokenValid: auth.valid, ops: rawRequests.length, urls, httpStatus, at }
      if (fault) e.fault = fault
      log.record(drives, e)
    }
    if (!auth.valid) {
      logAnswer(401)
      return sendError(res, 401, 'AccessTokenInvalid', 'AccessToken is invalid. token expired or not exist')
    }
    if ('error' in parsed) {
      logAnswer(400)
      return sendError(res, 400, parsed.code, parsed.error)
    }

    // Faults.
    const delayMs = faults.takeDelay(drives)
    if (delayMs > 0) await sleep(delayMs)
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
        case 'http':
          logAnswer(terminal.status, 'http')
          return sendJsonText(res, terminal.status, terminal.body ?? errorBody(defaultCode(terminal.status), 'injected fault'), retryAfterHeader(terminal))
        case 'garbage':
          logAnswer(200, 'garbage')
          return sendJsonText(res, 200, terminal.body ?? '{"responses":[{"id":"0","status":2<html>upstream error</html>')
        case 'drop':
          if (terminal.apply) run()
          logAnswer(0, 'drop')
          dropConnection(res)
          return
      }
    }

    const responses = run()
    logAnswer(200, delayMs > 0 ? 'delay' : opFaults.size > 0 ? 'op' : undefined)
    sendJsonText(res, 200, JSON.stringify({ responses: opts.inOrder ? responses : shuffled(responses) }))
  }

  /**
   * `/v2/file/list` (pds-list.ts): the same auth, fault rules and log as `/v2/batch`, the
   * request being one op on its drive and parent folder (an `op` rule answers it with its code).
   */
  async function handleFileList(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const at = Date.now()
    const method = req.method ?? 'GET'
    if (method !== 'POST') {
      req.resume()
      return sendError(res, 405, 'MethodNotAllowed', 'POST only', { Allow: 'POST' })
    }
    const raw = (await readBody(req, MAX_BODY)).toString('utf8')
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      json = undefined
    }
    const targets = isObj(json) && typeof json.drive_id === 'string' ? [{ bucket: json.drive_id, ...(typeof json.parent_file_id === 'string' ? { key: json.parent_file_id } : {}) }] : []
    const drives = new Set(targets.map((t) => t.bucket))
    const auth = authenticate(req)
    const logAnswer = (httpStatus: number, fault?: PdsLogEntry['fault']) => {
      const e: PdsLogEntry = { method, path: pathname, auth: auth.scheme, tokenValid: auth.valid, ops: 1, urls: ['/file/list'], httpStatus, at }
      if (fault) e.fault = fault
      log.record(drives, e)
    }
    const answer = (status: number, body: unknown, fault?: PdsLogEntry['fault']) => {
      logAnswer(status, fault)
      sendJsonText(res, status, JSON.stringify(body))
    }
    if (!auth.valid) return answer(401, { code: 'AccessTokenInvalid', message: 'AccessToken is invalid. token expired or not exist' })
    if (mediaType(req.headers['content-type']) !== 'application/json') return answer(400, { code: 'InvalidParameter.ContentType', message: 'Content-Type must be application/json' })
    if (json === undefined) return answer(400, { code: 'InvalidParameter', message: 'body is not valid JSON' })

    const delayMs = faults.takeDelay(drives)
    if (delayMs > 0) await sleep(delayMs)
    const terminal = faults.takeTerminal(drives)
    if (terminal?.kind === 'http') {
      logAnswer(terminal.status, 'http')
      return sendJsonText(res, terminal.status, terminal.body ?? errorBody(defaultCode(terminal.status), 'injected fault'), retryAfterHeader(terminal))
    }
    if (terminal?.kind === 'garbage') {
      logAnswer(200, 'garbage')
      return sendJsonText(res, 200, terminal.body ?? '{"items":[{"file_id":"x",<html>upstream error</html>')
    }
    if (terminal?.kind === 'drop') {
      logAnswer(0, 'drop')
      return dropConnection(res)
    }
    const hit = faults.takeOpFaults([targets]).get(0)
    if (hit) return answer(hit.code, { code: hit.error ?? defaultCode(hit.code), message: 'injected fault' }, 'op')
    const result = listFolder(store, json)
    answer(result.status, result.body, delayMs > 0 ? 'delay' : undefined)
  }

  const server = await startEmulatorServer({
    label: 'PDS',
    name: 'pds',
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 9200,
    control: {
      buckets: {
        badName: { code: 'InvalidParameter', message: 'bad drive id' },
        missing: { code: 'NotFound.Drive', message: 'no such drive' },
        putShape: 'body must be {"objects": [...]}',
        put: (drive, body) => store.putDrive(drive, body.objects ?? []),
        patch: (drive, body) => store.patchDrive(drive, body),
        get: (drive) => {
          const objects = store.listFiles(drive)
          return objects && { objects }
        },
        delete: (drive) => store.deleteDrive(drive),
      },
      faults,
      log,
      maxBody: MAX_BODY,
    },
    onRequest: (res) => res.setHeader('x-ca-request-id', randomBytes(12).toString('hex').toUpperCase()),
    async provider(req, res, pathname) {
      if (pathname === '/v2/batch') return handleBatch(req, res, pathname)
      if (pathname === '/v2/file/list') return handleFileList(req, res, pathname)
      req.resume()
      sendError(res, 404, 'NotFound', `no route ${pathname}`)
    },
    isBadInput: (e) => e instanceof SeedError || e instanceof FaultError,
    sendError: (_req, res, err) => sendError(res, err.status, err.code, err.message),
  })
  return { url: server.url, store, faults, close: server.close }
}
