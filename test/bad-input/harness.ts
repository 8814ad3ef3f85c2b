import { exports } from 'cloudflare:workers'
import { afterAll, beforeAll, expect, vi } from 'vitest'
import { objectStoreRequestLog, pdsRequestLog, requestLog } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL } from '../fixtures/accounts.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { KEYS } from '../fixtures/keys.ts'
import { PDS_EMULATOR_URL } from '../fixtures/pds.ts'
import { call } from '../helpers.ts'

/**
 * What every bad-input suite shares: the Worker's console captured (an unhandled error shows up
 * there as an error line), raw requests with bytes and streams, the problem+json assertions, and
 * the proof that nothing ran — the emulators never saw the suite's buckets, no job, no schedule.
 */

export const BASE = 'https://batchgate.test'

/** Captures every console line of the Worker (same isolate) for the whole file; quiet otherwise. */
export function captureConsole() {
  const lines: string[] = []
  const spies: ReturnType<typeof vi.spyOn>[] = []
  beforeAll(() => {
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
      spies.push(vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(`${level}: ${args.map(String).join(' ')}`)))
  })
  afterAll(() => spies.forEach((s) => s.mockRestore()))
  return lines
}

/**
 * No bad input made the Worker log an unhandled error, an internal error or a 5xx answer since the
 * last check (the lines checked are dropped, so one failure is reported once, where it happened).
 */
export function expectNoCrash(lines: string[]) {
  const bad = lines.splice(0).filter((l) => /Uncaught|InternalError|"msg":"request failed"|"status":5\d\d/.test(l))
  expect(bad, bad.slice(0, 5).join('\n')).toEqual([])
}

export interface Answer {
  status: number
  headers: Headers
  text: string
  json: any
}

/** A raw request through the Worker's fetch handler: bytes or a stream as they are, any headers. */
export async function send(
  path: string,
  init: { method?: string; body?: BodyInit | null; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers }
  const key = init.key === undefined ? KEYS.all : init.key
  if (key !== null) headers.Authorization = `Bearer ${key}`
  const stream = init.body instanceof ReadableStream
  const res = await exports.default.fetch(`${BASE}${path}`, {
    method: init.method ?? (init.body == null ? 'GET' : 'POST'),
    headers,
    body: init.body ?? null,
    redirect: 'manual',
    ...(stream ? { duplex: 'half' } : {}),
  } as RequestInit)
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

/** UTF-8 bytes of `parts`, with raw byte arrays spliced in as they are. */
export function bytes(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p)))
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** A body of `size` bytes streamed in 64 KiB chunks, so no Content-Length is sent. */
export function streamOf(size: number, fill = 0x20): ReadableStream<Uint8Array> {
  let left = size
  const chunk = new Uint8Array(64 * 1024).fill(fill)
  return new ReadableStream({
    pull(ctl) {
      if (left <= 0) return ctl.close()
      const n = Math.min(left, chunk.length)
      left -= n
      ctl.enqueue(n === chunk.length ? chunk : chunk.slice(0, n))
    },
  })
}

/** A problem+json answer (RFC 9457) with the status, a request id, no stack, naming `path` when given. */
export function expectProblem(r: Answer, status: number | number[], path?: string, label = '') {
  const statuses = Array.isArray(status) ? status : [status]
  const where = `${label}\n${r.status} ${r.text.slice(0, 600)}`
  expect(statuses, where).toContain(r.status)
  expect(r.headers.get('Content-Type'), where).toBe('application/problem+json')
  expect(r.json, where).toMatchObject({ type: expect.any(String), title: expect.any(String), status: r.status, requestId: expect.any(String) })
  expect(r.json.requestId, where).not.toBe('')
  expect(r.headers.get('X-Request-Id'), where).toBe(r.json.requestId)
  expect(r.text, where).not.toMatch(/\bat .*\.(ts|js):\d+/)
  if (path !== undefined) {
    // Compared well-formed: a failure report holding an unpaired surrogate cannot cross vitest's
    // WebSocket (the run dies with "invalid UTF-8 sequence" instead of showing the failure).
    const paths = (r.json.errors ?? []).map((e: { path: string }) => e.path.toWellFormed())
    expect(paths, where.toWellFormed()).toContain(path.toWellFormed())
  }
}

/** Runs `fn` over `items`, `width` at a time (in-process calls are cheap; this only bounds memory). */
export async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map((item, j) => fn(item, i + j)))))
  return out
}

/** No emulator — Qiniu, S3, OSS or PDS — received any request touching one of `buckets`. */
export async function expectUntouched(buckets: readonly string[]) {
  for (const b of buckets) {
    expect(await requestLog(QINIU_EMULATOR_URL, b), `qiniu ${b}`).toEqual([])
    expect(await objectStoreRequestLog(S3_EMULATOR_URL, b), `s3 ${b}`).toEqual([])
    expect(await objectStoreRequestLog(OSS_EMULATOR_URL, b), `oss ${b}`).toEqual([])
    expect(await pdsRequestLog(PDS_EMULATOR_URL, b), `pds ${b}`).toEqual([])
  }
}

/** How many jobs and schedules the tenant of `key` has (storage is per test file). */
export async function jobAndScheduleCounts(key: string = KEYS.all) {
  const jobs = await call('/v1/jobs?limit=1000', { key })
  const schedules = await call('/v1/schedules', { key })
  expect(jobs.status).toBe(200)
  expect(schedules.status).toBe(200)
  return { jobs: jobs.json.jobs.length as number, schedules: schedules.json.schedules.length as number }
}

/** A JSON body with a chosen Content-Type, sent as text. */
export const postJson = (path: string, body: unknown, key?: string | null) =>
  send(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, ...(key !== undefined ? { key } : {}) })
