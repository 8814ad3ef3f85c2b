/**
 * Shared helpers of the object-store emulator self-tests (Node side, node:test).
 *
 * The *.node-test.ts files next to this one run under Node's own test runner (not vitest):
 *
 *   node --test --test-concurrency=1 'test/emulators/objectstore/selftest/*.node-test.ts'
 *
 * (`npm test` runs them after vitest.) Every file starts its own S3 and OSS emulator instances on
 * 127.0.0.1 with port 0 (a free port) in `before` and closes them in `after`, so they never clash
 * with a vitest run's instances on 9000/9100. Nothing here connects anywhere but 127.0.0.1;
 * virtual-hosted requests and the upstream vectors send a custom Host header over that connection.
 *
 * Requests are signed by client-side code that does not share the emulator's verification path:
 * S3 V4 with @smithy/signature-v4 (and aws4fetch in auth tests), S3 V2 with the small
 * implementation below (checked against the AWS vectors in the auth tests), OSS V1/V4 with
 * ali-oss's signUtils (checked against the §3 vectors).
 */
import { createHash, createHmac } from 'node:crypto'
import { Hash } from '@smithy/hash-node'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { XMLParser } from 'fast-xml-parser'
import { signUtils } from '../auth-oss.ts'
import { startObjectStoreEmulator, type ObjectStoreEmulator, type ObjectStoreEmulatorOptions } from '../server.ts'
import { getObjectStoreBucket, type ObjectStoreObject } from '../../control.ts'
import { rawHttp, uniqueName, useServer } from '../../selftest-harness.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from '../../../fixtures/objectstore-credentials.ts'

export const HOST = '127.0.0.1'
export const S3_AK = 's3-test-ak'
export const OSS_AK = 'oss-test-ak'
export type DialectId = 's3' | 'oss'
export const DIALECTS: DialectId[] = ['s3', 'oss']

export type EmulatorOverrides = Omit<ObjectStoreEmulatorOptions, 'dialect' | 'host' | 'port' | 'credentials'> & { credentials?: Record<string, string> }

/** Starts an emulator of each dialect on 127.0.0.1:0 before the file's tests; closes them after. */
export function useEmulators(overrides: Partial<Record<DialectId, EmulatorOverrides>> = {}): Record<DialectId, () => ObjectStoreEmulator> {
  return {
    s3: useServer('the s3 emulator', () => startObjectStoreEmulator({ credentials: S3_CREDENTIALS, ...overrides.s3, dialect: 's3', host: HOST, port: 0 })),
    oss: useServer('the oss emulator', () => startObjectStoreEmulator({ credentials: OSS_CREDENTIALS, ...overrides.oss, dialect: 'oss', host: HOST, port: 0 })),
  }
}

// ------------------------------------------------------------------------------------ encoding

/** RFC 3986 encoding, '/' kept (S3 and OSS object paths). */
export const encodePath = (s: string): string =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/')
export const encodeQuery = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

export const md5b64 = (b: string | Uint8Array): string => createHash('md5').update(b).digest('base64')
export const md5hex = (b: string | Uint8Array): string => createHash('md5').update(b).digest('hex')
export const sha256hex = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex')
export const amzDate = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')

// ---------------------------------------------------------------------------------- requests

export type Signing = 'v4' | 'v2' | 'v1' | 'none'

export interface SendOpts {
  method?: string
  bucket?: string
  key?: string
  /** Query pairs in order; a null value is a valueless sub-resource (`?delete`). */
  query?: Array<[string, string | null]>
  headers?: Record<string, string>
  body?: string | Buffer
  /** s3: v4 (default) | v2; oss: v4 (default) | v1; or none. */
  sign?: Signing
  ak?: string
  sk?: string
  /** Signing time (default now). */
  date?: Date
  /** Virtual-hosted: Host `<bucket><suffix>:<port>` (suffix default .s3.local / .oss.local). */
  virtual?: boolean | string
  /** S3 V4: sign the payload hash instead of UNSIGNED-PAYLOAD. */
  signedPayload?: boolean
  /** S3 V4 / OSS V4 region (default us-east-1 / cn-hangzhou). */
  region?: string
  /** OSS V4: headers to sign in addition (AdditionalHeaders). */
  additionalHeaders?: string[]
  /** Replace the computed Authorization header. */
  authorization?: string
  /** Change headers after signing (tampering). */
  afterSign?: (h: Record<string, string>) => void
  /** Raw path+query to send instead of the one built from bucket/key/query (signing still uses the built one). */
  rawUrl?: string
}

