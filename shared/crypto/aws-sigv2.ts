/**
 * AWS Signature V2 for S3-compatible stores (CTYun OOS "V2", required on its 5.0 pools), as
 * aws-sdk-js v2 `lib/signers/s3.js` computes it (provider-protocols.md §2.2).
 */

import type { AccessKeyCredentials, RequestSigner, SigningInput } from './request-signer.ts'
import type { SubResource } from './sigv2-core.ts'
import { canonicalSubresources, headerStringToSign, httpDate, signHmacSha1Header } from './sigv2-core.ts'

/** Query keys signed as sub-resources with their values as sent (aws-sdk-js v2 `subResources`). */
export const S3_V2_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber',
  'policy', 'requestPayment', 'restore', 'tagging', 'torrent', 'uploadId', 'uploads',
  'versionId', 'versioning', 'versions', 'website',
])

/** Response-header overrides, signed with URL-decoded values (aws-sdk-js v2 `responseHeaders`). */
export const S3_V2_RESPONSE_OVERRIDES: ReadonlySet<string> = new Set([
  'response-content-type', 'response-content-language', 'response-expires',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding',
])

/** Options of {@link s3V2Signer}. */
export interface S3V2Options {
  /** The bucket is in the host (`<bucket>.<endpoint>`), so the resource starts with `/bucket`. */
  virtualHosted: boolean
  /**
   * Which date header carries the time. 'x-amz-date' (default, aws-sdk-js v2): the Date slot is
   * empty and x-amz-date is signed among the amz headers. 'date' (CTYun PHP SDK): a `Date`
   * header in the Date slot; a Date the caller already set is signed as is, else now is used.
   */
  dateHeader?: 'x-amz-date' | 'date'
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

// Parsed from the raw query, like aws-sdk-js v2: names match as sent, `k` and `k=` stay distinct.
function s3Subresources(search: string): SubResource[] {
  const out: SubResource[] = []
  for (const param of search.replace(/^\?/, '').split('&')) {
    const eq = param.indexOf('=')
    const name = eq < 0 ? param : param.slice(0, eq)
    const value = eq < 0 ? undefined : param.slice(eq + 1)
    if (S3_V2_SUBRESOURCES.has(name)) out.push({ name, value })
    else if (S3_V2_RESPONSE_OVERRIDES.has(name)) {
      out.push({ name, value: value === undefined ? undefined : safeDecode(value) })
    }
  }
  return out
}

/**
 * CanonicalizedResource: `/bucket` + the undecoded path for virtual-hosted requests (`/bucket/`
 * at bucket level), the path as is for path-style ones, then the signed sub-resources.
 */
export function s3V2Resource(request: SigningInput, virtualHosted: boolean): string {
  const path = request.url.pathname
  const base = virtualHosted && request.bucket !== undefined ? `/${request.bucket}${path}` : path
  return base + canonicalSubresources(s3Subresources(request.url.search))
}

/** S3 Signature V2 signer: `Authorization: AWS <AK>:base64(HMAC-SHA1(SK, StringToSign))`. */
export function s3V2Signer(creds: AccessKeyCredentials, opts: S3V2Options): RequestSigner {
  const useDateHeader = opts.dateHeader === 'date'
  return async (request, now) => {
    const { headers } = request
    let date = ''
    if (useDateHeader) {
      date = headers.get('date') ?? httpDate(now)
      headers.set('date', date)
    } else {
      headers.set('x-amz-date', httpDate(now))
    }
    const stringToSign = headerStringToSign({
      method: request.method,
      headers,
      date,
      headerPrefix: 'x-amz-',
      resource: s3V2Resource(request, opts.virtualHosted),
    })
    return signHmacSha1Header('AWS', creds, headers, stringToSign)
  }
}
