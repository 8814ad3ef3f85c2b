import type { ListedObject } from '../engine/types.ts'
import { csvField, encodeReportKey } from '../report/report-csv.ts'
import type { ManifestGenerator } from '../schemas/job.ts'

/**
 * A manifest generator's pieces (§6): which listed objects a job takes, and the manifest row it
 * writes for each — `Bucket,Key` in S3BatchOperations_CSV_20180820 form (key URL-encoded), so the
 * generated manifest is read back by the same parser as a user's.
 */

type Filters = NonNullable<ManifestGenerator['filters']>

/** True when the object passes every filter given (S3's JobManifestGeneratorFilter semantics). */
export function passesFilters(o: ListedObject, f: Filters | undefined): boolean {
  if (!f) return true
  if (f.keySuffix !== undefined && !(o.name ?? o.key).endsWith(f.keySuffix)) return false
  if (f.sizeGreaterThan !== undefined && !(o.size > f.sizeGreaterThan)) return false
  if (f.sizeLessThan !== undefined && !(o.size < f.sizeLessThan)) return false
  if (f.createdBefore !== undefined || f.createdAfter !== undefined) {
    const t = Date.parse(o.lastModified)
    // An object whose time is unknown cannot be shown to pass a date filter.
    if (Number.isNaN(t)) return false
    if (f.createdBefore !== undefined && !(t < Date.parse(f.createdBefore))) return false
    if (f.createdAfter !== undefined && !(t > Date.parse(f.createdAfter))) return false
  }
  return true
}

/** The manifest rows (each ending in a newline) of the objects of one listing page that pass. */
export function generatedRows(bucket: string, objects: readonly ListedObject[], f: Filters | undefined): { text: string; rows: number } {
  const b = csvField(bucket)
  let text = ''
  let rows = 0
  for (const o of objects) {
    if (!passesFilters(o, f)) continue
    text += `${b},${encodeReportKey(o.key)}\n`
    rows++
  }
  return { text, rows }
}
