/**
 * Shared helpers of the Qiniu emulator self-tests (Node side, node:test).
 *
 * The *.node-test.ts files next to this one run under Node's own test runner, not vitest (whose
 * `include` is test/**\/*.test.ts and which runs files inside workerd):
 *
 *   node --test --test-concurrency=1 'test/emulators/qiniu/selftest/*.node-test.ts'
 *
 * (`npm test` runs them after vitest.) Every file starts its own emulator instance on
 * 127.0.0.1:80 in `before` and closes it in `after` (see useEmulator), so the files must run one
 * at a time, and not while vitest's globalSetup instance holds the same port. Port 80 because the
 * qiniu SDK's v2 signer, which the emulator uses to verify tokens, appends a non-default port to
 * the Host line twice. Nothing here connects anywhere but 127.0.0.1; requests that need another
 * Host (the upstream vectors) send a custom Host header over that connection.
 *
 * Requests are signed with the official `qiniu` SDK (QBox and Qiniu v2), except where a test uses
 * the upstream/derived vectors of shared/reference/provider-protocols.md.
 */
import assert from 'node:assert/strict'
import qiniu from 'qiniu'
import { startQiniuEmulator, type QiniuEmulator, type QiniuEmulatorOptions } from '../qiniu-emulator.ts'
import { listObjects, type EmulatorObject } from '../../control.ts'
import { fetchJson, rawHttp, uniqueName, useServer, type JsonRes } from '../../selftest-harness.ts'
import { QINIU_CREDENTIALS } from '../../../fixtures/qiniu-credentials.ts'
import { TEST_HOST } from '../../../fixtures/loopback.ts'

/** The loopback address (BG_TEST_HOST, default 127.0.0.1): see fixtures/loopback.ts. */
export const HOST = TEST_HOST
export const BASE = `http://${HOST}`
export const AK = 'qn-test-ak'
export const SK = QINIU_CREDENTIALS[AK]!
export const FORM = 'application/x-www-form-urlencoded'

/**
 * Registers hooks that start an emulator on 127.0.0.1:80 before the tests of the current suite
 * (or file, at top level) and close it after them. Defaults to the fixture credentials.
 */
export function useEmulator(opts: Omit<QiniuEmulatorOptions, 'host' | 'port' | 'credentials'> & { credentials?: Record<string, string> } = {}): void {
  useServer('the Qiniu emulator', async () => {
    let emu: QiniuEmulator
    try {
      emu = await startQiniuEmulator({ credentials: QINIU_CREDENTIALS, ...opts, host: HOST, port: 80 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e
      throw new Error(
        `port 80 on ${HOST} is already taken (a vitest run, a standalone "node scripts/emulator.ts", another self-test?); ` +
          `stop it ("ss -ltnp 'sport = :80'") and run the self-tests again`,
        { cause: e },
      )
    }
    assert.equal(emu.url, BASE)
    return emu
  })
}

export function qiniuDate(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

export function formBody(ops: string[]): string {
  return new URLSearchParams(ops.map((o) => ['op', o])).toString()
}

export type Res = JsonRes

export interface SendOpts {
  scheme?: 'Qiniu' | 'QBox' | 'none'
  ak?: string
  sk?: string
  /** X-Qiniu-Date to send (v2 signs it); null = none. Default now. */
  date?: string | null
  /** X-Qiniu-Date to sign, when different from the one sent. */
  signDate?: string
  contentType?: string
  /** Sign this body instead of the one sent. */
  signBody?: string
  /** Sign for this URL instead of the request URL. */
  signUrl?: string
  /** Replace the Authorization header entirely (X-Qiniu-Date is still sent). */
  authorization?: string
  method?: string
  signal?: AbortSignal
}

/** The X-Qiniu-Date and Authorization headers for a request, per `o`. */
export function sign(o: SendOpts, url: string, method: string, ct: string, body: string): Record<string, string> {
  const headers: Record<string, string> = {}
  const date = o.date === undefined ? qiniuDate() : o.date
  if (date !== null) headers['X-Qiniu-Date'] = date
  const mac = new qiniu.auth.digest.Mac(o.ak ?? AK, o.sk ?? QINIU_CREDENTIALS[o.ak ?? AK] ?? 'unknown-sk')
  const signUrl = o.signUrl ?? url
  const signBody = o.signBody ?? body
  const scheme = o.scheme ?? 'Qiniu'
  if (o.authorization !== undefined) headers.Authorization = o.authorization
  else if (scheme === 'QBox') headers.Authorization = qiniu.util.generateAccessToken(mac, signUrl, ct === FORM ? signBody : undefined)
  else if (scheme === 'Qiniu') {
    const signed: Record<string, string> = {}
    const sd = o.signDate ?? date
    if (sd !== null) signed['X-Qiniu-Date'] = sd
    headers.Authorization = qiniu.util.generateAccessTokenV2(mac, signUrl, method, ct, signBody, signed)
  }
  return headers
}

/** A signed request to the emulator at BASE. */
export async function send(path: string, body: string, o: SendOpts = {}): Promise<Res> {
  const url = BASE + path
  const method = o.method ?? 'POST'
  const ct = o.contentType ?? FORM
  const headers = { 'Content-Type': ct, ...sign(o, url, method, ct, body) }
  return fetchJson(url, { method, headers, body: method === 'GET' ? undefined : body, signal: o.signal })
}

/** A signed POST /batch with these ops. */
export const batch = (ops: string[], o: SendOpts = {}): Promise<Res> => send('/batch', formBody(ops), o)

/** A raw HTTP request to 127.0.0.1:80 with a custom Host header. */
export async function rawRequest(o: { hostHeader: string; method: string; path: string; headers: Record<string, string>; body: string }): Promise<{ status: number; text: string }> {
  const headers = { Host: o.hostHeader, ...o.headers, 'Content-Length': String(Buffer.byteLength(o.body)) }
  const r = await rawHttp({ host: HOST, port: 80, method: o.method, path: o.path, headers, body: o.body })
  return { status: r.status, text: r.body.toString('utf8') }
}

/** A bucket name not used before in this process (each test file has its own emulator). */
export const newBucket = uniqueName

export async function objectsByKey(bucket: string): Promise<Map<string, EmulatorObject>> {
  return new Map((await listObjects(BASE, bucket)).map((o) => [o.key, o]))
}

/** The `code` of each result of a /batch answer. */
export const codes = (r: Res): number[] => r.json.map((x: { code: number }) => x.code)
