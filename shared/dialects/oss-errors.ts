import type { FieldError } from '../schemas/issues.ts'
import { buildXml } from '../xml/xml.ts'

/**
 * The one table from batchgate's problem codes (workers/api/problem.ts, the job service) to the
 * OSS error codes the dialect answers with; the HTTP status stays the problem's. Codes the dialect
 * raises itself are already OSS codes (MalformedXML, EntityTooLarge, InvalidArgument,
 * NotImplemented, MethodNotAllowed) and pass through unchanged.
 */
export const OSS_ERROR_CODES: Readonly<Record<string, string>> = {
  ValidationFailed: 'InvalidArgument',
  BadRequest: 'InvalidArgument',
  MalformedJson: 'MalformedXML',
  UnsupportedMediaType: 'InvalidArgument',
  // 401 (§2 keeps it): the bearer key is missing or unknown, OSS's word for an unknown key.
  Unauthorized: 'InvalidAccessKeyId',
  AccountForbidden: 'AccessDenied',
  // Under /oss every addressable resource is a job; other paths answer InvalidArgument.
  NotFound: 'NoSuchJob',
  MethodNotAllowed: 'MethodNotAllowed',
  PayloadTooLarge: 'EntityTooLarge',
  NotSupported: 'NotImplemented',
  IdempotencyConflict: 'IdempotencyConflict',
  RequestInProgress: 'RequestInProgress',
  InvalidJobState: 'InvalidJobState',
  AccountMisconfigured: 'InternalError',
  ConfigurationError: 'InternalError',
  InternalError: 'InternalError',
}

export const ossErrorCode = (problemCode: string) => OSS_ERROR_CODES[problemCode] ?? problemCode

/** The message of an OSS error: every named element or parameter, else the title and detail. */
export function ossErrorMessage(title: string, detail: string | undefined, errors: readonly FieldError[] | undefined): string {
  if (errors && errors.length > 0) return errors.map((e) => `${e.path}: ${e.message}`).join('; ')
  return detail ? `${title}: ${detail}` : title
}

/** OSS's error document: `<Error><Code/><Message/><RequestId/></Error>`. */
export const ossErrorXml = (e: { code: string; message: string; requestId: string }) =>
  buildXml({ Error: { Code: e.code, Message: e.message, RequestId: e.requestId } })
