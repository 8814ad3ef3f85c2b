/**
 * The one shape every HTTP request signer of batchgate has (S3 SigV2/V4, OSS V1/V4): the adapter
 * builds the request, the signer adds its date header(s) and `Authorization` in place.
 */
export interface SigningInput {
  method: string
  /** The URL exactly as it will be sent (path already percent-encoded once). */
  url: URL
  /** Headers to send; the signer adds to them (names are case-insensitive). */
  headers: Headers
  /**
   * The raw (not percent-encoded) bucket and key the request addresses, for signatures whose
   * canonical resource names them (S3 V2, OSS V1/V4). Undefined for service-level requests.
   */
  bucket?: string
  key?: string
}

/** What a signer computed, stage by stage, so tests can compare each stage with known answers. */
export interface SigningStages {
  canonicalRequest?: string
  stringToSign: string
  authorization: string
}

export type RequestSigner = (request: SigningInput, now: Date) => Promise<SigningStages>

export interface AccessKeyCredentials {
  accessKeyId: string
  secretAccessKey: string
}
