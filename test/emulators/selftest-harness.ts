/**
 * Helpers the emulators' self-tests (qiniu/, pds/, objectstore/ `selftest/harness.ts`, run by
 * node:test, not vitest) share: an emulator started and closed around a test file, requests whose
 * answer is kept whole for assertions, and bucket names that do not repeat.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { after, before } from 'node:test'

/**
 * Starts a server in `before` and closes it in `after` (of the current suite, or of the file at
 * top level). The getter throws when called before the hook has run, so that a test that forgot
 * the hooks fails with a message rather than on `undefined`.
 */
export function useServer<T extends { close(): Promise<void> }>(what: string, start: () => Promise<T>): () => T {
  let server: T | undefined
  before(async () => {
    server = await start()
  })
  after(async () => {
    await server?.close()
  })
  return () => {
    if (!server) throw new Error(`${what} is not running (its before hook has not run yet)`)
    return server
  }
}

/** An answer whose body is JSON when it parses (error and fault answers may not be). */
export interface JsonRes {
  status: number
  headers: Headers
  text: string
  json: any
}

/** `fetch`, with the body read; `json` is undefined when the body is empty or not JSON. */
export async function fetchJson(url: string, init: RequestInit): Promise<JsonRes> {
  const r = await fetch(url, init)
  const text = await r.text()
  let json: any
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: r.status, headers: r.headers, text, json }
}

export interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * A request through node:http, for what `fetch` cannot send: a Host header other than the address
 * connected to (virtual-hosted buckets, the providers' published signing vectors).
 */
export function rawHttp(o: { host: string; port: number; method: string; path: string; headers: OutgoingHttpHeaders; body?: string | Buffer | undefined; setHost?: boolean }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const { body, ...options } = o
    const req = httpRequest(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

let nameSeq = 0
/**
 * A bucket (or drive) name not used before in this process: self-test files share an emulator
 * between their tests, so each test seeds its own bucket instead of cleaning up.
 */
export const uniqueName = (tag: string): string => `st-${tag}-${++nameSeq}`
