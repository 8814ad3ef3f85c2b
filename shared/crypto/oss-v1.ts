/**
 * Aliyun OSS Signature V1 (HMAC-SHA1), as ali-oss sends it: only `x-oss-date`, whose value also
 * fills the Date slot (provider-protocols.md §3.1; Go v2 `oss/signer/v1.go`).
 */

import type { AccessKeyCredentials, RequestSigner, SigningInput } from './request-signer.ts'
import type { SubResource } from './sigv2-core.ts'
import { canonicalSubresources, headerStringToSign, httpDate, signHmacSha1Header } from './sigv2-core.ts'

/** Query keys V1 signs (Go `requiredSignedParametersMap`); `encoding-type` is not among them. */
export const OSS_V1_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl', 'bucketInfo', 'location', 'stat', 'delete', 'append', 'tagging', 'objectMeta',
  'uploads', 'uploadId', 'partNumber', 'security-token', 'position', 'response-content-type',
  'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding', 'restore', 'callback',
  'callback-var', 'versions', 'versioning', 'versionId', 'sequential', 'continuation-token',
  'regionList', 'cloudboxes', 'symlink',
])

/** Options of {@link ossV1Signer}. */
export interface OssV1Options {
  /** More query keys to sign as sub-resources (Go `SigningContext.SubResource`). */
  extraSubresources?: string[]
}

/**
 * CanonicalizedResource: `/bucket/key` with the RAW key, `/bucket/` at bucket level, `/` with
 * no bucket, then the signed query keys (decoded; an empty value gives a bare key, as in Go).
 */
export function ossV1Resource(request: SigningInput, extra: ReadonlySet<string> = new Set()): string {
  let path = '/'
  if (request.bucket !== undefined) path += `${request.bucket}/`
  if (request.key !== undefined) path += request.key
  const resources: SubResource[] = []
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(request.url.search)) {
    // Go reads query.Get(name): the first value of a repeated key, once.
    if (seen.has(name)) continue
    if (OSS_V1_SUBRESOURCES.has(name) || name.startsWith('x-oss-') || extra.has(name)) {
      seen.add(name)
      resources.push({ name, value: value === '' ? undefined : value })
    }
  }
  return path + canonicalSubresources(resources)
}

/** OSS V1 signer: sets `x-oss-date` (RFC 1123) and `Authorization: OSS <AK>:<base64 sig>`. */
export function ossV1Signer(creds: AccessKeyCredentials, opts: OssV1Options = {}): RequestSigner {
  const extra = new Set(opts.extraSubresources ?? [])
  return async (request, now) => {
    const { headers } = request
    // x-oss-date rather than Date: browsers and fetch may refuse to set Date; OSS accepts it
    // in the Date slot, and being x-oss-* it is signed among the OSS headers too.
    const date = httpDate(now)
    headers.set('x-oss-date', date)
    const stringToSign = headerStringToSign({
      method: request.method,
      headers,
      date,
      headerPrefix: 'x-oss-',
      resource: ossV1Resource(request, extra),
    })
    return signHmacSha1Header('OSS', creds, headers, stringToSign)
  }
}
