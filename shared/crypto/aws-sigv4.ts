/**
 * AWS Signature V4 header signing for S3-compatible stores (AWS, CTYun OOS 6.0 pools), as in
 * provider-protocols.md §2.3. The algorithm itself lives in sigv4-core.ts.
 */

import type { AccessKeyCredentials, SigningInput, SigningStages } from './request-signer.ts'
import type { SigV4Dialect } from './sigv4-core.ts'
import { sha256Hex } from './hash.ts'
import {
  amzDate,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUriPath,
  signV4,
} from './sigv4-core.ts'

/** AWS's names and rules for the shared V4 pipeline. */
export const AWS_V4_DIALECT: SigV4Dialect = {
  algorithm: 'AWS4-HMAC-SHA256',
  keyPrefix: 'AWS4',
  terminator: 'aws4_request',
  bareEmptyQueryKey: false,
  collapseHeaderSpaces: true,
}

/** The payload hash S3 accepts in place of the body's SHA-256. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

/** Options of {@link s3V4Signer}. */
export interface S3V4Options {
  region: string
  /** Credential-scope service; default 's3'. Only 's3' gets an x-amz-content-sha256 header. */
  service?: string
  /**
   * 'unsigned' (default): the payload hash is `UNSIGNED-PAYLOAD`. 'signed': the SHA-256 of the
   * input's `body` ('' when absent). Either way an x-amz-content-sha256 the caller already set
   * wins and is used as the payload hash, so a caller that hashed the body itself can say so.
   */
  payload?: 'unsigned' | 'signed'
  /** More headers to sign when present (any case), e.g. 'range'; beyond the default set. */
  additionalHeaders?: string[]
}

/** A signing input that may carry the exact body bytes, hashed for `payload: 'signed'`. */
export type S3V4SigningInput = SigningInput & { body?: string | Uint8Array }

/** A V4 signer; assignable to RequestSigner, and it also accepts a body. */
export type S3V4Signer = (request: S3V4SigningInput, now: Date) => Promise<SigningStages>

function isSignedByDefault(name: string): boolean {
  return name.startsWith('x-amz-') || name === 'content-md5' || name === 'content-type'
}

/**
 * S3 SigV4 signer. Sets x-amz-date (and x-amz-content-sha256 for service 's3'), then signs
 * `host` (url.host: Workers cannot set Host), every x-amz-*, content-md5 and content-type when
 * present, plus opts.additionalHeaders. The URL's path is already encoded and is signed encoded
 * once (see canonicalUriPath); build key paths with uriEncode(key, true) so that what is sent
 * is exactly what is signed.
 */
export function s3V4Signer(creds: AccessKeyCredentials, opts: S3V4Options): S3V4Signer {
  const service = opts.service ?? 's3'
  const extra = new Set((opts.additionalHeaders ?? []).map((h) => h.toLowerCase()))
  extra.delete('host')
  extra.delete('authorization')
  return async (request, now) => {
    const { headers, url } = request
    const datetime = amzDate(now)
    headers.set('x-amz-date', datetime)

    let payloadHash = headers.get('x-amz-content-sha256')
    if (payloadHash === null) {
      payloadHash = opts.payload === 'signed' ? await sha256Hex(request.body ?? '') : UNSIGNED_PAYLOAD
      // Non-S3 services hash the payload without sending the header (AWS test suite).
      if (service === 's3') headers.set('x-amz-content-sha256', payloadHash)
    }

    const entries: [string, string][] = [['host', url.host]]
    for (const [name, value] of headers) {
      if (name !== 'authorization' && (isSignedByDefault(name) || extra.has(name))) {
        entries.push([name, value])
      }
    }
    const signed = canonicalHeaders(entries, AWS_V4_DIALECT.collapseHeaderSpaces)
    const creq = canonicalRequest({
      method: request.method,
      uri: canonicalUriPath(url.pathname),
      query: canonicalQuery(url.search, AWS_V4_DIALECT.bareEmptyQueryKey),
      headers: signed,
      payloadHash,
    })
    const { scope, stringToSign, signature } = await signV4(AWS_V4_DIALECT, {
      secret: creds.secretAccessKey,
      datetime,
      region: opts.region,
      service,
      canonicalRequest: creq,
    })
    const authorization =
      `${AWS_V4_DIALECT.algorithm} Credential=${creds.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signed.names}, Signature=${signature}`
    headers.set('authorization', authorization)
    return { canonicalRequest: creq, stringToSign, authorization }
  }
}

/**
 * CTYun OOS V4 region from an endpoint host (CTYun PHP SDK `getRegionName`): the text between
 * `oos-` and the next '.', without a trailing `-iam` — `oos-cn.ctyunapi.cn` → 'cn',
 * `oos-cn-iam.ctyunapi.cn` → 'cn'. Looks only at the last label that starts with `oos-`, so a
 * bucket named `oos-…` in a virtual-hosted host does not confuse it. Undefined if none.
 */
export function ctyunRegionFromHost(host: string): string | undefined {
  const labels = host.replace(/:\d+$/, '').toLowerCase().split('.')
  const label = labels.findLast((l) => l.startsWith('oos-') && l.length > 4)
  if (label === undefined) return undefined
  const region = label.slice(4).replace(/-iam$/, '')
  return region === '' ? undefined : region
}
