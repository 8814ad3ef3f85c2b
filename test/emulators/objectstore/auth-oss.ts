/**
 * Aliyun OSS request authentication, V1 and V4, recomputed from the request as received with the
 * `ali-oss` package's own signing code (lib/common/signUtils.js), independently of the gateway.
 *
 * V1 (`Authorization: OSS AK:base64(HMAC-SHA1(secret, StringToSign))`):
 *   unknown key → 403 InvalidAccessKeyId; no parseable x-oss-date/Date → 403 AccessDenied;
 *   skew > 15 min → 403 RequestTimeTooSkewed; then signUtils.buildCanonicalString(method,
 *   "/bucket/key", {headers, parameters}, date) where the Date slot is x-oss-date when sent, else
 *   Date; `parameters` are the query parameters OSS signs (the sub-resource list below, and every
 *   x-oss-* name), decoded; mismatch → 403 SignatureDoesNotMatch (with StringToSign).
 *
 * V4 (`Authorization: OSS4-HMAC-SHA256 Credential=AK/yyyyMMdd/region/oss/aliyun_v4_request
 * [,AdditionalHeaders=a;b],Signature=hex`; "," or ", " between fields):
 *   malformed → 400 InvalidArgument; unknown key → 403 InvalidAccessKeyId; x-oss-date must be
 *   yyyyMMddTHHmmssZ (403 AccessDenied) with the scope's date (400 InvalidArgument) within 15 min
 *   (403 RequestTimeTooSkewed); x-oss-content-sha256 must be UNSIGNED-PAYLOAD (400
 *   InvalidArgument, EC 0002-00000214); then signUtils.authorizationV4(..., region from the scope,
 *   method, {headers, queries: every query parameter, decoded; valueless → null}, bucket, key,
 *   AdditionalHeaders); mismatch → 403 SignatureDoesNotMatch (with CanonicalRequest and
 *   StringToSign).
 *
 * No Authorization header → 403 AccessDenied.
 */
import { createRequire } from 'node:module'
import { parseAmzDate, parseV4Components, queryPairs, safeEqual } from './auth-common.ts'
import { ApiError, type AuthOptions, type AuthResult, type ReceivedRequest } from './types.ts'

interface SignUtils {
  buildCanonicalString(method: string, resourcePath: string, request: { headers: Record<string, string>; parameters?: Record<string, string | null> }, expires?: string): string
  computeSignature(accessKeySecret: string, canonicalString: string, headerEncoding?: string): string
  authorization(accessKeyId: string, accessKeySecret: string, canonicalString: string, headerEncoding?: string): string
  fixAdditionalHeaders(additionalHeaders?: string[]): string[]
  getCanonicalRequest(method: string, request: { headers: Record<string, string>; queries?: Record<string, string | null> }, bucketName?: string, objectName?: string, additionalHeaders?: string[]): string
  getStringToSign(region: string, date: string, canonicalRequest: string, product?: string): string
  getSignatureV4(accessKeySecret: string, date: string, region: string, stringToSign: string, product?: string): string
  authorizationV4(
    accessKeyId: string,
    accessKeySecret: string,
    region: string,
    method: string,
    request: { headers: Record<string, string>; queries?: Record<string, string | null> },
    bucketName?: string,
    objectName?: string,
    additionalHeaders?: string[],
  ): string
}

/** ali-oss's signing functions (CommonJS; they call each other through `this`, keep the object). */
export const signUtils = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as SignUtils

/** Query parameters V1 signs (Go SDK v2 `requiredSignedParametersMap`), plus any x-oss-* name. */
export const OSS_V1_SUBRESOURCES = [
  'acl', 'bucketInfo', 'location', 'stat', 'delete', 'append', 'tagging', 'objectMeta', 'uploads', 'uploadId',
  'partNumber', 'security-token', 'position', 'response-content-type', 'response-content-language',
  'response-expires', 'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'restore', 'callback', 'callback-var', 'versions', 'versioning', 'versionId', 'sequential',
  'continuation-token', 'regionList', 'cloudboxes', 'symlink',
]

