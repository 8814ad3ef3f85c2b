import { ossV1Signer } from '../../crypto/oss-v1.ts'
import { ossRegionFromEndpoint, ossV4Signer } from '../../crypto/oss-v4.ts'
import type { ProviderAdapter } from '../../engine/types.ts'
import { createRestAdapter } from '../rest/rest-adapter.ts'
import type { RestDeps } from '../rest/rest-client.ts'
import { restUrlBuilder, usesPathStyle, type RestDialect } from '../rest/rest-dialect.ts'
import type { OssAccount } from './oss-account.ts'

/**
 * Unified classes → OSS's by retrieval time: Archive has real-time access (like Glacier IR),
 * ColdArchive restores in hours (like Glacier), DeepColdArchive in about 12 h (like Deep Archive).
 */
const OSS_CLASSES = { STANDARD: 'Standard', IA: 'IA', ARCHIVE_IR: 'Archive', ARCHIVE: 'ColdArchive', DEEP_ARCHIVE: 'DeepColdArchive' } as const

/** The OSS dialect of the REST core. */
export function ossDialect(account: OssAccount): RestDialect {
  const pathStyle = usesPathStyle(account.endpoint, account.forcePathStyle)
  const creds = { accessKeyId: account.accessKeyId, secretAccessKey: account.accessKeySecret }
  const region = account.region ?? (ossRegionFromEndpoint(new URL(account.endpoint).host) as string)
  return {
    provider: 'oss',
    label: 'OSS',
    prefix: 'x-oss-',
    signer: account.signatureVersion === 'v1' ? ossV1Signer(creds) : ossV4Signer(creds, { region }),
    url: restUrlBuilder(account.endpoint, pathStyle),
    // ali-oss encodes the whole key, '/' included, in the copy source.
    copySource: (bucket, key, versionId) => `/${bucket}/${encodeURIComponent(key)}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`,
    storageClasses: OSS_CLASSES,
    acls: { private: 'private', 'public-read': 'public-read', 'public-read-write': 'public-read-write', default: 'default' },
    aclHeader: 'x-oss-object-acl',
    restoreJobElement: 'JobParameters',
    noOverwriteHeaders: { 'x-oss-forbid-overwrite': 'true' },
    deleteEncodingType: 'url',
    listTokenEncoded: true,
  }
}

/** Aliyun OSS (DeleteMultipleObjects with encoding-type=url, HEAD, copy, ?tagging, ?acl, ?restore, ListObjectsV2, multipart writes). */
export function createOssAdapter(account: OssAccount, deps: RestDeps): ProviderAdapter {
  return createRestAdapter(ossDialect(account), deps, account.multipartPartBytes === undefined ? {} : { partBytes: account.multipartPartBytes })
}
