import { s3V2Signer } from '../../crypto/aws-sigv2.ts'
import { ctyunRegionFromHost, s3V4Signer } from '../../crypto/aws-sigv4.ts'
import type { ProviderAdapter } from '../../engine/types.ts'
import { createRestAdapter } from '../rest/rest-adapter.ts'
import type { RestDeps } from '../rest/rest-client.ts'
import { encodeKeyPath, encodeRfc3986, restUrlBuilder, usesPathStyle, type RestDialect } from '../rest/rest-dialect.ts'
import type { CtyunAccount, S3Account } from './s3-account.ts'

const S3_CLASSES = { STANDARD: 'STANDARD', IA: 'STANDARD_IA', ARCHIVE_IR: 'GLACIER_IR', ARCHIVE: 'GLACIER', DEEP_ARCHIVE: 'DEEP_ARCHIVE' } as const
// CTYun OOS documents STANDARD, STANDARD_IA and GLACIER only.
const CTYUN_CLASSES = { STANDARD: 'STANDARD', IA: 'STANDARD_IA', ARCHIVE: 'GLACIER' } as const

/** The S3 dialect of the REST core, for `s3` and `ctyun` accounts. */
export function s3Dialect(account: S3Account | CtyunAccount): RestDialect {
  const pathStyle = usesPathStyle(account.endpoint, account.forcePathStyle)
  const creds = { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey }
  const ctyun = account.provider === 'ctyun'
  // CtyunAccount guarantees a region for V4 (given, or in the host).
  const region = account.region ?? (ctyunRegionFromHost(new URL(account.endpoint).host) as string)
  return {
    provider: account.provider,
    label: ctyun ? 'CTYun OOS' : 'S3',
    prefix: 'x-amz-',
    signer: account.signatureVersion === 'v2' ? s3V2Signer(creds, { virtualHosted: !pathStyle }) : s3V4Signer(creds, { region }),
    url: restUrlBuilder(account.endpoint, pathStyle),
    copySource: (bucket, key, versionId) =>
      `/${encodeRfc3986(bucket)}/${encodeKeyPath(key)}${versionId ? `?versionId=${encodeRfc3986(versionId)}` : ''}`,
    storageClasses: ctyun ? CTYUN_CLASSES : S3_CLASSES,
    acls: { private: 'private', 'public-read': 'public-read', 'public-read-write': 'public-read-write' },
    aclHeader: 'x-amz-acl',
    restoreJobElement: 'GlacierJobParameters',
    // S3 conditional writes: the copy fails with 412 when the destination exists.
    noOverwriteHeaders: { 'If-None-Match': '*' },
  }
}

/** S3-compatible stores and CTYun OOS (DeleteObjects, HEAD, PUT copy, ?tagging, ?acl, ?restore, ListObjectsV2, multipart writes). */
export function createS3Adapter(account: S3Account | CtyunAccount, deps: RestDeps): ProviderAdapter {
  return createRestAdapter(s3Dialect(account), deps, account.multipartPartBytes === undefined ? {} : { partBytes: account.multipartPartBytes })
}
