/**
 * Object-store emulator: one core with two dialects, S3-compatible (AWS S3, MinIO, CTYun OOS;
 * s3-dialect.ts) and Aliyun OSS (oss-dialect.ts), on the shared emulator server
 * (../http-server.ts). The requests and their semantics are in operations.ts, signatures in
 * auth-s3.ts / auth-oss.ts, XML in xml.ts, state in store.ts, bucket/key addressing in
 * addressing.ts.
 *
 * Addressing:
 *   - path-style (the main path, and the only one a Worker's fetch can use because it cannot set
 *     Host): `/<bucket>/<key>`, bucket-level `/<bucket>` or `/<bucket>/`.
 *   - virtual-hosted (for Node-side tests): when the Host header's name (port ignored) ends with
 *     one of `virtualHostSuffixes` (default `.s3.local` / `.oss.local`), the bucket is the part
 *     before the suffix and the whole path is the key: send the request to 127.0.0.1:<port> with
 *     `Host: <bucket>.s3.local:<port>`. Signatures then cover that Host (V4) or the
 *     virtual-hosted canonical resource (S3 V2 `/<bucket>/<path>`).
 *   The bucket and key segments are percent-decoded once ('+' stays '+'); a bad escape or a key
 *   that is not UTF-8 answers 400 InvalidURI.
 *
 * Order of checks for a provider request: addressing (400 InvalidURI) → classification (501/405)
 * → body size (400 EntityTooLarge) → a PUT/POST body without Content-Length (411
 * MissingContentLength) → copy-source syntax (400) → auth (400/403) → request syntax: headers,
 * Content-MD5, XML (400) → fault rules → semantics (404 NoSuchBucket/NoSuchKey, 409, 412, ...).
 * So a request that fails auth or validation does not consume fault rules. Fault rules match
 * the bucket (and the copy source's bucket); see ../faults.ts for the kinds. Per kind here:
 *   http    status with the dialect's error document (SlowDown for 503, InternalError for 500,
 *           ... or the rule's errorCode), Retry-After when given, or the raw body.
 *   op      DeleteObjects: per-key <Error><Key/><Code/><Message/></Error> (key not deleted);
 *           other requests: the whole request answers `code` with an error document.
 *   inner-error  DeleteObjects/CopyObject/CompleteMultipartUpload: HTTP 200 whose body is an
 *           <Error> document.
 *   delay / drop (apply or not) / garbage (200 with a truncated XML body) as for Qiniu.
 * Listing (ListObjectsV2) and multipart uploads take the same auth and fault rules as every other
 * request (a listing's fault target is its bucket; a multipart request's, its bucket and key).
 * Control endpoints (no auth): /__emulator/... — see ../control.ts (served by ../control-routes.ts);
 * their errors answer JSON `{error}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { ObjectStoreLogEntry, ObjectStoreOperation } from '../control.ts'
import { RequestLog } from '../control-routes.ts'
import { FaultError, FaultRegistry, ALL_FAULT_KINDS } from '../faults.ts'
import { BodyTooLarge, dropConnection, readBody, retryAfterHeader, sendJson, sleep } from '../http-io.ts'
import { startEmulatorServer } from '../http-server.ts'
import { address, joinedHeaders, type Addressing } from './addressing.ts'
import { queryPairs } from './auth-common.ts'
import { classify, parseCopySource, prepare, type Answer, type CopySource, type OpEnv, type Plan, type RequestInfo } from './operations.ts'
import { DEFAULT_MIN_PART_BYTES, MultipartUploads } from './multipart.ts'
import { ossDialect } from './oss-dialect.ts'
import { s3Dialect, s3HostId } from './s3-dialect.ts'
import { ObjectStore, SeedError } from './store.ts'
import { ApiError, type AuthResult, type Dialect, type Query, type ReceivedRequest } from './types.ts'

export interface ObjectStoreEmulatorOptions {
  dialect: 's3' | 'oss'
  /** Default 127.0.0.1. */
  host?: string
  /** Default 9000 (s3) / 9100 (oss); 0 picks a free port. */
  port?: number
  /** Access key → secret. */
  credentials: Record<string, string>
  /** Host-name suffixes that select virtual-hosted addressing; default ['.s3.local'] / ['.oss.local']. */
  virtualHostSuffixes?: string[]
  /** Largest accepted |request time − now|, default 15 minutes. */
  maxSkewMs?: number
  /** Clock for dates, the skew check and restores (default Date.now). */
  now?: () => number
  /** Restores complete by themselves this long after the request; default never (use the control API). */
  restoreDelayMs?: number
  /** Largest request body, default 16 MiB. */
  maxBodyBytes?: number
  /** Smallest multipart part but the last; default the service's (S3 5 MiB, OSS 100 KiB). */
  minPartBytes?: number
}

