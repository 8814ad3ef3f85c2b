/**
 * uc's region query, `GET /v4/query?ak=<AK>&bucket=<bucket>` (provider-protocols §1.1): no
 * authentication; answers where the bucket lives in the shape the qiniu SDK parses
 * (`httpc/regionsProvider.js` `getRegionFromQuery` reads uc, up, io, rs, rsf, api and s3, so all
 * are present), or 631 `{"error":"no such bucket"}` for a bucket the access key's account does not
 * own — what uc answers (qiniu/nodejs-sdk#207, qiniu/php-sdk#254). Domains carry no scheme; the
 * client adds its own.
 *
 * The request is logged under the bucket (path `/v4/query`, auth `none`, the `ak` as accessKey)
 * and fault rules of the bucket apply to it (delay, then http/drop/garbage), so a test can make
 * uc fail for one bucket.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestLog } from '../control-routes.ts'
import type { LogEntry } from '../control.ts'
import type { FaultRegistry } from '../faults.ts'
import { dropConnection, retryAfterHeader, sendJson, sendJsonText, sleep } from '../http-io.ts'
import type { QiniuRegions } from './qiniu-regions.ts'
import type { QiniuStore } from './qiniu-store.ts'

export const UC_QUERY_PATH = '/v4/query'

export interface UcContext {
  credentials: ReadonlyMap<string, string>
  store: QiniuStore
  /** The account's regions; a lone emulator answers with itself as region z0. */
  regions?: QiniuRegions
  /** `host[:port]` of this emulator. */
  selfHost(): string
  faults: FaultRegistry
  log: RequestLog<LogEntry>
  now(): number
}

export async function handleUcQuery(req: IncomingMessage, res: ServerResponse, rawQuery: string, ctx: UcContext): Promise<void> {
  req.resume()
  const at = ctx.now()
  const error = (status: number, message: string, extra?: Record<string, string>) => sendJsonText(res, status, JSON.stringify({ error: message }), extra)
  if (req.method !== 'GET') return error(405, 'method not allowed', { Allow: 'GET' })
  const query = new URLSearchParams(rawQuery)
  const ak = query.get('ak')
  const bucket = query.get('bucket')
  if (!ak || !bucket) return error(400, 'ak and bucket are required')

  const buckets = new Set([bucket])
  const logAnswer = (httpStatus: number, fault?: LogEntry['fault']) =>
    ctx.log.record(buckets, { method: 'GET', path: UC_QUERY_PATH, auth: 'none', accessKey: ak, ops: 0, httpStatus, at, ...(fault ? { fault } : {}) })

  const delayMs = ctx.faults.takeDelay(buckets)
  if (delayMs > 0) await sleep(delayMs)
  const terminal = ctx.faults.takeTerminal(buckets)
  if (terminal?.kind === 'http') {
    logAnswer(terminal.status, 'http')
    return sendJsonText(res, terminal.status, terminal.body ?? JSON.stringify({ error: 'uc unavailable' }), retryAfterHeader(terminal))
  }
  if (terminal?.kind === 'garbage') {
    logAnswer(200, 'garbage')
    return sendJsonText(res, 200, terminal.body ?? '{"hosts":[{"region":"z0","rs":')
  }
  if (terminal?.kind === 'drop') {
    logAnswer(0, 'drop')
    return dropConnection(res)
  }

  if (!ctx.credentials.has(ak) || !ctx.store.buckets.has(bucket)) {
    logAnswer(631)
    return error(631, 'no such bucket')
  }
  const region = ctx.regions?.regionOf(bucket) ?? 'z0'
  const host = ctx.regions?.hostOf(region) ?? ctx.selfHost()
  const domains = (h: string) => ({ domains: [h] })
  logAnswer(200, delayMs > 0 ? 'delay' : undefined)
  sendJson(res, 200, {
    hosts: [
      {
        region,
        ttl: ctx.regions?.ttl ?? 86_400,
        uc: domains(ctx.selfHost()),
        up: { ...domains(host), acc_domains: [] },
        io: domains(host),
        rs: domains(host),
        rsf: domains(host),
        api: domains(host),
        s3: { ...domains(host), region_alias: region },
      },
    ],
  })
}
