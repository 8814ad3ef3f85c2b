/**
 * Types shared by the object-store emulator's core (server.ts) and its dialects.
 */
import type { XmlNode } from './xml.ts'
import type { StoreNames } from './store.ts'

/** A provider error answer: HTTP status + the error document's fields. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  /** Extra elements of the error document (after Message for S3, before EC for OSS). */
  readonly fields: Array<[string, string]>
  /** OSS only: the EC (error detail) code, also sent as x-oss-ec. */
  readonly ec: string | undefined
  /** Extra response headers (e.g. x-amz-delete-marker on a 404). */
  readonly headers: Record<string, string>
  constructor(status: number, code: string, message: string, opts: { fields?: Array<[string, string]>; ec?: string; headers?: Record<string, string> } = {}) {
    super(message)
    this.status = status
    this.code = code
    this.fields = opts.fields ?? []
    this.ec = opts.ec
    this.headers = opts.headers ?? {}
  }
}

/** A request as received, for signature checks. */
export interface ReceivedRequest {
  method: string
  /** Path as received (percent-encoded), without the query. */
  rawPath: string
  /** Query as received, without '?'; '' when none. */
  rawQuery: string
  /** Lower-case names; a repeated header's values joined with ','. Values as Node decodes them (latin1). */
  headers: Record<string, string>
  body: Buffer
  /** Decoded bucket and key the request addresses; undefined for service/bucket-level requests. */
  bucket?: string
  key?: string
  virtualHosted: boolean
}

export type AuthScheme = 'AWS4-HMAC-SHA256' | 'AWS' | 'OSS4-HMAC-SHA256' | 'OSS' | 'none'

export type AuthResult =
  | { ok: true; scheme: AuthScheme; accessKey: string; region?: string }
  | { ok: false; scheme: AuthScheme; accessKey: string | null; region?: string; error: ApiError }

export interface AuthOptions {
  /** Access key → secret. */
  credentials: ReadonlyMap<string, string>
  now: () => number
  /** Largest accepted |request time − now|. */
  maxSkewMs: number
}

/** The decoded query: first value per name (what the services use), in order of appearance. */
export type Query = Map<string, string>

/** Everything that differs between the S3 and OSS flavours of the emulator. */
export interface Dialect extends StoreNames {
  id: 's3' | 'oss'
  /** 'S3' or 'OSS', for messages. */
  label: string
  /** 'x-amz-' or 'x-oss-'. */
  prefix: string
  /** Header carrying a canned ACL on PutObject/CopyObject/PutObjectAcl. */
  aclHeader: string
  serverHeader: string
  /** xmlns of response documents (S3), or undefined. */
  xmlns: string | undefined
  /** The wire ETag (quoted). */
  etag(md5hex: string): string
  authenticate(req: ReceivedRequest, opts: AuthOptions): Promise<AuthResult>
  /** Error document body. */
  errorXml(err: ApiError, requestId: string, hostId: string): string
  /** Headers every answer carries. */
  idHeaders(requestId: string, hostId: string): Record<string, string>
  /** Extra headers of an error answer. */
  errorHeaders(err: ApiError): Record<string, string>
  /** The default error code/message for an HTTP status (fault rules without errorCode). */
  codeForStatus(status: number): string
  /** Message for a code (fault rules without a message). */
  messageFor(code: string): string
  errors: DialectErrors
  /** OSS: a copy onto itself without REPLACE only rewrites metadata; S3: 400 InvalidRequest. */
  copyInPlaceAllowed: boolean
  /** OSS: x-oss-forbid-overwrite (ignored on versioned buckets, as OSS does). */
  forbidOverwriteHeader: string | undefined
  /** Whether HEAD/GET send the storage-class header for this class (S3 omits STANDARD). */
  sendStorageClass(cls: string): boolean
  /** Restore body element holding <Tier>: GlacierJobParameters (S3) / JobParameters (OSS). */
  restoreJobElement: string
  /** Whether a RestoreObject request may come without a body (OSS: Days defaults to 1). */
  restoreBodyOptional: boolean
  /** Checks Days/Tier for an object of class `cls`; returns the error to answer, if any. */
  checkRestore(days: number, tier: string | undefined, cls: string): ApiError | undefined
  /** Checks a tag set; returns the error to answer, if any. */
  checkTags(tags: Array<[string, string]>): ApiError | undefined
  /** Quiet DeleteObjects with no error: OSS answers no body, S3 an empty DeleteResult. */
  quietSuccessEmptyBody: boolean
  /** DeleteMultipleObjects `encoding-type=url` (OSS). */
  supportsEncodingType: boolean
  /** GetObjectAcl answer. */
  aclDocument(acl: string, ownerId: string): XmlNode
}

export interface DialectErrors {
  /** DeleteObjects without Content-MD5. */
  missingContentMd5(): ApiError
  /** Content-MD5 that is not base64 of 16 bytes. */
  invalidDigest(): ApiError
  /** Content-MD5 that does not match the body. */
  badDigest(expected: string, computed: string): ApiError
  invalidStorageClass(value: string): ApiError
  invalidAcl(value: string): ApiError
  /** RestoreObject on a class that cannot be restored. */
  restoreNotArchive(cls: string): ApiError
  restoreInProgress(): ApiError
  /** GET/copy of an archived object that is not restored. */
  frozen(cls: string): ApiError
  /** x-oss-forbid-overwrite on an existing object (OSS). */
  fileAlreadyExists(): ApiError
  noSuchBucket(bucket: string): ApiError
  noSuchKey(key: string): ApiError
  noSuchVersion(key: string, versionId: string): ApiError
  malformedXml(detail?: string): ApiError
  invalidArgument(message: string, name?: string, value?: string): ApiError
  /** A request the emulator does not implement. */
  notImplemented(what: string): ApiError
}