export interface ObjectStoreEmulator {
  /** e.g. `http://127.0.0.1:9000`. */
  url: string
  port: number
  dialect: Dialect
  close(): Promise<void>
  /** Direct access for Node-side tests. */
  store: ObjectStore
  faults: FaultRegistry
}

const DEFAULT_PORT = { s3: 9000, oss: 9100 } as const
const DEFAULT_SUFFIX = { s3: '.s3.local', oss: '.oss.local' } as const

export async function startObjectStoreEmulator(opts: ObjectStoreEmulatorOptions): Promise<ObjectStoreEmulator> {
  const dialect = opts.dialect === 's3' ? s3Dialect : ossDialect
  const host = opts.host ?? '127.0.0.1'
  const suffixes = (opts.virtualHostSuffixes ?? [DEFAULT_SUFFIX[opts.dialect]]).map((s) => s.toLowerCase())
  const maxSkewMs = opts.maxSkewMs ?? 15 * 60_000
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024
  const now = opts.now ?? Date.now
  const credentials = new Map(Object.entries(opts.credentials))
  const store = new ObjectStore(dialect, { now })
  const faults = new FaultRegistry({ kinds: ALL_FAULT_KINDS, errorCodes: true })
  const log = new RequestLog<ObjectStoreLogEntry>()
  const uploads = new MultipartUploads()
  const minPartBytes = opts.minPartBytes ?? DEFAULT_MIN_PART_BYTES[opts.dialect]
  const env: OpEnv = { dialect, store, now, restoreDelayMs: opts.restoreDelayMs, uploads, minPartBytes }

  function write(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer, head: boolean): void {
    if (res.headersSent || res.destroyed) return
    const h: Record<string, string> = { Server: dialect.serverHeader, ...headers }
    if (h['Content-Length'] === undefined) h['Content-Length'] = String(head ? 0 : Buffer.byteLength(body))
    res.writeHead(status, h)
    res.end(head ? undefined : body)
  }

  function errorAnswer(err: ApiError, requestId: string, hostId: string): Answer {
    return {
      status: err.status,
      headers: { 'Content-Type': 'application/xml', ...dialect.errorHeaders(err), ...err.headers },
      body: dialect.errorXml(err, requestId, hostId),
      errorCode: err.code,
    }
  }

  async function handleProvider(req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
    const at = now()
    const method = req.method ?? 'GET'
    const head = method === 'HEAD'
    const requestId = randomBytes(12).toString('hex').toUpperCase()
    const headers = joinedHeaders(req)
    const hostId = dialect.id === 's3' ? s3HostId() : (headers.host ?? host)
    const ids = dialect.idHeaders(requestId, hostId)

    let addr: Addressing = { virtual: false, bucket: undefined, key: undefined }
    let query: Query = new Map()
    let op: ObjectStoreOperation = 'Unsupported'
    let copySource: CopySource | undefined
    let auth: AuthResult | undefined
    let ops = 1
    const buckets = new Set<string>()
    const logAnswer = (a: Answer | undefined, httpStatus: number, fault?: ObjectStoreLogEntry['fault']) => {
      const e: ObjectStoreLogEntry = {
        method,
        path: rawPath,
        query: rawQuery,
        operation: op,
        bucket: addr.bucket ?? null,
        key: addr.key ?? null,
        addressing: addr.virtual ? 'virtual' : 'path',
        auth: auth?.scheme ?? 'none',
        accessKey: auth?.accessKey ?? null,
        ops,
        httpStatus,
        at,
      }
      if (auth?.region !== undefined) e.region = auth.region
      if (a?.errorCode !== undefined) e.errorCode = a.errorCode
      if (a?.keyErrors !== undefined) e.keyErrors = a.keyErrors
      if (fault) e.fault = fault
      // Header names only (values carry signatures): lets tests see that no argument added a header.
      Object.assign(e, { headerNames: Object.keys(headers).sort() })
      log.record(buckets, e)
    }
    const answer = (a: Answer, fault?: ObjectStoreLogEntry['fault']) => {
      logAnswer(a, a.status, fault)
      write(res, a.status, { ...ids, ...a.headers }, a.body, head)
    }
    const fail = (e: ApiError, fault?: ObjectStoreLogEntry['fault']) => answer(errorAnswer(e, requestId, hostId), fault)

    // Addressing and classification.
    try {
      addr = address(rawPath, headers.host, suffixes)
      query = new Map()
      for (const [k, v] of queryPairs(rawQuery)) if (!query.has(k)) query.set(k, v)
    } catch {
      req.resume()
      return fail(new ApiError(400, 'InvalidURI', "Couldn't parse the specified URI.", { fields: [['URI', rawPath]] }))
    }
    if (addr.bucket !== undefined) buckets.add(addr.bucket)
    op = classify(method, addr.key, query, headers, dialect)
    if (op === 'Unsupported') {
      req.resume()
      if (addr.key !== undefined && !['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].includes(method)) {
        return fail(new ApiError(405, 'MethodNotAllowed', dialect.messageFor('MethodNotAllowed'), { fields: [['Method', method], ['ResourceType', 'OBJECT']] }))
      }
      return fail(dialect.errors.notImplemented(`${method} ${addr.bucket === undefined ? 'service' : addr.key === undefined ? 'bucket' : 'object'} request`))
    }

    let body: Buffer
    try {
      body = await readBody(req, maxBody)
    } catch (e) {
      if (e instanceof BodyTooLarge) return fail(new ApiError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { fields: [['MaxSizeAllowed', String(maxBody)]] }))
      throw e
    }
    if ((method === 'PUT' || method === 'POST') && headers['content-length'] === undefined && headers['transfer-encoding'] !== undefined) {
      return fail(new ApiError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'))
    }
    if (op === 'CopyObject') {
      try {
        copySource = parseCopySource(headers[`${dialect.prefix}copy-source`]!, dialect)
        buckets.add(copySource.bucket)
      } catch (e) {
        if (e instanceof ApiError) return fail(e)
        throw e
      }
    }

    // Authentication.
    const received: ReceivedRequest = { method, rawPath, rawQuery, headers, body, virtualHosted: addr.virtual }
    if (addr.bucket !== undefined) received.bucket = addr.bucket
    if (addr.key !== undefined) received.key = addr.key
    auth = await dialect.authenticate(received, { credentials, now, maxSkewMs })
    if (!auth.ok) return fail(auth.error)

    // Request syntax.
    const info: RequestInfo = { method, headers, query, bucket: addr.bucket!, key: addr.key, body }
    let plan: Plan
    try {
      plan = prepare(op, info, env, copySource)
    } catch (e) {
      if (e instanceof ApiError) return fail(e)
      throw e
    }
    ops = plan.perKey ? plan.targets.length : 1

    // Fault rules.
    const delayMs = faults.takeDelay(buckets)
    if (delayMs > 0) await sleep(delayMs)
    const terminal = faults.takeTerminal(buckets)
    const run = (hits: Parameters<Plan['run']>[0]): Answer => {
      try {
        return plan.run(hits)
      } catch (e) {
        if (e instanceof ApiError) return errorAnswer(e, requestId, hostId)
        throw e
      }
    }
    if (terminal) {
      switch (terminal.kind) {
        case 'http': {
          const code = terminal.errorCode ?? dialect.codeForStatus(terminal.status)
          const extra = retryAfterHeader(terminal)
          const a: Answer =
            terminal.body !== undefined
              ? { status: terminal.status, headers: extra, body: terminal.body }
              : { ...errorAnswer(new ApiError(terminal.status, code, dialect.messageFor(code)), requestId, hostId), errorCode: code }
          a.headers = { ...a.headers, ...extra }
          return answer(a, 'http')
        }
        case 'garbage': {
          const ns = dialect.xmlns ? ` xmlns="${dialect.xmlns}"` : ''
          const junk = terminal.body ?? `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult${ns}><Deleted><Key>emulator-garbage</Ke`
          return answer({ status: 200, headers: { 'Content-Type': 'application/xml' }, body: junk }, 'garbage')
        }
        case 'drop':
          if (terminal.apply) run(new Map())
          logAnswer(undefined, 0, 'drop')
          dropConnection(res)
          return
      }
    }
    if (plan.innerError) {
      const inner = faults.takeInnerError(buckets)
      if (inner) {
        const code = inner.errorCode ?? 'InternalError'
        const a = errorAnswer(new ApiError(200, code, inner.message ?? dialect.messageFor(code)), requestId, hostId)
        return answer(a, 'inner-error')
      }
    }
    const hits = faults.takeOpFaults(plan.targets)
    if (!plan.perKey && hits.has(0)) {
      const hit = hits.get(0)!
      const code = hit.errorCode ?? dialect.codeForStatus(hit.code)
      return fail(new ApiError(hit.code, code, hit.error ?? dialect.messageFor(code)), 'op')
    }
    const a = run(hits)
    answer(a, delayMs > 0 ? 'delay' : hits.size > 0 ? 'op' : undefined)
  }

  /** Control errors are JSON; a provider client expects the dialect's XML document, even from an emulator bug. */
  function sendError(req: IncomingMessage, res: ServerResponse, err: { status: number; message: string }, where: { control: boolean; internal: boolean }): void {
    if (where.control || !where.internal) return sendJson(res, err.status, { error: err.message })
    const body = dialect.errorXml(new ApiError(500, 'InternalError', err.message), 'emulator', 'emulator')
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(body)) })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
  }

  const server = await startEmulatorServer({
    label: dialect.label,
    name: dialect.id,
    host,
    port: opts.port ?? DEFAULT_PORT[opts.dialect],
    control: {
      buckets: {
        badName: { code: 'InvalidParameter', message: 'bad bucket name' },
        missing: { code: 'NotFound', message: 'no such bucket' },
        putShape: 'body must be {"objects": [...], "versioning"?: ...}',
        put: (bucket, body) => store.putBucket(bucket, body),
        patch: (bucket, body) => store.patchBucket(bucket, body),
        get: (bucket) => {
          const state = store.bucketState(bucket)
          return state && { ...state, uploads: uploads.list(bucket) }
        },
        delete: (bucket) => store.deleteBucket(bucket),
      },
      faults,
      log,
      // Seeds carry object bodies (base64), so they may be larger than one provider request.
      maxBody: maxBody * 2,
    },
    provider: handleProvider,
    isBadInput: (e) => e instanceof SeedError || e instanceof FaultError,
    sendError,
  })
  return { url: server.url, port: server.port, dialect, store, faults, close: server.close }
}

/** The S3-compatible emulator (default 127.0.0.1:9000). */
export function startS3Emulator(opts: Omit<ObjectStoreEmulatorOptions, 'dialect'>): Promise<ObjectStoreEmulator> {
  return startObjectStoreEmulator({ ...opts, dialect: 's3' })
}

/** The Aliyun OSS emulator (default 127.0.0.1:9100). */
export function startOssEmulator(opts: Omit<ObjectStoreEmulatorOptions, 'dialect'>): Promise<ObjectStoreEmulator> {
  return startObjectStoreEmulator({ ...opts, dialect: 'oss' })
}