export interface Res {
  status: number
  headers: Record<string, string>
  body: Buffer
  text: string
  /** The XML body parsed (fast-xml-parser, values as strings), or undefined. */
  xml: any
}

const ARRAYS = ['DeleteResult.Deleted', 'DeleteResult.Error', 'Tagging.TagSet.Tag', 'AccessControlPolicy.AccessControlList.Grant', 'ListBucketResult.Contents', 'ListBucketResult.CommonPrefixes']
const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, isArray: (_n, jpath) => ARRAYS.includes(String(jpath)) })

/** Sends a raw request to 127.0.0.1:port. */
export async function rawSend(port: number, method: string, path: string, headers: Record<string, string>, body: string | Buffer = ''): Promise<Res> {
  const h: Record<string, string> = { ...headers }
  const has = (name: string) => Object.keys(h).some((k) => k.toLowerCase() === name)
  if (!has('content-length') && !has('transfer-encoding') && !['GET', 'HEAD'].includes(method)) h['Content-Length'] = String(Buffer.byteLength(body))
  const r = await rawHttp({ host: HOST, port, method, path, headers: h, setHost: false, body: ['GET', 'HEAD'].includes(method) && body === '' ? undefined : body })
  const text = r.body.toString('utf8')
  let xml: any
  try {
    xml = text.trim().startsWith('<') ? xmlParser.parse(text) : undefined
  } catch {
    xml = undefined
  }
  const hs: Record<string, string> = {}
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) hs[k] = Array.isArray(v) ? v.join(',') : v
  return { status: r.status, headers: hs, body: r.body, text, xml }
}

/** Signs and sends a provider request to the emulator `emu`. */
export async function send(emu: ObjectStoreEmulator, o: SendOpts = {}): Promise<Res> {
  const d: DialectId = emu.dialect.id
  const method = o.method ?? 'GET'
  const body = o.body ?? ''
  const suffix = typeof o.virtual === 'string' ? o.virtual : d === 's3' ? '.s3.local' : '.oss.local'
  const virtual = o.virtual !== undefined && o.virtual !== false
  const host = virtual ? `${o.bucket}${suffix}:${emu.port}` : `${HOST}:${emu.port}`
  const keyPath = o.key === undefined ? '' : encodePath(o.key)
  const path = virtual ? `/${keyPath}` : o.bucket === undefined ? '/' : `/${encodeQuery(o.bucket)}${o.key === undefined ? '' : `/${keyPath}`}`
  const query = o.query ?? []
  const qs = query.map(([k, v]) => (v === null ? encodeQuery(k) : `${encodeQuery(k)}=${encodeQuery(v)}`)).join('&')
  const headers: Record<string, string> = { host, ...lower(o.headers ?? {}) }
  const date = o.date ?? new Date()
  const ak = o.ak ?? (d === 's3' ? S3_AK : OSS_AK)
  const sk = o.sk ?? (d === 's3' ? S3_CREDENTIALS[ak] : OSS_CREDENTIALS[ak]) ?? 'unknown-secret'
  const sign = o.sign ?? 'v4'
  if (sign !== 'none') {
    if (d === 's3' && sign === 'v4') await signS3V4(headers, { method, path, query, body, ak, sk, date, region: o.region ?? 'us-east-1', signedPayload: o.signedPayload === true })
    else if (d === 's3' && sign === 'v2') signS3V2(headers, { method, path, query, ak, sk, date, virtualBucket: virtual ? o.bucket : undefined })
    else if (d === 'oss' && sign === 'v1') signOssV1(headers, { method, bucket: o.bucket, key: o.key, query, ak, sk, date })
    else if (d === 'oss' && sign === 'v4') signOssV4(headers, { method, bucket: o.bucket, key: o.key, query, ak, sk, date, region: o.region ?? 'cn-hangzhou', additionalHeaders: o.additionalHeaders })
    else throw new Error(`no ${sign} signing for ${d}`)
  }
  if (o.authorization !== undefined) headers.authorization = o.authorization
  o.afterSign?.(headers)
  return rawSend(emu.port, method, o.rawUrl ?? (qs === '' ? path : `${path}?${qs}`), headers, body)
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))
}

