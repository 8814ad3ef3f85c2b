import { ObjectIOError, type ObjectIO } from '../../engine/types.ts'
import type { R2BucketResolver } from './r2-adapter.ts'
import type { R2BucketLike, R2ObjectBodyLike, R2ObjectLike } from './r2-bucket.ts'

const hasBody = (o: R2ObjectLike | R2ObjectBodyLike | null): o is R2ObjectBodyLike => !!o && 'body' in o

/**
 * Whole-object reads and writes through the Worker's R2 bindings: head, ranged get, put. Binding
 * calls take no signal, so an aborted signal is only honoured before each call.
 */
export function createR2Objects(resolve: R2BucketResolver): ObjectIO {
  function bucketOf(bucket: string, key: string, signal: AbortSignal | undefined): R2BucketLike {
    checkSignal(signal)
    const binding = resolve(bucket)
    if (!binding) throw new ObjectIOError('NoSuchBucket', `the account has no bucket "${bucket}"`, false)
    if (key === '') throw new ObjectIOError('InvalidArgument', 'the object key is empty', false)
    return binding
  }

  return {
    async head(bucket, key, signal) {
      const b = bucketOf(bucket, key, signal)
      const o = await r2Call(() => b.head(key))
      return o ? { size: o.size, etag: o.etag } : null
    },

    async readRange(bucket, key, start, end, signal) {
      const b = bucketOf(bucket, key, signal)
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < 0)
        throw new ObjectIOError('InvalidArgument', `a byte range needs whole numbers ≥ 0, not [${start}, ${end})`, false)
      if (end <= start) return new Uint8Array(0)
      let o: R2ObjectLike | R2ObjectBodyLike | null
      try {
        o = await b.get(key, { range: { offset: start, length: end - start } })
      } catch (err) {
        // R2 refuses a range that starts at or past the end (and any range of an empty object);
        // the size tells that apart from a real failure.
        const head = await r2Call(() => b.head(key))
        if (head && start >= head.size) return new Uint8Array(0)
        if (!head) throw new ObjectIOError('NoSuchKey', 'the object does not exist', false)
        throw toError(err)
      }
      if (!hasBody(o)) throw new ObjectIOError('NoSuchKey', 'the object does not exist', false)
      return new Uint8Array(await r2Call(() => o.arrayBuffer()))
    },

    async write(bucket, key, body, contentType, signal) {
      const b = bucketOf(bucket, key, signal)
      const o = await r2Call(() => b.put(key, body, { httpMetadata: { contentType } }))
      if (!o) throw new ObjectIOError('ProviderError', 'R2 did not store the object', true)
      return { etag: o.etag }
    },
  }
}

/** Throws the unified error of an already-aborted signal (binding calls take no signal). */
export function checkSignal(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name === 'TimeoutError') throw new ObjectIOError('Timeout', 'no answer from R2 in time', true)
  throw reason
}

/** Runs a binding call, its thrown error mapped to an ObjectIOError. */
export async function r2Call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    throw toError(err)
  }
}

/**
 * A binding's thrown error → the unified code by R2's numeric code in the message: 10058 (too
 * many concurrent requests on one object) is throttling, 10020 an invalid key name; anything else
 * is a retriable provider fault.
 */
function toError(err: unknown): ObjectIOError {
  if (err instanceof ObjectIOError) return err
  const message = err instanceof Error ? err.message : String(err)
  if (/\(10058\)/.test(message)) return new ObjectIOError('Throttled', `R2 is throttling requests: ${message}`, true)
  if (/\(10020\)/.test(message)) return new ObjectIOError('InvalidArgument', `R2 refused the key: ${message}`, false)
  return new ObjectIOError('ProviderError', `R2 failed: ${message}`, true)
}
