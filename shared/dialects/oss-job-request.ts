import { parseWith, type FieldError } from '../schemas/issues.ts'
import { CreateJobRequest } from '../schemas/job.ts'
import { ossFieldError, type TagOrigin } from './oss-job-paths.ts'
import { readXmlDocument, type XmlElement } from './oss-xml-document.ts'

/** CreateJob documents are small (at most 10 tags): 64 KiB leaves room and bounds parsing work. */
export const MAX_CREATE_JOB_XML_BYTES = 64 * 1024

/**
 * OSS's RestoreObject restores for one day when the request names no Days; the JSON schema
 * requires `days`, so the dialect fills it in.
 */
export const DEFAULT_RESTORE_DAYS = 1

export type OssRequestError = {
  code: 'MalformedXML' | 'EntityTooLarge' | 'InvalidArgument' | 'NotImplemented'
  message: string
  errors?: FieldError[]
}

export type ParsedCreateJob =
  | { ok: true; request: CreateJobRequest; fieldError: (e: FieldError) => FieldError }
  | { ok: false; error: OssRequestError }

interface Node {
  el: XmlElement
  /** XPath-like: `Operation/PutObjectTagging/TagSet/Tag[2]` (1-based, as XPath counts). */
  path: string
}
type Allowed = Record<string, 'one' | 'many'>

const OPERATIONS = ['PutObjectTagging', 'AddObjectTagging', 'DeleteObjectTagging', 'PutObjectAcl', 'RestoreObject'] as const

/** The child elements of a container, by name; unknown, repeated and stray text are errors. */
function childrenOf(node: Node, allowed: Allowed, errors: FieldError[], unknown = 'unknown element'): Record<string, Node[]> {
  if (node.el.text.trim() !== '') errors.push({ path: node.path || 'CreateJobRequest', message: 'must hold elements only, not text' })
  const prefix = node.path === '' ? '' : `${node.path}/`
  const out: Record<string, Node[]> = {}
  const seen: Record<string, number> = {}
  for (const el of node.el.children) {
    const n = (seen[el.name] = (seen[el.name] ?? 0) + 1)
    const kind = Object.hasOwn(allowed, el.name) ? allowed[el.name] : undefined
    if (kind === undefined) errors.push({ path: `${prefix}${el.name}`, message: unknown })
    else if (kind === 'one' && n > 1) errors.push({ path: `${prefix}${el.name}[${n}]`, message: 'must appear at most once' })
    else (out[el.name] ??= []).push({ el, path: kind === 'many' ? `${prefix}${el.name}[${n}]` : `${prefix}${el.name}` })
  }
  return out
}

function text(node: Node | undefined, errors: FieldError[]): string | undefined {
  if (!node) return undefined
  if (node.el.children.length > 0) {
    errors.push({ path: node.path, message: 'must be a value, not elements' })
    return undefined
  }
  return node.el.text
}

// XML Schema's boolean and integer lexical forms; surrounding spaces are not part of the value.
function bool(node: Node | undefined, errors: FieldError[]): boolean | undefined {
  const v = text(node, errors)?.trim()
  if (v === undefined) return undefined
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  errors.push({ path: (node as Node).path, message: 'must be true or false' })
  return undefined
}

function int(node: Node | undefined, errors: FieldError[]): number | undefined {
  const v = text(node, errors)?.trim()
  if (v === undefined) return undefined
  if (/^[+-]?[0-9]+$/.test(v)) return Number(v)
  errors.push({ path: (node as Node).path, message: 'must be an integer' })
  return undefined
}

function setIf(target: Record<string, unknown>, key: string, value: unknown) {
  if (value !== undefined) target[key] = value
}

type OperationRead = { op: Record<string, unknown>; tags: TagOrigin[] } | 'AddObjectTagging' | undefined

