import { ObjectIOError, type ObjectIO } from '../../../shared/engine/types.ts'
import { readInline, type JobRow } from './job-db.ts'
import type { ManifestSource } from './preparation.ts'
import type { JobSpec } from './types.ts'

/**
 * ETags compare without their quotes, and hex ones without case: OSS shows an MD5 ETag in upper
 * case where S3 and md5sum show it in lower case, and both name the same bytes.
 */
export function sameEtag(given: string, actual: string): boolean {
  const a = given.replace(/"/g, '')
  const b = actual.replace(/"/g, '')
  return a === b || (/^[0-9a-f-]+$/i.test(a) && a.toLowerCase() === b.toLowerCase())
}

/**
 * Where preparation reads the manifest: the inline CSV kept in the job object, or the manifest
 * object on the job's account — whose ETag must be the one the job names (§6).
 */
export async function manifestSource(sql: SqlStorage, spec: JobSpec, row: JobRow, objects: ObjectIO | undefined): Promise<ManifestSource | { error: string; code: string }> {
  if (spec.manifest.inline) return { size: row.manifest_size ?? 0, read: async (s, e) => readInline(sql, s, e) }
  const location = spec.manifest.location!
  if (!objects) return { code: 'ManifestUnreadable', error: `manifests cannot be read from the ${spec.account} account's provider` }
  try {
    const head = await objects.head(location.bucket, location.key)
    if (!head) return { code: 'ManifestNotFound', error: `the manifest ${location.bucket}/${location.key} does not exist` }
    if (location.etag && !sameEtag(location.etag, head.etag))
      return { code: 'ManifestEtagMismatch', error: `the manifest's ETag is ${head.etag}, not the ${location.etag} the job names` }
    return { size: head.size, read: (s, e) => objects.readRange(location.bucket, location.key, s, e) }
  } catch (err) {
    // A failure that may pass (throttling, 5xx, a dropped connection) is the caller's to retry.
    if (!(err instanceof ObjectIOError) || err.retriable) throw err
    return { code: 'ManifestUnreadable', error: `the manifest could not be read: ${err.message}` }
  }
}
