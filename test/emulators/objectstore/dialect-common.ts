/**
 * What the S3 (s3-dialect.ts) and OSS (oss-dialect.ts) dialects have in common: OSS follows S3's
 * error vocabulary closely, so most status → code defaults and several error documents are the
 * same, and where they differ it is mostly in the wording of the messages.
 */
import { ApiError, type DialectErrors } from './types.ts'

/** The error <Code> per status that both services use (400 and the other 4xx differ). */
const STATUS_CODES: Record<number, string> = {
  403: 'AccessDenied',
  404: 'NoSuchKey',
  405: 'MethodNotAllowed',
  409: 'OperationAborted',
  412: 'PreconditionFailed',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'SlowDown',
}

/**
 * The default <Code> of a fault rule's status (rules without `errorCode`): the shared table, else
 * InternalError for 5xx and the dialect's generic client error (`badRequest`) for the rest.
 */
export const codeForStatus =
  (badRequest: string) =>
  (status: number): string =>
    STATUS_CODES[status] ?? (status >= 500 ? 'InternalError' : badRequest)

/** Messages both services word the same way; each dialect adds its own. */
export const COMMON_MESSAGES: Record<string, string> = {
  InternalError: 'We encountered an internal error. Please try again.',
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Service is unable to handle request.',
  NoSuchKey: 'The specified key does not exist.',
  MethodNotAllowed: 'The specified method is not allowed against this resource.',
}

/** The error documents that differ only in their message (taken from the dialect's `messages`). */
export function commonErrors(messages: Record<string, string>): Pick<DialectErrors, 'invalidDigest' | 'noSuchBucket' | 'noSuchKey' | 'noSuchVersion' | 'invalidArgument'> {
  return {
    invalidDigest: () => new ApiError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.'),
    noSuchBucket: (bucket) => new ApiError(404, 'NoSuchBucket', messages.NoSuchBucket!, { fields: [['BucketName', bucket]] }),
    noSuchKey: (key) => new ApiError(404, 'NoSuchKey', messages.NoSuchKey!, { fields: [['Key', key]] }),
    noSuchVersion: (key, versionId) => new ApiError(404, 'NoSuchVersion', 'The specified version does not exist.', { fields: [['Key', key], ['VersionId', versionId]] }),
    invalidArgument: (message, name, value) =>
      new ApiError(400, 'InvalidArgument', message, name === undefined ? {} : { fields: [['ArgumentName', name], ['ArgumentValue', value ?? '']] }),
  }
}
