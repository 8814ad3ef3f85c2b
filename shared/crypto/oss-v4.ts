/**
 * Aliyun OSS Signature V4 (`OSS4-HMAC-SHA256`) header signing, as Go v2 `oss/signer/v4.go` and
 * ali-oss compute it (provider-protocols.md §3.2). The algorithm itself lives in sigv4-core.ts.
 */

import type { AccessKeyCredentials, RequestSigner } from './request-signer.ts'
import type { SigV4Dialect } from './sigv4-core.ts'
import {
  amzDate,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  signV4,
  uriEncode,
} from './sigv4-core.ts'

/** OSS's names and rules for the shared V4 pipeline. */
export const OSS_V4_DIALECT: SigV4Dialect = {
  algorithm: 'OSS4-HMAC-SHA256',
  keyPrefix: 'aliyun_v4',
  terminator: 'aliyun_v4_request',
  bareEmptyQueryKey: true,
  collapseHeaderSpaces: false,
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

/** Options of {@link ossV4Signer}. */
export interface OssV4Options {
  /** Sign region without the `oss-` prefix, e.g. 'cn-hangzhou' (see ossRegionFromEndpoint). */
  region: string
  /** Credential-scope product; default 'oss' ('oss-cloudbox' with the cloudbox id as region). */
  product?: string
  /** More headers to sign when present (Go `AdditionalHeaders`), listed in the Authorization. */
  additionalHeaders?: string[]
}

function isSignedByDefault(name: string): boolean {
  return name.startsWith('x-oss-') || name === 'content-type' || name === 'content-md5'
}

/**
 * OSS V4 signer. Sets x-oss-date (`yyyyMMddTHHmmssZ`) and x-oss-content-sha256:
 * UNSIGNED-PAYLOAD (what both SDKs always send), then signs every x-oss-*, content-type and
 * content-md5 header plus the present additional headers, all query parameters, and the URI
 * `/bucket/key` built from the RAW bucket and key of the input (not from the URL path).
 */
export function ossV4Signer(creds: AccessKeyCredentials, opts: OssV4Options): RequestSigner {
  const product = opts.product ?? 'oss'
  const additional = new Set(
    (opts.additionalHeaders ?? []).map((h) => h.toLowerCase()).filter((h) => !isSignedByDefault(h)),
  )
  return async (request, now) => {
    const { headers, url } = request
    const datetime = amzDate(now)
    headers.set('x-oss-date', datetime)
    headers.set('x-oss-content-sha256', UNSIGNED_PAYLOAD)

    const entries: [string, string][] = []
    const present: string[] = []
    for (const [name, value] of headers) {
      if (isSignedByDefault(name)) entries.push([name, value])
      else if (additional.has(name)) {
        entries.push([name, value])
        present.push(name)
      }
    }
    // Only additional headers actually sent are declared (Go getCommonAdditionalHeaders).
    const additionalLine = present.sort().join(';')
    const signed = canonicalHeaders(entries, OSS_V4_DIALECT.collapseHeaderSpaces)

    let path = '/'
    if (request.bucket !== undefined) path += `${request.bucket}/`
    if (request.key !== undefined) path += request.key
    const creq = canonicalRequest({
      method: request.method,
      uri: uriEncode(path, true),
      query: canonicalQuery(url.search, OSS_V4_DIALECT.bareEmptyQueryKey),
      // The line after the headers block lists the additional headers, not every signed one.
      headers: { canonical: signed.canonical, names: additionalLine },
      payloadHash: UNSIGNED_PAYLOAD,
    })
    const { scope, stringToSign, signature } = await signV4(OSS_V4_DIALECT, {
      secret: creds.secretAccessKey,
      datetime,
      region: opts.region,
      service: product,
      canonicalRequest: creq,
    })
    // Fields joined by ',' without a space, as both SDKs send them (the docs show ', ').
    let authorization = `${OSS_V4_DIALECT.algorithm} Credential=${creds.accessKeyId}/${scope}`
    if (additionalLine !== '') authorization += `,AdditionalHeaders=${additionalLine}`
    authorization += `,Signature=${signature}`
    headers.set('authorization', authorization)
    return { canonicalRequest: creq, stringToSign, authorization }
  }
}

/**
 * OSS sign region of an endpoint or bucket host: `[bucket.]oss-<region>[-internal].aliyuncs.com`
 * → `<region>` (ali-oss getStandardRegion strips `^oss-`), and the dual-stack form
 * `[bucket.]<region>.oss.aliyuncs.com` → `<region>`. A port is ignored. Undefined for hosts that
 * carry no region (`oss-accelerate[-overseas]`, custom domains): configure the region then.
 */
export function ossRegionFromEndpoint(host: string): string | undefined {
  const h = host.replace(/:\d+$/, '').toLowerCase()
  const classic = /(?:^|\.)oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/.exec(h)
  if (classic) return classic[1]!.startsWith('accelerate') ? undefined : classic[1]
  const dualStack = /(?:^|\.)([a-z0-9-]+)\.oss\.aliyuncs\.com$/.exec(h)
  return dualStack ? dualStack[1] : undefined
}
