/**
 * The part of an R2 bucket binding the adapter uses. Declared structurally so `shared/` stays free
 * of runtime bindings: a Worker passes its `R2Bucket`, a unit test can pass anything shaped alike.
 */
export interface R2HttpMetadataLike {
  contentType?: string
  contentLanguage?: string
  contentDisposition?: string
  contentEncoding?: string
  cacheControl?: string
  cacheExpiry?: Date
}

export interface R2ObjectLike {
  key: string
  size: number
  etag: string
  uploaded: Date
  storageClass: string
  httpMetadata?: R2HttpMetadataLike
  customMetadata?: Record<string, string>
}

export interface R2ObjectBodyLike extends R2ObjectLike {
  body: ReadableStream
  arrayBuffer(): Promise<ArrayBuffer>
}

export interface R2GetOptionsLike {
  /** Bytes [offset, offset + length) of the object. */
  range?: { offset: number; length: number }
}

export interface R2PutOptionsLike {
  httpMetadata?: R2HttpMetadataLike
  customMetadata?: Record<string, string>
  storageClass?: string
  /** Write only if the condition holds (`etagDoesNotMatch: '*'`: only if no object exists); else put answers null. */
  onlyIf?: { etagDoesNotMatch?: string; etagMatches?: string }
}

export interface R2ListOptionsLike {
  prefix?: string
  cursor?: string
  /** 1 to 1,000 (the default). */
  limit?: number
}

/** A page of `list`: `cursor` is set when `truncated`. */
export type R2ObjectsLike = { objects: R2ObjectLike[] } & ({ truncated: true; cursor: string } | { truncated: false })

export interface R2BucketLike {
  head(key: string): Promise<R2ObjectLike | null>
  get(key: string, options?: R2GetOptionsLike): Promise<R2ObjectBodyLike | R2ObjectLike | null>
  put(key: string, value: ReadableStream | ArrayBuffer | ArrayBufferView | string | null, options?: R2PutOptionsLike): Promise<R2ObjectLike | null>
  delete(keys: string | string[]): Promise<void>
  list(options?: R2ListOptionsLike): Promise<R2ObjectsLike>
}