const SIG_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'

const unknownKey = (ak: string) =>
  new ApiError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', { fields: [['OSSAccessKeyId', ak]] })
const skewed = () => new ApiError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {})

/** The V1 canonical resource: `/bucket/key` (key raw), `/bucket/`, or `/`. */
export function ossResource(bucket: string | undefined, key: string | undefined): string {
  if (bucket === undefined) return '/'
  return `/${bucket}/${key ?? ''}`
}

/** The V1 StringToSign of a request as received (see the header comment). */
export function ossV1StringToSign(req: ReceivedRequest): string {
  const parameters: Record<string, string | null> = {}
  for (const [k, v] of queryPairs(req.rawQuery)) {
    if ((OSS_V1_SUBRESOURCES.includes(k) || k.startsWith('x-oss-')) && !(k in parameters)) parameters[k] = v === '' ? null : v
  }
  const date = req.headers['x-oss-date'] ?? req.headers.date ?? ''
  return signUtils.buildCanonicalString(req.method, ossResource(req.bucket, req.key), { headers: req.headers, parameters }, date)
}

export async function verifyOss(req: ReceivedRequest, opts: AuthOptions): Promise<AuthResult> {
  const auth = req.headers.authorization
  if (auth === undefined || auth === '') {
    return { ok: false, scheme: 'none', accessKey: null, error: new ApiError(403, 'AccessDenied', 'You have no right to access this object because of bucket acl.', {}) }
  }
  if (auth.startsWith('OSS4-HMAC-SHA256 ')) return verifyV4(req, auth, opts)
  if (auth.startsWith('OSS ')) return verifyV1(req, auth, opts)
  return { ok: false, scheme: 'none', accessKey: null, error: new ApiError(400, 'InvalidArgument', 'Authorization header is invalid.', {}) }
}

