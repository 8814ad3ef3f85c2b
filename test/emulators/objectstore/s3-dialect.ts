/**
 * The S3 dialect (AWS S3, MinIO, CTYun OOS): x-amz-* headers, SigV2/SigV4, S3 error documents
 * `<Error><Code/><Message/>…<RequestId/><HostId/></Error>` with x-amz-request-id/x-amz-id-2.
 */
import { randomBytes } from 'node:crypto'
import { verifyS3 } from './auth-s3.ts'
import { codeForStatus, commonErrors, COMMON_MESSAGES } from './dialect-common.ts'
import { ApiError, type Dialect } from './types.ts'
import { buildXml, el, node, type XmlNode } from './xml.ts'

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/'

const STORAGE_CLASSES = [
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER',
  'DEEP_ARCHIVE', 'GLACIER_IR', 'OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE',
]
const ARCHIVE = ['GLACIER', 'DEEP_ARCHIVE']
const ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control']
const TIERS = ['Expedited', 'Standard', 'Bulk']

const MESSAGES: Record<string, string> = {
  ...COMMON_MESSAGES,
  AccessDenied: 'Access Denied',
  NoSuchBucket: 'The specified bucket does not exist',
  OperationAborted: 'A conflicting conditional operation is currently in progress against this resource. Please try again.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold',
  InvalidRequest: 'Invalid Request',
  NotImplemented: 'A header you provided implies functionality that is not implemented',
}

// S3 tag rules: letters, numbers, spaces (any script) and + - = . _ : / @; key 1..128, value 0..256.
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u

function aclGrants(acl: string, ownerId: string): XmlNode[] {
  const owner = node('Grant', [
    node('Grantee', [el('ID', ownerId), el('DisplayName', 'emulator')], { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'CanonicalUser' }),
    el('Permission', 'FULL_CONTROL'),
  ])
  const group = (uri: string, perm: string) =>
    node('Grant', [node('Grantee', [el('URI', uri)], { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'Group' }), el('Permission', perm)])
  const all = 'http://acs.amazonaws.com/groups/global/AllUsers'
  switch (acl) {
    case 'public-read':
      return [owner, group(all, 'READ')]
    case 'public-read-write':
      return [owner, group(all, 'READ'), group(all, 'WRITE')]
    case 'authenticated-read':
      return [owner, group('http://acs.amazonaws.com/groups/global/AuthenticatedUsers', 'READ')]
    default:
      return [owner]
  }
}

export const s3Dialect: Dialect = {
  id: 's3',
  label: 'S3',
  prefix: 'x-amz-',
  aclHeader: 'x-amz-acl',
  serverHeader: 'AmazonS3',
  xmlns: XMLNS,
  storageClasses: STORAGE_CLASSES,
  defaultStorageClass: 'STANDARD',
  archiveClasses: ARCHIVE,
  acls: ACLS,
  defaultAcl: 'private',
  defaultContentType: 'binary/octet-stream',
  etag: (md5) => `"${md5}"`,
  authenticate: verifyS3,
  errorXml(err, requestId, hostId) {
    return buildXml(node('Error', [el('Code', err.code), el('Message', err.message), ...err.fields.map(([k, v]) => el(k, v)), el('RequestId', requestId), el('HostId', hostId)]))
  },
  idHeaders: (requestId, hostId) => ({ 'x-amz-request-id': requestId, 'x-amz-id-2': hostId }),
  errorHeaders: () => ({}),
  codeForStatus: codeForStatus('InvalidRequest'),
  messageFor: (code) => MESSAGES[code] ?? code,
  errors: {
    ...commonErrors(MESSAGES),
    missingContentMd5: () => new ApiError(400, 'InvalidRequest', 'Missing required header for this request: Content-MD5'),
    badDigest: (expected, computed) =>
      new ApiError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        fields: [['ExpectedDigest', expected], ['CalculatedDigest', computed]],
      }),
    invalidStorageClass: (v) => new ApiError(400, 'InvalidStorageClass', 'The storage class you specified is not valid', { fields: [['StorageClassRequested', v]] }),
    invalidAcl: (v) => new ApiError(400, 'InvalidArgument', '', { fields: [['ArgumentName', 'x-amz-acl'], ['ArgumentValue', v]] }),
    restoreNotArchive: (cls) => new ApiError(403, 'InvalidObjectState', 'The operation is not valid for the object\'s storage class', { fields: [['StorageClass', cls]] }),
    restoreInProgress: () => new ApiError(409, 'RestoreAlreadyInProgress', 'Object restore is already in progress'),
    frozen: (cls) =>
      new ApiError(403, 'InvalidObjectState', `The operation is not valid for the object's storage class (${cls}: restore the object first)`, { fields: [['StorageClass', cls]] }),
    fileAlreadyExists: () => new ApiError(412, 'PreconditionFailed', MESSAGES.PreconditionFailed!),
    malformedXml: () => new ApiError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema'),
    notImplemented: (what) => new ApiError(501, 'NotImplemented', `A header you provided implies functionality that is not implemented (${what})`),
  },
  copyInPlaceAllowed: false,
  forbidOverwriteHeader: undefined,
  sendStorageClass: (cls) => cls !== 'STANDARD',
  restoreJobElement: 'GlacierJobParameters',
  restoreBodyOptional: false,
  checkRestore(days, tier, cls) {
    if (days < 1) return new ApiError(400, 'InvalidArgument', 'Days must be a positive integer', { fields: [['ArgumentName', 'Days'], ['ArgumentValue', String(days)]] })
    if (tier !== undefined && !TIERS.includes(tier)) return s3Dialect.errors.malformedXml()
    if (tier === 'Expedited' && cls === 'DEEP_ARCHIVE') {
      return new ApiError(400, 'InvalidArgument', 'Expedited retrieval is not supported for the DEEP_ARCHIVE storage class', { fields: [['ArgumentName', 'Tier'], ['ArgumentValue', tier]] })
    }
    return undefined
  },
  checkTags(tags) {
    if (tags.length > 10) return new ApiError(400, 'BadRequest', 'Object tags cannot be greater than 10')
    const seen = new Set<string>()
    for (const [k, v] of tags) {
      if (seen.has(k)) return new ApiError(400, 'InvalidTag', 'Cannot provide multiple Tags with the same key', { fields: [['TagKey', k]] })
      seen.add(k)
      if (k.startsWith('aws:')) return new ApiError(400, 'InvalidTag', 'Your TagKey cannot be prefixed with aws:', { fields: [['TagKey', k]] })
      if ([...k].length < 1 || [...k].length > 128 || !TAG_CHARS.test(k)) return new ApiError(400, 'InvalidTag', 'The TagKey you have provided is invalid', { fields: [['TagKey', k]] })
      if ([...v].length > 256 || !TAG_CHARS.test(v)) return new ApiError(400, 'InvalidTag', 'The TagValue you have provided is invalid', { fields: [['TagKey', k], ['TagValue', v]] })
    }
    return undefined
  },
  quietSuccessEmptyBody: false,
  supportsEncodingType: false,
  aclDocument: (acl, ownerId) =>
    node('AccessControlPolicy', [node('Owner', [el('ID', ownerId), el('DisplayName', 'emulator')]), node('AccessControlList', aclGrants(acl, ownerId))], { xmlns: XMLNS }),
}

export const s3HostId = (): string => randomBytes(48).toString('base64')
