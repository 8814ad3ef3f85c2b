import type { RestDialect } from './rest-dialect.ts'

const unquote = (etag: string | null) => (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '')

/** A HEAD answer → the unified stat shape, with the provider's class mapped back. */
export function statFromHeaders(dialect: RestDialect, headers: Headers): Record<string, unknown> {
  const metaPrefix = `${dialect.prefix}meta-`
  const metadata: Record<string, string> = {}
  headers.forEach((value, name) => {
    if (name.startsWith(metaPrefix)) metadata[name.slice(metaPrefix.length)] = value
  })
  const providerClass = headers.get(`${dialect.prefix}storage-class`)
  const unified = Object.entries(dialect.storageClasses).find(([, v]) => v === providerClass)?.[0]
  const modified = headers.get('Last-Modified')
  const data: Record<string, unknown> = {
    size: Number(headers.get('Content-Length') ?? 0),
    etag: unquote(headers.get('ETag')),
    contentType: headers.get('Content-Type') ?? 'application/octet-stream',
    lastModified: modified ? new Date(modified).toISOString() : null,
    // No storage-class header means the default class on both S3 and OSS.
    storageClass: providerClass === null ? 'STANDARD' : (unified ?? providerClass),
    metadata,
  }
  const version = headers.get(`${dialect.prefix}version-id`)
  if (version && version !== 'null') data.versionId = version
  const restore = headers.get(`${dialect.prefix}restore`)
  if (restore) data.restoreStatus = /ongoing-request="true"/.test(restore) ? 'restoring' : 'restored'
  return data
}
