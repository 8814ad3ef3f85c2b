/**
 * S3 request authentication: AWS Signature V4 (header form) and V2, recomputed from the request
 * as received, independently of the gateway's signers.
 *
 * V4 (`Authorization: AWS4-HMAC-SHA256 Credential=AK/yyyyMMdd/region/s3/aws4_request,
 * SignedHeaders=..., Signature=...`), checked in this order:
 *   1. header syntax, service `s3`, terminator `aws4_request` → 400 AuthorizationHeaderMalformed
 *   2. unknown access key → 403 InvalidAccessKeyId
 *   3. x-amz-date present and yyyyMMddTHHmmssZ → else 403 AccessDenied; the scope date must equal
 *      its date part → else 400 AuthorizationHeaderMalformed
 *   4. |x-amz-date − now| ≤ 15 min → else 403 RequestTimeTooSkewed
 *   5. x-amz-content-sha256 present → else 400 InvalidRequest; hex SHA-256 or UNSIGNED-PAYLOAD →
 *      else 400 InvalidArgument (STREAMING-* → 501 NotImplemented)
 *   6. `host` signed, and every x-amz-* header present signed → else 403 AccessDenied
 *   7. the signature, recomputed with @smithy/signature-v4 over the signed headers as received
 *      (same x-amz-date, region from the scope, service s3, no double URI encoding, payload hash
 *      = the x-amz-content-sha256 value) → else 403 SignatureDoesNotMatch (with StringToSign and
 *      CanonicalRequest, as S3 sends them)
 *   8. a hex x-amz-content-sha256 must be the body's SHA-256 → else 400 XAmzContentSHA256Mismatch
 * The canonical URI is the decoded path re-encoded once per RFC 3986 (what S3 and aws4fetch do),
 * so `%20` and a literal `!` in the path sign the same as their canonical forms.
 *
 * V2 (`Authorization: AWS AK:base64(HMAC-SHA1(secret, StringToSign))`), implemented here after
 * the published algorithm (docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html;
 * there is no maintained JS library): unknown key → 403 InvalidAccessKeyId; no parseable Date or
 * x-amz-date → 403 AccessDenied; skew → 403 RequestTimeTooSkewed; mismatch → 403
 * SignatureDoesNotMatch.
 *
 * No Authorization header → 403 AccessDenied (presigned URLs are not supported).
 */
import { createHash, createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import { parseAmzDate, parseV4Components, queryPairs, safeEqual, SHA256_HEX_RE } from './auth-common.ts'
import { ApiError, type AuthOptions, type AuthResult, type ReceivedRequest } from './types.ts'

// The smithy packages are loaded through require (their CommonJS builds): under vitest's
// globalSetup, Vite would resolve their "module" builds, whose re-exports it does not link
// correctly (`Hash` came out undefined).
const require = createRequire(import.meta.url)
const { Hash } = require('@smithy/hash-node') as typeof import('@smithy/hash-node')
const { HttpRequest } = require('@smithy/protocol-http') as typeof import('@smithy/protocol-http')
const { SignatureV4 } = require('@smithy/signature-v4') as typeof import('@smithy/signature-v4')
type HttpRequest = import('@smithy/protocol-http').HttpRequest

/** Sub-resources that V2 signs (aws-sdk-js v2 `lib/signers/s3.js`; the CTYun SDK has the same). */
export const V2_SUBRESOURCES = [
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy',
  'requestPayment', 'restore', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
  'versions', 'website',
  'response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding',
]

/** RFC 3986 encoding of everything but unreserved characters and '/'. */
export function s3CanonicalPath(decodedPath: string): string {
  return encodeURIComponent(decodedPath)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/')
}

const denied = (message: string, fields?: Array<[string, string]>) => new ApiError(403, 'AccessDenied', message, fields ? { fields } : {})
const malformedAuth = (message: string, fields?: Array<[string, string]>) =>
  new ApiError(400, 'AuthorizationHeaderMalformed', message, fields ? { fields } : {})
const skewed = (requestTime: string, now: number, maxSkewMs: number) =>
  new ApiError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
    fields: [
      ['RequestTime', requestTime],
      ['ServerTime', new Date(now).toISOString()],
      ['MaxAllowedSkewMilliseconds', String(maxSkewMs)],
    ],
  })
const unknownKey = (ak: string) =>
  new ApiError(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { fields: [['AWSAccessKeyId', ak]] })

export async function verifyS3(req: ReceivedRequest, opts: AuthOptions): Promise<AuthResult> {
  const auth = req.headers.authorization
  if (auth === undefined || auth === '') {
    return { ok: false, scheme: 'none', accessKey: null, error: denied('Access Denied') }
  }
  if (auth.startsWith('AWS4-HMAC-SHA256 ')) return verifyV4(req, auth, opts)
  if (auth.startsWith('AWS ')) return verifyV2(req, auth, opts)
  return {
    ok: false,
    scheme: 'none',
    accessKey: null,
    error: new ApiError(400, 'InvalidArgument', 'Unsupported Authorization Type', { fields: [['ArgumentName', 'Authorization'], ['ArgumentValue', auth]] }),
  }
}

