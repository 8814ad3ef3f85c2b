import { fromBase64, toBase64, utf8, utf8Decode } from '../crypto/encoding.ts'

// batchgate's job ids are lower-case UUIDs; OSS shows 44-character ids that are the base64 of
// 32 hex digits (its own example decodes to "34cde64d7a694da191ffac69939a71ae").
const UUID = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/
const HEX32 = /^[0-9a-f]{32}$/
const OSS_ID = /^[A-Za-z0-9]{43}=$/

/**
 * The OSS form of a job id: base64 of the UUID's 32 hex digits (no dashes). The base64 of hex
 * digits never holds "+" or "/", so the id is letters, digits and one "=", as OSS documents.
 * @example toOssJobId('34cde64d-7a69-4da1-91ff-ac69939a71ae') // 'MzRjZGU2NGQ3YTY5NGRhMTkxZmZhYzY5OTM5YTcxYWU='
 */
export function toOssJobId(uuid: string): string {
  if (!UUID.test(uuid)) throw new TypeError('not a batchgate job id')
  return toBase64(utf8(uuid.replace(/-/g, '')))
}

/**
 * The batchgate job id an OSS caller names: the OSS form of {@link toOssJobId}, or the UUID
 * itself. Anything else is null (no job can have that id), so the caller answers NoSuchJob.
 */
export function fromOssJobId(id: string): string | null {
  if (UUID.test(id)) return id
  if (!OSS_ID.test(id)) return null
  let hex: string
  try {
    hex = utf8Decode(fromBase64(id))
  } catch {
    return null
  }
  if (!HEX32.test(hex)) return null
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  // Only the one spelling batchgate gives maps back: the mapping is exact both ways.
  return toOssJobId(uuid) === id ? uuid : null
}
