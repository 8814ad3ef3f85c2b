/** Unified per-operation error codes of the contract (§5) and the status each result carries. */
export const RESULT_CODE_STATUS = {
  NoSuchKey: 404,
  NoSuchBucket: 404,
  DestinationExists: 409,
  AccessDenied: 403,
  InvalidObjectState: 409,
  InvalidArgument: 400,
  NotSupported: 501,
  Throttled: 429,
  ProviderError: 502,
  Timeout: 504,
} as const

export type ResultCode = keyof typeof RESULT_CODE_STATUS

export const RESULT_CODES = Object.keys(RESULT_CODE_STATUS) as ResultCode[]
