/**
 * The direct call: the same batch as a Qiniu `/batch` form body sent straight to the emulator,
 * the way a hand-written Node client would do it — op paths from the project's `qiniuOpPath`,
 * the form body as the official SDK's `BucketManager.batch` builds it (`querystring.stringify`),
 * and a `Qiniu` (v2) token from the official SDK, signed per request with a fresh X-Qiniu-Date.
 */
import querystring from 'node:querystring'
import qiniu from 'qiniu'
import { qiniuOpPath } from '../../shared/providers/qiniu/qiniu-ops.ts'
import type { Operation } from '../../shared/schemas/operation.ts'
import type { BenchOp } from './workload.ts'

const FORM = 'application/x-www-form-urlencoded'

export interface CallResult {
  ms: number
  /** Problems with the answer; empty when it was the expected one. */
  problems: string[]
  /** The raw answer (kept so the breakdown can replay it from a fake upstream). */
  status?: number
  text?: string
}

/** yyyyMMddTHHmmssZ in UTC, the X-Qiniu-Date format. */
export const qiniuDate = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')

export interface DirectClient {
  call(): Promise<CallResult>
  /** Bytes of the form body (same every call). */
  bodyBytes: number
}

export function createDirectClient(opts: {
  /** Emulator base URL, e.g. http://127.0.0.1 (port 80: see the emulator's note on the SDK). */
  url: string
  accessKey: string
  secretKey: string
  operations: readonly BenchOp[]
  /** Expected count of each per-op code. */
  expectedCodes: Record<number, number>
}): DirectClient {
  const mac = new qiniu.auth.digest.Mac(opts.accessKey, opts.secretKey)
  const batchUrl = opts.url.replace(/\/+$/, '') + '/batch'
  const expected = JSON.stringify(sortedCounts(opts.expectedCodes))

  function buildRequest(): { headers: Record<string, string>; body: string } {
    const body = querystring.stringify({ op: opts.operations.map((op) => qiniuOpPath(op as Operation)) })
    const date = qiniuDate(new Date())
    const authorization = qiniu.util.generateAccessTokenV2(mac, batchUrl, 'POST', FORM, body, { 'X-Qiniu-Date': date })
    return { headers: { 'Content-Type': FORM, 'X-Qiniu-Date': date, Authorization: authorization }, body }
  }

  return {
    bodyBytes: Buffer.byteLength(buildRequest().body),
    async call() {
      // Timed from building the request to the parsed answer, as the gateway client is.
      const t0 = performance.now()
      const { headers, body } = buildRequest()
      const res = await fetch(batchUrl, { method: 'POST', headers, body })
      const text = await res.text()
      let answers: unknown
      try {
        answers = JSON.parse(text)
      } catch {
        answers = undefined
      }
      const ms = performance.now() - t0

      const problems: string[] = []
      if (res.status !== 200 && res.status !== 298) problems.push(`HTTP ${res.status}: ${text.slice(0, 300)}`)
      else if (!Array.isArray(answers) || answers.length !== opts.operations.length)
        problems.push(`expected ${opts.operations.length} answers, got ${Array.isArray(answers) ? answers.length : 'no array'}`)
      else {
        const codes: Record<number, number> = {}
        for (const a of answers as Array<{ code: number }>) codes[a.code] = (codes[a.code] ?? 0) + 1
        const got = JSON.stringify(sortedCounts(codes))
        if (got !== expected) problems.push(`per-op codes ${got}, expected ${expected}`)
      }
      return { ms, problems, status: res.status, text }
    },
  }
}

function sortedCounts(c: Record<number, number>): Array<[number, number]> {
  return Object.entries(c)
    .map(([k, v]) => [Number(k), v] as [number, number])
    .sort((a, b) => a[0] - b[0])
}
