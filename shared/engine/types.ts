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
  check(op: Operation): readonly ValidationIssue[]
  /** Group operations into as few calls as the provider's limits allow. */
  plan(ops: IndexedOperation[]): PlannedCall[]
  /** Whole-object reads and writes (batch jobs' manifests and reports); absent where not built yet. */
  objects?: ObjectIO
  /** Paged listing under a prefix (manifest generators); absent where not built yet. */
  lister?: ObjectLister
}

/** One object a listing found. */
export interface ListedObject {
  /** The object key (on PDS: the file id, which is what operations name). */
  key: string
  /** A display name where it differs from the key (PDS file names); filters on suffixes use it. */
  name?: string
  size: number
  /** When the object was created or last written, ISO 8601. */
  lastModified: string
  etag?: string
}

export interface ListPage {
  objects: ListedObject[]
  /** Where the next page starts — opaque, stored in the job object between pages — or null after the last. */
  next: string | null
}

/**
 * Lists a bucket page by page. A page is at most `limit` objects (the provider's own maximum,
 * about 1,000, when not given); pages never overlap, so a job that stores `next` together with the
 * page's rows resumes without listing a key twice. Throws ObjectIOError on failure.
 */
export interface ObjectLister {
  list(bucket: string, prefix: string, cursor: string | null, opts?: { limit?: number; signal?: AbortSignal }): Promise<ListPage>
}

/**
 * Plain object reads and writes on an account's buckets, outside the batch engine: a batch job
 * reads its CSV manifest in ranges and writes its report files through these.
 */
export interface ObjectIO {
  /** Size and ETag of an object (the provider's own ETag, unquoted), or null when it does not exist. */
  head(bucket: string, key: string, signal?: AbortSignal): Promise<{ size: number; etag: string } | null>
  /** Bytes [start, end) of an object (end exclusive, clamped to the size); throws ObjectIOError on failure. */
  readRange(bucket: string, key: string, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array>
  /** Writes a whole object; returns its ETag. */
  write(bucket: string, key: string, body: string | Uint8Array, contentType: string, signal?: AbortSignal): Promise<{ etag: string }>
}

/** A failed {@link ObjectIO} call: the unified code, and whether sending it again may succeed. */
export class ObjectIOError extends Error {
  override readonly name = 'ObjectIOError'
  // Declared fields rather than parameter properties, so the module stays erasable TypeScript.
  readonly code: ResultCode
  readonly retriable: boolean
  constructor(code: ResultCode, message: string, retriable: boolean) {
    super(message)
    this.code = code
    this.retriable = retriable
  }
}
