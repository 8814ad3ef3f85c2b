import type { RequestSigner } from '../../crypto/request-signer.ts'
import type { ACLS, STORAGE_CLASSES } from '../../schemas/operation.ts'

export type StorageClass = (typeof STORAGE_CLASSES)[number]
export type Acl = (typeof ACLS)[number]

/**
 * What tells S3-compatible stores (S3, CTYun OOS, MinIO) and Aliyun OSS apart: they share the
 * REST object API (HEAD, PUT copy, multi-delete XML, ?tagging, ?acl, ?restore, error XML), and
 * differ in header prefix, signature, a few element names and their storage classes.
 */
export interface RestDialect {
  provider: string
  /** Name used in messages: "S3", "CTYun OOS", "OSS". */
  label: string
  /** `x-amz-` or `x-oss-`. */
  prefix: string
  signer: RequestSigner
  /** URL of a bucket (key undefined) or object; `query` pairs are appended raw-encoded. */
  url(bucket: string, key: string | undefined, query?: readonly (readonly [string, string])[]): URL
  /** The copy-source header value for an object. */
  copySource(bucket: string, key: string, versionId?: string): string
  /** Unified storage class → the provider's name (absent: the provider has no equivalent). */
  storageClasses: Partial<Record<StorageClass, string>>
  /** Canned ACLs the provider takes, unified → header value. */
  acls: Partial<Record<Acl, string>>
  /** Header carrying a canned ACL: `x-amz-acl` / `x-oss-object-acl`. */
  aclHeader: string
  /** Element wrapping `Tier` in a restore request. */
  restoreJobElement: 'GlacierJobParameters' | 'JobParameters'
  /** Headers that make a copy refuse an existing destination (overwrite: false). */
  noOverwriteHeaders: Record<string, string>
  /** OSS asks for URL-encoded keys in the multi-delete answer, so any key survives XML. */
  deleteEncodingType?: 'url'
  /**
   * Under `encoding-type=url` OSS encodes NextContinuationToken too (with Prefix, StartAfter and
   * the keys); S3 encodes only names and leaves its tokens as they are.
   */
  listTokenEncoded?: boolean
}

const UNRESERVED = /[!'()*]/g

/** RFC 3986 encoding of one path segment or query value (encodeURIComponent plus !'()*). */
export const encodeRfc3986 = (s: string) =>
  encodeURIComponent(s).replace(UNRESERVED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** An object key as a URL path, each segment encoded once and '/' kept. */
export const encodeKeyPath = (key: string) => key.split('/').map(encodeRfc3986).join('/')

/** Builds path-style or virtual-hosted URLs for an endpoint. */
export function restUrlBuilder(endpoint: string, pathStyle: boolean) {
  const base = new URL(endpoint)
  return (bucket: string, key: string | undefined, query: readonly (readonly [string, string])[] = []): URL => {
    const path = key === undefined ? '/' : `/${encodeKeyPath(key)}`
    const origin = pathStyle ? `${base.protocol}//${base.host}/${encodeRfc3986(bucket)}` : `${base.protocol}//${bucket}.${base.host}`
    const search = query.map(([k, v]) => (v === '' ? encodeRfc3986(k) : `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)).join('&')
    const url = pathStyle && key === undefined ? `${origin}/` : `${origin}${path}`
    return new URL(search ? `${url}?${search}` : url)
  }
}

/** Virtual-hosted addressing needs a DNS name; an IP endpoint or `forcePathStyle` means path-style. */
export function usesPathStyle(endpoint: string, forcePathStyle: boolean | undefined): boolean {
  if (forcePathStyle) return true
  const host = new URL(endpoint).hostname
  return host === 'localhost' || /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[')
}
