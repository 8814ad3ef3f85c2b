import { exports } from 'cloudflare:workers'
import { KEYS } from './fixtures/keys.ts'

export interface CallOptions {
  method?: string
  body?: unknown
  /** Raw body text, sent as is. */
  raw?: string
  key?: string | null
  headers?: Record<string, string>
}

/** Calls the Worker under test through its real fetch handler. */
export async function call(path: string, { method, body, raw, key = KEYS.all, headers = {} }: CallOptions = {}) {
  const h: Record<string, string> = { ...headers }
  if (key !== null) h.Authorization = `Bearer ${key}`
  if ((body !== undefined || raw !== undefined) && !h['Content-Type']) h['Content-Type'] = 'application/json'
  const response = await exports.default.fetch(`https://batchgate.test${path}`, {
    method: method ?? (body !== undefined || raw !== undefined ? 'POST' : 'GET'),
    headers: h,
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

export const batch = (account: string, operations: unknown[], options: CallOptions = {}) =>
  call('/v1/batch', { ...options, body: { account, operations } })

let counter = 0
/** A name unique within the test run: storage is per test file, the emulator is shared by all. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`