function readOperation(node: Node, errors: FieldError[]): OperationRead {
  const allowed = Object.fromEntries(OPERATIONS.map((o) => [o, 'one'])) as Allowed
  const found = childrenOf(node, allowed, errors, `unknown operation; OSS batch jobs do ${OPERATIONS.join(', ')}`)
  const names = Object.keys(found)
  if (names.length !== 1) {
    errors.push({ path: node.path, message: `give exactly one of ${OPERATIONS.join(', ')}` })
    return undefined
  }
  const name = names[0] as (typeof OPERATIONS)[number]
  const opNode = (found[name] as Node[])[0] as Node
  switch (name) {
    case 'AddObjectTagging':
      return 'AddObjectTagging'
    case 'DeleteObjectTagging':
      childrenOf(opNode, {}, errors)
      return { op: { op: 'deleteTagging' }, tags: [] }
    case 'PutObjectAcl': {
      const op: Record<string, unknown> = { op: 'putAcl' }
      setIf(op, 'acl', text(childrenOf(opNode, { ObjectAcl: 'one' }, errors).ObjectAcl?.[0], errors))
      return { op, tags: [] }
    }
    case 'RestoreObject': {
      const args = childrenOf(opNode, { Days: 'one', Tier: 'one' }, errors)
      const op: Record<string, unknown> = { op: 'restore', days: DEFAULT_RESTORE_DAYS }
      setIf(op, 'days', int(args.Days?.[0], errors))
      setIf(op, 'tier', text(args.Tier?.[0], errors))
      return { op, tags: [] }
    }
    case 'PutObjectTagging':
      return readTagging(opNode, errors)
  }
}