// -------------------------------------------------------------------------------------- V4

/** SignatureV4 that keeps the canonical request and string to sign it computed (for errors). */
class RecordingSigner extends SignatureV4 {
  canonicalRequest = ''
  override createCanonicalRequest(request: HttpRequest, canonicalHeaders: Record<string, string>, payloadHash: string): string {
    this.canonicalRequest = super.createCanonicalRequest(request, canonicalHeaders, payloadHash)
    return this.canonicalRequest
  }
}

export interface V4Authorization {
  accessKey: string
  date: string
  region: string
  service: string
  terminator: string
  signedHeaders: string[]
  signature: string
}

/** Parses an `AWS4-HMAC-SHA256 ...` header; undefined when malformed. */
export function parseV4Authorization(header: string): V4Authorization | undefined {
  const v4 = parseV4Components(header.slice('AWS4-HMAC-SHA256 '.length), { required: ['Credential', 'SignedHeaders', 'Signature'] })
  if (!v4) return undefined
  const signedHeaders = v4.parts.get('SignedHeaders')!.split(';')
  if (signedHeaders.some((h) => h === '' || h !== h.toLowerCase())) return undefined
  const [accessKey, date, region, service, terminator] = v4.scope as [string, string, string, string, string]
  return { accessKey, date, region, service, terminator, signedHeaders, signature: v4.signature }
}

async function verifyV4(req: ReceivedRequest, header: string, opts: AuthOptions): Promise<AuthResult> {
  const scheme = 'AWS4-HMAC-SHA256' as const
  const a = parseV4Authorization(header)
  if (!a) {
    return { ok: false, scheme, accessKey: null, error: malformedAuth('The authorization header is malformed; the Credential, SignedHeaders and Signature components are required.') }
  }
  const fail = (error: ApiError): AuthResult => ({ ok: false, scheme, accessKey: a.accessKey, region: a.region, error })
  if (a.service !== 's3') return fail(malformedAuth(`The authorization header is malformed; incorrect service "${a.service}". This endpoint belongs to "s3".`))
  if (a.terminator !== 'aws4_request') return fail(malformedAuth(`The authorization header is malformed; incorrect terminal "${a.terminator}". This endpoint uses "aws4_request".`))
  const secret = opts.credentials.get(a.accessKey)
  if (secret === undefined) return fail(unknownKey(a.accessKey))

  const amzDate = req.headers['x-amz-date']
  const t = amzDate === undefined ? NaN : parseAmzDate(amzDate)
  if (Number.isNaN(t)) return fail(denied('AWS authentication requires a valid Date or x-amz-date header'))
  if (a.date !== amzDate!.slice(0, 8)) {
    return fail(malformedAuth(`The authorization header is malformed; Invalid credential date "${a.date}". This date is not the same as X-Amz-Date: "${amzDate!.slice(0, 8)}".`))
  }
  const now = opts.now()
  if (Math.abs(now - t) > opts.maxSkewMs) return fail(skewed(amzDate!, now, opts.maxSkewMs))

  const payloadHash = req.headers['x-amz-content-sha256']
  if (payloadHash === undefined) return fail(new ApiError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'))
  if (payloadHash.startsWith('STREAMING-')) return fail(new ApiError(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented (the emulator does not take streaming payloads)', { fields: [['Header', 'x-amz-content-sha256']] }))
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && !SHA256_HEX_RE.test(payloadHash)) {
    return fail(new ApiError(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.', {
      fields: [['ArgumentName', 'x-amz-content-sha256'], ['ArgumentValue', payloadHash]],
    }))
  }

  const signedSet = new Set(a.signedHeaders)
  if (!signedSet.has('host')) return fail(denied('Host header is not signed'))
  const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && !signedSet.has(h)).sort()
  if (unsigned.length > 0) {
    return fail(denied('There were headers present in the request which were not signed', [['HeadersNotSigned', unsigned.join(', ')]]))
  }

  const headers: Record<string, string> = {}
  for (const h of a.signedHeaders) {
    const v = req.headers[h]
    if (v !== undefined) headers[h] = v
  }
  const query: Record<string, string | string[]> = {}
  let decodedPath: string
  try {
    for (const [k, v] of queryPairs(req.rawQuery)) {
      const prev = query[k]
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
    }
    decodedPath = decodeURIComponent(req.rawPath)
  } catch {
    return fail(new ApiError(400, 'InvalidURI', "Couldn't parse the specified URI."))
  }
  const signer = new RecordingSigner({
    credentials: { accessKeyId: a.accessKey, secretAccessKey: secret },
    region: a.region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  })
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: headers.host ?? '',
    path: s3CanonicalPath(decodedPath),
    query,
    headers,
  })
  const signed = await signer.sign(request, { signingDate: new Date(t), signableHeaders: signedSet, signingRegion: a.region, signingService: 's3' })
  const expected = /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization ?? '')?.[1] ?? ''
  const expectedHeaders = /SignedHeaders=([^,]*),/.exec(signed.headers.authorization ?? '')?.[1] ?? ''
  if (!safeEqual(expected, a.signature) || expectedHeaders !== a.signedHeaders.join(';')) {
    const canonical = signer.canonicalRequest
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate!, `${a.date}/${a.region}/s3/aws4_request`, createHash('sha256').update(canonical).digest('hex')].join('\n')
    return fail(new ApiError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      fields: [
        ['AWSAccessKeyId', a.accessKey],
        ['StringToSign', stringToSign],
        ['SignatureProvided', a.signature],
        ['CanonicalRequest', canonical],
      ],
    }))
  }

  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    const computed = createHash('sha256').update(req.body).digest('hex')
    if (computed !== payloadHash) {
      return fail(new ApiError(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        fields: [['ClientComputedContentSHA256', payloadHash], ['S3ComputedContentSHA256', computed]],
      }))
    }
  }
  return { ok: true, scheme, accessKey: a.accessKey, region: a.region }
}

