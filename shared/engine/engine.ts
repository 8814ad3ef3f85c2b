import type { Operation } from '../schemas/operation.ts'
import { mapBounded } from './pool.ts'
import { RESULT_CODE_STATUS } from './result-codes.ts'
import { backoffMs, DEFAULT_RETRY, type RetryPolicy } from './retry.ts'
import type { IndexedOperation, OperationError, OperationResult, Outcome, PlannedCall, ProviderAdapter } from './types.ts'

export interface EngineOptions {
  /** Provider calls in flight at once. */
  concurrency: number
  /** One provider call's time limit; past it the call is a retriable `Timeout`. */
  callTimeoutMs: number
  retry: RetryPolicy
  signal?: AbortSignal
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  /** Told after each round, for progress reporting and tests. */
  onRound?: (round: { attempt: number; calls: number; retrying: number; delayMs: number }) => void
  /**
   * The `attempt` the operations start at: 1, or more when they may have been sent before (a job
   * chunk run again after its consumer died), so that adapters check state before calling an
   * operation that may have been applied a failure.
   */
  firstAttempt?: number
  /** Told, per operation index, when an operation still failed retriably as the retries ran out. */
  onExhausted?: (index: number) => void
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { concurrency: 8, callTimeoutMs: 30_000, retry: DEFAULT_RETRY }

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function failure(code: keyof typeof RESULT_CODE_STATUS, message: string, provider?: OperationError['provider']): Outcome {
  return { kind: 'done', status: RESULT_CODE_STATUS[code], error: { code, message, ...(provider ? { provider } : {}) } }
}

/**
 * The one execution engine behind `POST /v1/batch` and the job consumers: plan provider calls,
 * run them with bounded concurrency, and retry only the operations that failed retriably, so an
 * operation whose answer said it was applied is never sent again.
 */
export async function executeOperations(adapter: ProviderAdapter, operations: readonly Operation[], options: EngineOptions = DEFAULT_ENGINE_OPTIONS): Promise<OperationResult[]> {
  const now = options.now ?? (() => new Date())
  const sleep = options.sleep ?? sleepMs
  const random = options.random ?? Math.random
  const started = now().getTime()
  const outcomes = new Array<Outcome | undefined>(operations.length)

  let pending: IndexedOperation[] = []
  operations.forEach((op, index) => {
    if (adapter.supports(op.op)) pending.push({ index, op, attempt: options.firstAttempt ?? 1 })
    else outcomes[index] = failure('NotSupported', `${adapter.provider} cannot ${op.op}`)
  })

  for (let attempt = 1; pending.length > 0; attempt++) {
    const calls = adapter.plan(pending)
    const answered = await mapBounded(calls, options.concurrency, (call) => runCall(call, options, now))
    const retrying: IndexedOperation[] = []
    let retryAfterMs = 0
    answered.forEach((callOutcomes, c) => {
      const call = calls[c] as PlannedCall
      call.ops.forEach((op, i) => {
        const outcome = callOutcomes[i] ?? failure('ProviderError', 'the provider answered fewer results than operations')
        outcomes[op.index] = outcome
        if (outcome.kind === 'retry') {
          retrying.push({ ...op, attempt: op.attempt + 1 })
          retryAfterMs = Math.max(retryAfterMs, outcome.retryAfterMs ?? 0)
        }
      })
    })
    const delayMs = Math.max(backoffMs(attempt, options.retry, random), retryAfterMs)
    const outOfTime = now().getTime() + delayMs - started > options.retry.budgetMs
    options.onRound?.({ attempt, calls: calls.length, retrying: retrying.length, delayMs })
    if (retrying.length === 0 || attempt >= options.retry.maxAttempts || outOfTime || options.signal?.aborted) break
    await sleep(delayMs)
    pending = retrying
  }

  if (options.onExhausted) outcomes.forEach((o, index) => o?.kind === 'retry' && options.onExhausted!(index))
  return operations.map((op, index) => toResult(op, index, outcomes[index]))
}

async function runCall(call: PlannedCall, options: EngineOptions, now: () => Date): Promise<Outcome[]> {
  const timeout = AbortSignal.timeout(options.callTimeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  try {
    return await call.run({ signal, now })
  } catch (err) {
    // Adapters let transport failures propagate; whether the provider applied anything is
    // unknown, so the operations are retried (each adapter keeps its retries safe).
    const timedOut = timeout.aborted || (err instanceof Error && err.name === 'TimeoutError')
    const error: OperationError = timedOut
      ? { code: 'Timeout', message: `no answer within ${options.callTimeoutMs} ms` }
      : { code: 'ProviderError', message: `network error: ${err instanceof Error ? err.message : String(err)}` }
    return call.ops.map(() => ({ kind: 'retry', error }))
  }
}

function toResult(op: Operation, index: number, outcome: Outcome | undefined): OperationResult {
  // Built field by field (not spread): this runs for every operation of every batch and chunk.
  const result: OperationResult = { id: op.id ?? String(index), op: op.op, status: 502 }
  if (!outcome) {
    result.error = { code: 'ProviderError', message: 'no outcome' }
    return result
  }
  if (outcome.kind === 'retry') {
    const error = { ...outcome.error }
    if (outcome.retryAfterMs !== undefined) error.retryAfterSeconds = Math.ceil(outcome.retryAfterMs / 1000)
    result.status = RESULT_CODE_STATUS[error.code]
    result.error = error
    return result
  }
  result.status = outcome.status
  if (outcome.data !== undefined) result.data = outcome.data
  if (outcome.error !== undefined) result.error = outcome.error
  return result
}

/** The §5 summary: any 2xx result counts as succeeded. */
export function summarise(results: readonly OperationResult[]) {
  const succeeded = results.filter((r) => r.status >= 200 && r.status < 300).length
  return { total: results.length, succeeded, failed: results.length - succeeded }
}