function readTagging(node: Node, errors: FieldError[]): OperationRead {
  const tagSet = childrenOf(node, { TagSet: 'one' }, errors).TagSet?.[0]
  if (!tagSet) {
    errors.push({ path: `${node.path}/TagSet`, message: 'required' })
    return undefined
  }
  const entries: [string, string][] = []
  const tags: TagOrigin[] = []
  for (const tag of childrenOf(tagSet, { Tag: 'many' }, errors).Tag ?? []) {
    const parts = childrenOf(tag, { Key: 'one', Value: 'one' }, errors)
    const key = text(parts.Key?.[0], errors)
    const value = text(parts.Value?.[0], errors)
    if (!parts.Key) errors.push({ path: `${tag.path}/Key`, message: 'required' })
    if (!parts.Value) errors.push({ path: `${tag.path}/Value`, message: 'required' })
    if (key === undefined || value === undefined) continue
    const earlier = tags.find((t) => t.key === key)
    if (earlier) errors.push({ path: `${tag.path}/Key`, message: `duplicate tag key (also in ${earlier.path})` })
    else {
      entries.push([key, value])
      tags.push({ key, path: tag.path })
    }
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a tag.
  return { op: { op: 'putTagging', tags: Object.fromEntries(entries) }, tags }
}

function readManifest(node: Node, errors: FieldError[]): Record<string, unknown> {
  const parts = childrenOf(node, { Location: 'one', Spec: 'one' }, errors)
  // OSS's own format is the default here; the CSV rules are the same as S3's.
  const manifest: Record<string, unknown> = { format: 'OSS_BatchOperations_CSV_20250611' }
  const location = parts.Location?.[0]
  if (!location) errors.push({ path: `${node.path}/Location`, message: 'required' })
  else {
    const loc = childrenOf(location, { ETag: 'one', Bucket: 'one', Object: 'one', VersionId: 'one' }, errors)
    const out: Record<string, unknown> = {}
    setIf(out, 'bucket', text(loc.Bucket?.[0], errors))
    setIf(out, 'key', text(loc.Object?.[0], errors))
    setIf(out, 'etag', text(loc.ETag?.[0], errors))
    if (loc.VersionId)
      errors.push({ path: `${location.path}/VersionId`, message: 'is not supported: batchgate reads the current version of the manifest object (pin it with ETag)' })
    manifest.location = out
  }
  const spec = parts.Spec?.[0]
  if (spec) {
    const s = childrenOf(spec, { Format: 'one', Fields: 'one' }, errors)
    setIf(manifest, 'format', text(s.Format?.[0], errors))
    const fields = text(s.Fields?.[0], errors)
    if (fields !== undefined) manifest.fields = fields.split(',').map((f) => f.trim())
  }
  return manifest
}

const TOP: Allowed = {
  ConfirmationRequired: 'one', Operation: 'one', Report: 'one', ClientRequestToken: 'one', Manifest: 'one',
  KeyPrefixManifestGenerator: 'one', Description: 'one', Priority: 'one', RoleArn: 'one',
}

/**
 * An OSS `CreateJobRequest` document → the JSON `CreateJobRequest` of §6, validated by the same
 * schema (so limits and rules are the JSON API's), with every error naming the element.
 * `account` comes from the `X-Batchgate-Account` header. `RoleArn` is read and ignored: batchgate
 * acts with the account's own credentials.
 */
export function parseCreateJobXml(bytes: Uint8Array, account: string | undefined): ParsedCreateJob {
  const doc = readXmlDocument(bytes, 'CreateJobRequest', MAX_CREATE_JOB_XML_BYTES)
  if (!doc.ok) return { ok: false, error: doc.error }
  const errors: FieldError[] = []
  const top = childrenOf({ el: doc.root, path: '' }, TOP, errors)
  const one = (name: string) => top[name]?.[0]
  const input: Record<string, unknown> = {}
  setIf(input, 'account', account)
  setIf(input, 'clientRequestToken', text(one('ClientRequestToken'), errors))
  setIf(input, 'confirmationRequired', bool(one('ConfirmationRequired'), errors))
  setIf(input, 'priority', int(one('Priority'), errors))
  setIf(input, 'description', text(one('Description'), errors))
  text(one('RoleArn'), errors)

  let tags: TagOrigin[] = []
  const operationNode = one('Operation')
  if (operationNode) {
    const operation = readOperation(operationNode, errors)
    if (operation === 'AddObjectTagging')
      return {
        ok: false,
        error: {
          code: 'NotImplemented',
          message: 'Operation/AddObjectTagging is not supported: it merges tags into each object\'s existing set, and batchgate jobs only replace whole tag sets. Use PutObjectTagging with the complete set.',
        },
      }
    if (operation) {
      input.operation = operation.op
      tags = operation.tags
    }
  }

  const reportNode = one('Report')
  if (reportNode) {
    const r = childrenOf(reportNode, { Bucket: 'one', Enabled: 'one', Prefix: 'one', ReportScope: 'one' }, errors)
    const report: Record<string, unknown> = {}
    setIf(report, 'enabled', bool(r.Enabled?.[0], errors))
    setIf(report, 'bucket', text(r.Bucket?.[0], errors))
    setIf(report, 'prefix', text(r.Prefix?.[0], errors))
    setIf(report, 'scope', text(r.ReportScope?.[0], errors))
    input.report = report
  }

  const manifestNode = one('Manifest')
  const generatorNode = one('KeyPrefixManifestGenerator')
  if ((manifestNode === undefined) === (generatorNode === undefined))
    errors.push({ path: 'Manifest', message: 'give exactly one of Manifest or KeyPrefixManifestGenerator' })
  if (manifestNode) input.manifest = readManifest(manifestNode, errors)
  if (generatorNode) {
    const g = childrenOf(generatorNode, { SourceBucket: 'one', Prefix: 'one' }, errors)
    const generator: Record<string, unknown> = {}
    setIf(generator, 'sourceBucket', text(g.SourceBucket?.[0], errors))
    setIf(generator, 'prefix', text(g.Prefix?.[0], errors))
    input.manifestGenerator = generator
  }

  const parsed = parseWith(CreateJobRequest, input)
  const fieldError = (e: FieldError) => ossFieldError(e, tags)
  // An element the reader already refused (itself or something inside it) is not named twice.
  const explained = (path: string) => errors.some((x) => x.path === path || x.path.startsWith(`${path}/`) || x.path.startsWith(`${path}[`))
  const schemaErrors = parsed.success ? [] : parsed.errors.map(fieldError).filter((e) => !explained(e.path))
  const all = [...errors, ...schemaErrors]
  if (all.length > 0 || !parsed.success)
    return { ok: false, error: { code: 'InvalidArgument', message: all.map((e) => `${e.path}: ${e.message}`).join('; '), errors: all } }
  return { ok: true, request: parsed.data, fieldError }
}