// -------------------------------------------------------------------------------------- V2

/**
 * The V2 StringToSign of a request as received:
 *   VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
 * Date is empty when x-amz-date is sent (x-amz-date is then one of the amz headers). Amz headers:
 * lower-case names, values with folded whitespace collapsed, repeated values joined by ',',
 * sorted by name, each "name:value\n". Resource: "/" + bucket when virtual-hosted, then the
 * undecoded path, then the allow-listed sub-resources ("?" + sorted k[=v] joined by '&', values
 * decoded).
 */
export function sigV2StringToSign(req: ReceivedRequest): string {
  const h = req.headers
  const amz = Object.keys(h)
    .filter((n) => n.startsWith('x-amz-'))
    .sort()
    .map((n) => `${n}:${h[n]!.replace(/\s*\r?\n\s*/g, ' ').trim()}\n`)
    .join('')
  let resource = (req.virtualHosted && req.bucket !== undefined ? `/${req.bucket}` : '') + req.rawPath
  const sub = new Map<string, string>()
  for (const [k, v] of queryPairs(req.rawQuery)) if (V2_SUBRESOURCES.includes(k) && !sub.has(k)) sub.set(k, v)
  if (sub.size > 0) {
    resource += '?' + [...sub.keys()].sort().map((k) => (sub.get(k) === '' ? k : `${k}=${sub.get(k)}`)).join('&')
  }
  const date = h['x-amz-date'] !== undefined ? '' : (h.date ?? '')
  return `${req.method}\n${h['content-md5'] ?? ''}\n${h['content-type'] ?? ''}\n${date}\n${amz}${resource}`
}

export function sigV2Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64')
}

async function verifyV2(req: ReceivedRequest, header: string, opts: AuthOptions): Promise<AuthResult> {
  const scheme = 'AWS' as const
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(header)
  if (!m) return { ok: false, scheme, accessKey: null, error: new ApiError(400, 'InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature', { fields: [['ArgumentName', 'Authorization'], ['ArgumentValue', header]] }) }
  const accessKey = m[1]!
  const fail = (error: ApiError): AuthResult => ({ ok: false, scheme, accessKey, error })
  const secret = opts.credentials.get(accessKey)
  if (secret === undefined) return fail(unknownKey(accessKey))
  const dateHeader = req.headers['x-amz-date'] ?? req.headers.date
  const t = dateHeader === undefined ? NaN : Date.parse(dateHeader)
  if (Number.isNaN(t)) return fail(denied('AWS authentication requires a valid Date or x-amz-date header'))
  const now = opts.now()
  if (Math.abs(now - t) > opts.maxSkewMs) return fail(skewed(dateHeader!, now, opts.maxSkewMs))
  let stringToSign: string
  try {
    stringToSign = sigV2StringToSign(req)
  } catch {
    return fail(new ApiError(400, 'InvalidURI', "Couldn't parse the specified URI."))
  }
  const expected = sigV2Signature(secret, stringToSign)
  if (!safeEqual(expected, m[2]!)) {
    return fail(new ApiError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      fields: [
        ['AWSAccessKeyId', accessKey],
        ['StringToSign', stringToSign],
        ['SignatureProvided', m[2]!],
        ['StringToSignBytes', [...Buffer.from(stringToSign, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ')],
      ],
    }))
  }
  return { ok: true, scheme, accessKey }
}
