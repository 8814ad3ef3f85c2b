/**
 * The server side of the control API every emulator serves (`/__emulator/...`, no auth; the
 * client and the route list are in control.ts): seeding and reading buckets (PDS: drives), fault
 * rules, and the per-bucket request log. One implementation, so that the three emulators cannot
 * drift apart in what the gateway's tests rely on; the store behind the bucket routes is each
 * emulator's own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FaultRegistry } from './faults.ts'
import { HttpError, readJson, sendJson } from './http-io.ts'

/** The request log, kept per bucket so that test files sharing one emulator see only their own requests. */
export class RequestLog<E> {
  /** Oldest entries go first past this many per bucket, so that a long run cannot grow without bound. */
  static readonly CAP = 10_000
  private readonly byBucket = new Map<string, E[]>()

  /** Adds `entry` to the log of every bucket the request touched. */
  record(buckets: Iterable<string>, entry: E): void {
    for (const b of buckets) {
      let l = this.byBucket.get(b)
      if (!l) this.byBucket.set(b, (l = []))
      l.push(entry)
      if (l.length > RequestLog.CAP) l.splice(0, l.length - RequestLog.CAP)
    }
  }

  /** Oldest first. */
  list(bucket: string): E[] {
    return this.byBucket.get(bucket) ?? []
  }

  /** Forgets a bucket's entries; how many there were. */
  clear(bucket: string): number {
    const n = this.byBucket.get(bucket)?.length ?? 0
    this.byBucket.delete(bucket)
    return n
  }
}

/** An error answer's code and message (the code shows only in the PDS emulator's error body). */
export interface ErrorText {
  code: string
  message: string
}

/** `/__emulator/buckets/<name>` over an emulator's store. */
export interface BucketRoutes {
  /** The 400 for a name whose percent-escapes do not decode. */
  badName: ErrorText
  /** The 404 of PATCH and GET when there is no such bucket. */
  missing: ErrorText
  /** The 400 message for a PUT body that is not a JSON object (it names the accepted fields). */
  putShape: string
  /** PUT: creates or replaces the bucket from the body; the object count. */
  put(name: string, body: Record<string, unknown>): number
  /** PATCH: changes an existing bucket; the object count, or undefined when there is none. */
  patch(name: string, body: unknown): number | undefined
  /** GET: the answer's body, or undefined when there is no such bucket. */
  get(name: string): unknown
  /** DELETE: whether there was a bucket. */
  delete(name: string): boolean
}

export interface ControlRoutes {
  buckets: BucketRoutes
  faults: FaultRegistry
  log: RequestLog<unknown>
  /** Largest control body; larger ones answer 413. */
  maxBody: number
}

const methodNotAllowed = () => new HttpError(405, 'MethodNotAllowed', 'method not allowed')
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Serves one control request. Errors are thrown as HttpError for the emulator to write in its
 * own format. Routes that take no body drain it (`req.resume()`) so that keep-alive works.
 */
export async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams, routes: ControlRoutes): Promise<void> {
  const method = req.method ?? 'GET'
  const json = (status: number, v: unknown) => sendJson(res, status, v)
  const body = async () => readJson(req, routes.maxBody)
  const requireBucket = (): string => {
    const b = query.get('bucket')
    if (!b) throw new HttpError(400, 'InvalidParameter', 'query parameter "bucket" is required')
    return b
  }
  const bm = /^\/__emulator\/buckets\/([^/]+)$/.exec(pathname)
  if (bm) {
    const { buckets } = routes
    let bucket: string
    try {
      bucket = decodeURIComponent(bm[1]!)
    } catch {
      throw new HttpError(400, buckets.badName.code, buckets.badName.message)
    }
    switch (method) {
      case 'PUT': {
        const seed = (await body()) ?? {}
        if (!isObj(seed)) throw new HttpError(400, 'InvalidParameter', buckets.putShape)
        return json(200, { bucket, objects: buckets.put(bucket, seed) })
      }
      case 'PATCH': {
        const n = buckets.patch(bucket, (await body()) ?? {})
        if (n === undefined) throw new HttpError(404, buckets.missing.code, buckets.missing.message)
        return json(200, { bucket, objects: n })
      }
      case 'GET': {
        req.resume()
        const state = buckets.get(bucket)
        if (state === undefined) throw new HttpError(404, buckets.missing.code, buckets.missing.message)
        return json(200, state)
      }
      case 'DELETE':
        req.resume()
        return json(200, { deleted: buckets.delete(bucket) })
      default:
        throw methodNotAllowed()
    }
  }
  if (pathname === '/__emulator/faults') {
    switch (method) {
      case 'POST':
        return json(201, routes.faults.add(await body()))
      case 'GET':
        req.resume()
        return json(200, routes.faults.list(requireBucket()))
      case 'DELETE':
        req.resume()
        return json(200, { cleared: routes.faults.clear(requireBucket()) })
      default:
        throw methodNotAllowed()
    }
  }
  if (pathname === '/__emulator/log') {
    req.resume()
    const bucket = requireBucket()
    switch (method) {
      case 'GET':
        return json(200, routes.log.list(bucket))
      case 'DELETE':
        return json(200, { cleared: routes.log.clear(bucket) })
      default:
        throw methodNotAllowed()
    }
  }
  throw new HttpError(404, 'NotFound', 'unknown control route')
}
