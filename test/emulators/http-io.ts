/**
 * Request and answer helpers every provider emulator (qiniu/, pds/, objectstore/) uses: reading a
 * body with a size cap, JSON answers, the errors that short-cut a request, and the small pieces of
 * fault handling that do not depend on the provider's wire format.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * A request answered with an error before (or instead of) the provider's own handling. `code` is
 * the short name the PDS error body carries; the Qiniu and object-store bodies show only the
 * message.
 */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** A body over the cap. The object stores catch it on provider routes to answer their own 400. */
export class BodyTooLarge extends HttpError {
  constructor() {
    super(413, 'EntityTooLarge', 'request entity too large')
  }
}

/**
 * The whole body, or BodyTooLarge past `max` bytes. An oversized body is still read to its end
 * (and dropped) so that the client gets the answer instead of a reset connection.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooBig = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) tooBig = true
      else chunks.push(c)
    })
    req.on('end', () => (tooBig ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}

/** A JSON body (control routes); undefined when empty, so that routes can default it. */
export async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const raw = (await readBody(req, max)).toString('utf8')
  if (raw.trim() === '') return undefined
  try {
    return JSON.parse(raw)
  } catch {
    throw new HttpError(400, 'InvalidParameter', 'body is not valid JSON')
  }
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export const mediaType = (ct: string | undefined): string => (ct ?? '').split(';')[0]!.trim().toLowerCase()

/**
 * Writes a JSON answer whose body is already text (fault rules may supply a raw body that is not
 * JSON at all). Does nothing once the answer has started or the client has gone, because a fault
 * or a late error must not throw on a finished response.
 */
export function sendJsonText(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    ...extra,
  })
  res.end(body)
}

export const sendJson = (res: ServerResponse, status: number, value: unknown): void => sendJsonText(res, status, JSON.stringify(value))

/** The Retry-After header an `http` fault rule asks for, if any. */
export const retryAfterHeader = (fault: { retryAfter?: number }): Record<string, string> =>
  fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) }

/** Waits for a `delay` fault; unref'd so that a pending delay never keeps the process alive. */
export const sleep = (ms: number): Promise<void> =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref()
  })

/** A `drop` fault: the connection ends without any answer, as when a provider's front end dies. */
export function dropConnection(res: ServerResponse): void {
  res.socket?.destroy()
}
