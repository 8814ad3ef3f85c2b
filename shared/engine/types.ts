import type { Operation, OpKind } from '../schemas/operation.ts'
import type { ResultCode } from './result-codes.ts'

/** What the provider itself said, kept beside the unified code so nothing is hidden. */
export interface ProviderErrorDetail {
  code: string
  message?: string
}

export interface OperationError {
  code: ResultCode
  message: string
  provider?: ProviderErrorDetail
  /** Seconds the provider asked us to wait, when a throttled operation is surfaced. */
  retryAfterSeconds?: number
}

/** One unified result, in request order. */
export interface OperationResult {
  id: string
  op: OpKind
  status: number
  data?: Record<string, unknown>
  error?: OperationError
}

/** The body of a result without its id/op, as an adapter produces it. */
export type Outcome =
  | { kind: 'done'; status: number; data?: Record<string, unknown>; error?: OperationError }
  /** Not applied (or not known to be applied) and safe to send again. */
  | { kind: 'retry'; error: OperationError; retryAfterMs?: number }

/** An operation with its position in the request: results are put back in that order. */
export interface IndexedOperation {
  index: number
  op: Operation
  /** 1 on the first try; an adapter may check state before calling a retried operation failed. */
  attempt: number
}

export interface CallContext {
  signal: AbortSignal
  now: () => Date
}

/** One provider call planned from one or more operations. */
export interface PlannedCall {
  ops: IndexedOperation[]
  /** Build, sign, send and parse; one outcome per op, aligned with `ops`. Never throws for provider failures. */
  run(ctx: CallContext): Promise<Outcome[]>
}

export interface ValidationIssue {
  /** Path inside the operation, e.g. `destination.key`. */
  path: (string | number)[]
  message: string
}

/**
 * One adapter per provider, behind this interface: the engine asks it which kinds it can do, lets it
 * refuse arguments its provider cannot take (before anything runs), and has it plan provider calls.
 */
export interface ProviderAdapter {
  readonly provider: string
  supports(kind: OpKind): boolean
  /** Provider-specific argument checks; any issue rejects the whole request before execution. */
  check(op: Operation): ValidationIssue[]
  /** Group operations into as few calls as the provider's limits allow. */
  plan(ops: IndexedOperation[]): PlannedCall[]
}
