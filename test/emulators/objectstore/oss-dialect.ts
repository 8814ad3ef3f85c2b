/**
 * The Aliyun OSS dialect: x-oss-* headers, OSS V1/V4 signatures, OSS error documents
 * `<Error><Code/><Message/><RequestId/><HostId/>…[<EC/>]</Error>` with x-oss-request-id (and
 * x-oss-ec when the EC is known: the emulator only sends EC values the OSS docs list).
 */
import { verifyOss } from './auth-oss.ts'
import { codeForStatus, commonErrors, COMMON_MESSAGES } from './dialect-common.ts'
import { ApiError, type Dialect } from './types.ts'
import { buildXml, el, node } from './xml.ts'

const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive']
const ARCHIVE = ['Archive', 'ColdArchive', 'DeepColdArchive']
const ACLS = ['private', 'public-read', 'public-read-write', 'default']
const TIERS = ['Expedited', 'Standard', 'Bulk']

const MESSAGES: Record<string, string> = {
  ...COMMON_MESSAGES,
  AccessDenied: 'You have no right to access this object.',
  NoSuchBucket: 'The specified bucket does not exist.',
  OperationAborted: 'A conflicting conditional operation is currently in progress against this resource.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold.',
  InvalidArgument: 'Invalid argument.',
  NotImplemented: 'The emulator does not implement this request.',
}

// OSS tag rules (OSS docs; ali-oss checkObjectTag): letters, digits, spaces and + - = . _ : /
const TAG_CHARS = /^[A-Za-z0-9 +\-=._:/]*$/

export const ossDialect: Dialect = {
  id: 'oss',
  label: 'OSS',
  prefix: 'x-oss-',
  aclHeader: 'x-oss-object-acl',
  serverHeader: 'AliyunOSS',
  xmlns: undefined,
  storageClasses: STORAGE_CLASSES,
  defaultStorageClass: 'Standard',
  archiveClasses: ARCHIVE,
  acls: ACLS,
  defaultAcl: 'default',
  defaultContentType: 'application/octet-stream',
  etag: (md5) => `"${md5.toUpperCase()}"`,
  authenticate: verifyOss,
  errorXml(err, requestId, hostId) {
    const tail = err.ec === undefined ? [] : [el('EC', err.ec)]
    return buildXml(node('Error', [el('Code', err.code), el('Message', err.message), el('RequestId', requestId), el('HostId', hostId), ...err.fields.map(([k, v]) => el(k, v)), ...tail]))
  },
  idHeaders: (requestId) => ({ 'x-oss-request-id': requestId }),
  errorHeaders: (err): Record<string, string> => (err.ec === undefined ? {} : { 'x-oss-ec': err.ec }),
  codeForStatus: codeForStatus('InvalidArgument'),
  messageFor: (code) => MESSAGES[code] ?? code,
  errors: {
    ...commonErrors(MESSAGES),
    // OSS documents the EC (0016-00000606) but not the <Code>; InvalidDigest is the emulator's choice.
    missingContentMd5: () => new ApiError(400, 'InvalidDigest', 'Missing required header for this request: Content-MD5', { ec: '0016-00000606' }),
    badDigest: (expected, computed) =>
      new ApiError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { fields: [['ExpectedDigest', expected], ['CalculatedDigest', computed]] }),
    invalidStorageClass: (v) => new ApiError(400, 'InvalidArgument', `Invalid storage class: ${v}`, { fields: [['ArgumentName', 'x-oss-storage-class'], ['ArgumentValue', v]] }),
    invalidAcl: (v) => new ApiError(400, 'InvalidArgument', 'no such object access control exists', { fields: [['ArgumentName', 'x-oss-object-acl'], ['ArgumentValue', v]] }),
    restoreNotArchive: () => new ApiError(400, 'OperationNotSupported', 'The operation is not supported for this resource'),
    restoreInProgress: () => new ApiError(409, 'RestoreAlreadyInProgress', 'The restore operation is in progress.'),
    frozen: (cls) => new ApiError(403, 'InvalidObjectState', `The operation is not valid for the object's state (${cls}: restore the object first)`),
    fileAlreadyExists: () => new ApiError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.'),
    malformedXml: () => new ApiError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.'),
    notImplemented: (what) => new ApiError(501, 'NotImplemented', `The emulator does not implement this request (${what}).`),
  },
  // OSS: "if the source and destination are the same object, only the metadata is changed".
  copyInPlaceAllowed: true,
  forbidOverwriteHeader: 'x-oss-forbid-overwrite',
  sendStorageClass: () => true,
  restoreJobElement: 'JobParameters',
  restoreBodyOptional: true,
  checkRestore(days, tier, cls) {
    const max = cls === 'Archive' ? 7 : 365
    if (days < 1 || days > max) return new ApiError(400, 'InvalidArgument', `Days must be between 1 and ${max} for ${cls} objects.`, { fields: [['ArgumentName', 'Days'], ['ArgumentValue', String(days)]] })
    if (tier !== undefined && !TIERS.includes(tier)) return ossDialect.errors.malformedXml()
    if (tier === 'Expedited' && cls === 'DeepColdArchive') {
      return new ApiError(400, 'InvalidArgument', 'Expedited restore is not supported for DeepColdArchive objects.', { fields: [['ArgumentName', 'Tier'], ['ArgumentValue', tier]] })
    }
    return undefined
  },
  checkTags(tags) {
    if (tags.length > 10) return new ApiError(400, 'InvalidTag', 'Object tags cannot be greater than 10.')
    const seen = new Set<string>()
    for (const [k, v] of tags) {
      if (seen.has(k)) return new ApiError(400, 'InvalidTag', 'Cannot provide multiple Tags with the same key.', { fields: [['TagKey', k]] })
      seen.add(k)
      if (Buffer.byteLength(k) < 1 || Buffer.byteLength(k) > 128 || !TAG_CHARS.test(k)) return new ApiError(400, 'InvalidTag', 'The TagKey you have provided is invalid.', { fields: [['TagKey', k]] })
      if (Buffer.byteLength(v) > 256 || !TAG_CHARS.test(v)) return new ApiError(400, 'InvalidTag', 'The TagValue you have provided is invalid.', { fields: [['TagKey', k], ['TagValue', v]] })
    }
    return undefined
  },
  quietSuccessEmptyBody: true,
  supportsEncodingType: true,
  aclDocument: (acl, ownerId) =>
    node('AccessControlPolicy', [node('Owner', [el('ID', ownerId), el('DisplayName', ownerId)]), node('AccessControlList', [el('Grant', acl)])]),
}