/** S3 SigV4 with @smithy/signature-v4 (adds x-amz-date, x-amz-content-sha256, authorization). */
export async function signS3V4(
  headers: Record<string, string>,
  o: { method: string; path: string; query: Array<[string, string | null]>; body: string | Buffer; ak: string; sk: string; date: Date; region: string; signedPayload: boolean },
): Promise<void> {
  headers['x-amz-content-sha256'] = o.signedPayload ? sha256hex(o.body) : 'UNSIGNED-PAYLOAD'
  const query: Record<string, string> = {}
  for (const [k, v] of o.query) query[k] = v ?? ''
  const signer = new SignatureV4({ credentials: { accessKeyId: o.ak, secretAccessKey: o.sk }, region: o.region, service: 's3', sha256: Hash.bind(null, 'sha256'), uriEscapePath: false })
  const signed = await signer.sign(new HttpRequest({ method: o.method, protocol: 'http:', hostname: headers.host!, path: o.path, query, headers: { ...headers } }), { signingDate: o.date })
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v
}

/** S3 SigV2 (client side, from the published algorithm; Date header slot, no x-amz-date). */
export function s3V2StringToSign(o: { method: string; path: string; query: Array<[string, string | null]>; headers: Record<string, string>; virtualBucket?: string | undefined }): string {
  const SUB = new Set(['acl', 'delete', 'restore', 'tagging', 'versionId', 'versioning', 'versions', 'uploads', 'uploadId', 'partNumber', 'location', 'logging', 'lifecycle', 'policy', 'cors', 'website', 'notification', 'requestPayment', 'torrent'])
  const amz = Object.keys(o.headers)
    .filter((k) => k.startsWith('x-amz-'))
    .sort()
    .map((k) => `${k}:${o.headers[k]!.trim()}\n`)
    .join('')
  const sub = o.query.filter(([k]) => SUB.has(k) || k.startsWith('response-')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const resource = (o.virtualBucket !== undefined ? `/${o.virtualBucket}` : '') + o.path + (sub.length ? '?' + sub.map(([k, v]) => (v === null || v === '' ? k : `${k}=${v}`)).join('&') : '')
  const date = o.headers['x-amz-date'] !== undefined ? '' : (o.headers.date ?? '')
  return [o.method, o.headers['content-md5'] ?? '', o.headers['content-type'] ?? '', date].join('\n') + '\n' + amz + resource
}

export function signS3V2(headers: Record<string, string>, o: { method: string; path: string; query: Array<[string, string | null]>; ak: string; sk: string; date: Date; virtualBucket?: string | undefined }): void {
  headers.date = o.date.toUTCString()
  const sts = s3V2StringToSign({ ...o, headers })
  headers.authorization = `AWS ${o.ak}:${createHmac('sha1', o.sk).update(sts, 'utf8').digest('base64')}`
}

/** OSS V1 with ali-oss signUtils (x-oss-date in the Date slot, like ali-oss). */
export function signOssV1(headers: Record<string, string>, o: { method: string; bucket?: string | undefined; key?: string | undefined; query: Array<[string, string | null]>; ak: string; sk: string; date: Date }): void {
  headers['x-oss-date'] = o.date.toUTCString()
  const SUB = ['acl', 'delete', 'restore', 'tagging', 'versionId', 'versioning', 'versions', 'uploads', 'uploadId', 'partNumber', 'symlink', 'objectMeta', 'continuation-token']
  const parameters: Record<string, string | null> = {}
  for (const [k, v] of o.query) if (SUB.includes(k) || k.startsWith('x-oss-') || k.startsWith('response-')) parameters[k] = v
  const resource = o.bucket === undefined ? '/' : `/${o.bucket}/${o.key ?? ''}`
  const canonical = signUtils.buildCanonicalString(o.method, resource, { headers, parameters })
  headers.authorization = signUtils.authorization(o.ak, o.sk, canonical)
}

/** OSS V4 with ali-oss signUtils (x-oss-date ISO, x-oss-content-sha256 UNSIGNED-PAYLOAD). */
export function signOssV4(
  headers: Record<string, string>,
  o: {
    method: string
    bucket?: string | undefined
    key?: string | undefined
    query: Array<[string, string | null]>
    ak: string
    sk: string
    date: Date
    region: string
    additionalHeaders?: string[] | undefined
  },
): void {
  headers['x-oss-date'] = amzDate(o.date)
  headers['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD'
  const queries: Record<string, string | null> = {}
  for (const [k, v] of o.query) queries[k] = v === '' ? null : v
  headers.authorization = signUtils.authorizationV4(o.ak, o.sk, o.region, o.method, { headers, queries }, o.bucket, o.key, o.additionalHeaders)
}

// ---------------------------------------------------------------------------------- shortcuts

/** A bucket name not used before in this process. */
export const newBucket = uniqueName

export async function objectsByKey(emu: ObjectStoreEmulator, bucket: string): Promise<Map<string, ObjectStoreObject>> {
  return new Map((await getObjectStoreBucket(emu.url, bucket)).objects.map((o) => [o.key, o]))
}

/** The XML body of a DeleteObjects request for these keys. */
export function deleteBody(objects: Array<string | { key: string; versionId?: string }>, quiet = false, escape: (k: string) => string = escapeForXml): string {
  const items = objects
    .map((o) => (typeof o === 'string' ? { key: o } : o))
    .map((o) => `<Object><Key>${escape(o.key)}</Key>${o.versionId === undefined ? '' : `<VersionId>${o.versionId}</VersionId>`}</Object>`)
    .join('')
  return `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>${quiet}</Quiet>${items}</Delete>`
}

/** XML escaping for keys: & < > " ' as entities, CR and other control characters as &#xN;. */
export function escapeForXml(s: string): string {
  return s.replace(/[&<>"'\u0000-\u0008\u000B-\u001F]/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  )
}

/** POST /<bucket>?delete with a correct Content-MD5 (unless overridden; null = none). */
export function deleteObjects(emu: ObjectStoreEmulator, bucket: string, body: string, o: SendOpts & { contentMd5?: string | null } = {}): Promise<Res> {
  const headers: Record<string, string> = { 'content-type': 'application/xml', ...o.headers }
  if (o.contentMd5 !== null) headers['content-md5'] = o.contentMd5 ?? md5b64(body)
  return send(emu, { ...o, method: 'POST', bucket, query: [['delete', null], ...(o.query ?? [])], body, headers })
}

/** The prefix of the dialect's headers. */
export const px = (emu: ObjectStoreEmulator): string => emu.dialect.prefix
/** An archive storage class of the dialect, and a non-archive non-default one. */
export const ARCHIVE_CLASS: Record<DialectId, string> = { s3: 'GLACIER', oss: 'Archive' }
export const DEEP_CLASS: Record<DialectId, string> = { s3: 'DEEP_ARCHIVE', oss: 'ColdArchive' }
export const IA_CLASS: Record<DialectId, string> = { s3: 'STANDARD_IA', oss: 'IA' }
export const STANDARD_CLASS: Record<DialectId, string> = { s3: 'STANDARD', oss: 'Standard' }
