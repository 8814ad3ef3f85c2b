/**
 * What the emulator's object routes (download, form upload, RSF list) share: the emulator's state
 * they work on, and fault handling for a request that touches one bucket, applied the way the
 * /batch routes apply it (delay first, then http/drop/garbage end the request, else op rules).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import type { FaultRegistry, FaultTarget, OpFaultHit } from '../faults.ts'
import type { RequestLog } from '../control-routes.ts'
import type { LogEntry } from '../control.ts'
import { dropConnection, retryAfterHeader, sendJsonText, sleep } from '../http-io.ts'
import type { QiniuStore } from './qiniu-store.ts'

export interface RouteContext {
  store: QiniuStore
  faults: FaultRegistry
  log: RequestLog<LogEntry>
  /** Access key → secret key. */
  credentials: ReadonlyMap<string, string>
  /** Largest accepted |X-Qiniu-Date − now| for management tokens. */
  maxSkewMs: number
  now: () => number
  /** The `{error}` text of a code when a fault gives none. */
  defaultError(code: number): string
  /**
   * On one region of a multi-region account (qiniu-regions.ts): the answer for a bucket of another
   * region, which this region's rsf and up hosts refuse as its RS host does; else undefined.
   */
  otherRegion?(bucket: string): { code: number; error: string } | undefined
}

/** A Qiniu error answer: `{"error": "..."}`. */
export const sendError = (res: ServerResponse, status: number, error: string, extra?: Record<string, string>): void =>
  sendJsonText(res, status, JSON.stringify({ error }), extra)

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export type Logger = (httpStatus: number, fault?: LogEntry['fault']) => void

/** A logger for one request: every answer is recorded against the bucket it touched. */
export function requestLogger(ctx: RouteContext, req: IncomingMessage, path: string, bucket: string | undefined, accessKey: string | null, at: number): Logger {
  return (httpStatus, fault) => {
    // These routes carry upload or download tokens, not a management Authorization header.
    const e: LogEntry = { method: req.method ?? 'GET', path, auth: 'none', accessKey, ops: 1, httpStatus, at }
    if (fault) e.fault = fault
    if (bucket !== undefined) ctx.log.record([bucket], e)
  }
}

export type FaultOutcome = { answered: true } | { answered: false; delayed: boolean; opFault?: OpFaultHit }

/**
 * Applies the fault rules of `target.bucket` to a one-object request. When a rule answers the
 * request (http, garbage, drop) it is answered and logged here; `apply` runs first for a drop rule
 * with `apply: true` (the object is stored, the answer lost). Otherwise the caller answers, with
 * `opFault` (an `op` rule on the bucket, or on this key) instead of its own result if set.
 */
export async function applyFaults(ctx: RouteContext, res: ServerResponse, target: FaultTarget, log: Logger, apply?: () => void): Promise<FaultOutcome> {
  const buckets = new Set([target.bucket])
  const delayMs = ctx.faults.takeDelay(buckets)
  if (delayMs > 0) await sleep(delayMs)
  const terminal = ctx.faults.takeTerminal(buckets)
  if (terminal) {
    switch (terminal.kind) {
      case 'http':
        log(terminal.status, 'http')
        sendJsonText(res, terminal.status, terminal.body ?? JSON.stringify({ error: ctx.defaultError(terminal.status) }), retryAfterHeader(terminal))
        return { answered: true }
      case 'garbage':
        log(200, 'garbage')
        sendJsonText(res, 200, terminal.body ?? '{"hash":"Fh<html>upstream error</html>')
        return { answered: true }
      case 'drop':
        if (terminal.apply) apply?.()
        log(0, 'drop')
        dropConnection(res)
        return { answered: true }
    }
  }
  const opFault = ctx.faults.takeOpFaults([[target]]).get(0)
  return opFault ? { answered: false, delayed: delayMs > 0, opFault } : { answered: false, delayed: delayMs > 0 }
}

/** The fault kind to log for a request answered normally. */
export const loggedFault = (f: { delayed: boolean; opFault?: OpFaultHit }): LogEntry['fault'] => (f.opFault ? 'op' : f.delayed ? 'delay' : undefined)