async function verifyV1(req: ReceivedRequest, header: string, opts: AuthOptions): Promise<AuthResult> {
  const scheme = 'OSS' as const
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(header)
  if (!m) return { ok: false, scheme, accessKey: null, error: new ApiError(400, 'InvalidArgument', 'Authorization header is invalid.', {}) }
  const accessKey = m[1]!
  const fail = (error: ApiError): AuthResult => ({ ok: false, scheme, accessKey, error })
  const secret = opts.credentials.get(accessKey)
  if (secret === undefined) return fail(unknownKey(accessKey))
  const dateHeader = req.headers['x-oss-date'] ?? req.headers.date
  const t = dateHeader === undefined ? NaN : Date.parse(dateHeader)
  if (Number.isNaN(t)) return fail(new ApiError(403, 'AccessDenied', 'OSS authentication requires a valid Date.', {}))
  if (Math.abs(opts.now() - t) > opts.maxSkewMs) return fail(skewed())
  let stringToSign: string
  try {
    stringToSign = ossV1StringToSign(req)
  } catch {
    return fail(new ApiError(400, 'InvalidURI', 'The specified URI is invalid.'))
  }
  const expected = signUtils.computeSignature(secret, stringToSign)
  if (!safeEqual(expected, m[2]!)) {
    return fail(new ApiError(403, 'SignatureDoesNotMatch', SIG_MISMATCH, {
      fields: [
        ['StringToSign', stringToSign],
        ['SignatureProvided', m[2]!],
        ['OSSAccessKeyId', accessKey],
        ['StringToSignBytes', [...Buffer.from(stringToSign, 'utf8')].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ')],
      ],
    }))
  }
  return { ok: true, scheme, accessKey }
}

export interface OssV4Authorization {
  accessKey: string
  date: string
  region: string
  product: string
  terminator: string
  additionalHeaders: string[]
  signature: string
}

/** Parses an `OSS4-HMAC-SHA256 ...` header; undefined when malformed. */
export function parseOssV4Authorization(header: string): OssV4Authorization | undefined {
  const v4 = parseV4Components(header.slice('OSS4-HMAC-SHA256 '.length), { required: ['Credential', 'Signature'], optional: ['AdditionalHeaders'] })
  if (!v4) return undefined
  const additional = v4.parts.get('AdditionalHeaders')
  const additionalHeaders = additional === undefined || additional === '' ? [] : additional.split(';')
  const [accessKey, date, region, product, terminator] = v4.scope as [string, string, string, string, string]
  return { accessKey, date, region, product, terminator, additionalHeaders, signature: v4.signature }
}

async function verifyV4(req: ReceivedRequest, header: string, opts: AuthOptions): Promise<AuthResult> {
  const scheme = 'OSS4-HMAC-SHA256' as const
  const a = parseOssV4Authorization(header)
  if (!a) return { ok: false, scheme, accessKey: null, error: new ApiError(400, 'InvalidArgument', 'Authorization header is invalid.', {}) }
  const fail = (error: ApiError): AuthResult => ({ ok: false, scheme, accessKey: a.accessKey, region: a.region, error })
  if (a.product !== 'oss' || a.terminator !== 'aliyun_v4_request') {
    return fail(new ApiError(400, 'InvalidArgument', `Invalid credential scope "${a.date}/${a.region}/${a.product}/${a.terminator}".`, {}))
  }
  const secret = opts.credentials.get(a.accessKey)
  if (secret === undefined) return fail(unknownKey(a.accessKey))
  const ossDate = req.headers['x-oss-date']
  const t = ossDate === undefined ? NaN : parseAmzDate(ossDate)
  if (Number.isNaN(t)) return fail(new ApiError(403, 'AccessDenied', 'OSS V4 authentication requires a valid x-oss-date header (yyyyMMddTHHmmssZ).', {}))
  if (a.date !== ossDate!.slice(0, 8)) return fail(new ApiError(400, 'InvalidArgument', `Invalid signing date in Authorization header: "${a.date}" is not the date of x-oss-date "${ossDate}".`, {}))
  if (Math.abs(opts.now() - t) > opts.maxSkewMs) return fail(skewed())
  const payload = req.headers['x-oss-content-sha256']
  if (payload !== 'UNSIGNED-PAYLOAD') {
    return fail(new ApiError(400, 'InvalidArgument', `x-oss-content-sha256 must be UNSIGNED-PAYLOAD${payload === undefined ? ' (the header is required for V4)' : ''}.`, { ec: '0002-00000214' }))
  }
  const queries: Record<string, string | null> = {}
  try {
    for (const [k, v] of queryPairs(req.rawQuery)) if (!(k in queries)) queries[k] = v === '' ? null : v
  } catch {
    return fail(new ApiError(400, 'InvalidURI', 'The specified URI is invalid.'))
  }
  const request = { headers: req.headers, queries }
  let expected: string
  let canonical = ''
  let stringToSign = ''
  try {
    expected = signUtils.authorizationV4(a.accessKey, secret, a.region, req.method, request, req.bucket, req.key, a.additionalHeaders)
    canonical = signUtils.getCanonicalRequest(req.method, request, req.bucket, req.key, signUtils.fixAdditionalHeaders(a.additionalHeaders))
    stringToSign = signUtils.getStringToSign(a.region, ossDate!, canonical)
  } catch {
    // An AdditionalHeaders name the request does not carry.
    expected = ''
  }
  const got = /Signature=([0-9a-f]{64})$/.exec(expected)?.[1] ?? ''
  const additional = signUtils.fixAdditionalHeaders(a.additionalHeaders).join(';')
  if (!safeEqual(got, a.signature) || additional !== a.additionalHeaders.map((h) => h.toLowerCase()).join(';')) {
    return fail(new ApiError(403, 'SignatureDoesNotMatch', SIG_MISMATCH, {
      fields: [
        ['StringToSign', stringToSign],
        ['SignatureProvided', a.signature],
        ['CanonicalRequest', canonical],
        ['OSSAccessKeyId', a.accessKey],
      ],
    }))
  }
  return { ok: true, scheme, accessKey: a.accessKey, region: a.region }
}
