/**
 * ListObjectsV2 (`GET /<bucket>?list-type=2`, both dialects): the current versions that are not
 * delete markers, in UTF-8 byte order of their keys.
 *
 * Query parameters:
 *   prefix              only keys starting with it
 *   delimiter           keys with the delimiter after the prefix roll up into <CommonPrefixes>
 *                       (each counts as one key toward max-keys)
 *   max-keys            S3: default 1000, larger values are capped at 1000, not an integer ≥ 0
 *                       → 400 InvalidArgument; OSS: default 100, 1..1000 else 400 InvalidArgument
 *   continuation-token  the NextContinuationToken of the previous page (opaque: base64 of the
 *                       last key or common prefix answered); anything else → 400 InvalidArgument
 *   start-after         keys after this one (ignored with a continuation token)
 *   encoding-type       only `url` (else 400 InvalidArgument): Key, Prefix, Delimiter, StartAfter
 *                       and CommonPrefixes are URL-encoded (S3: a space as '+'; OSS: RFC 3986);
 *                       OSS also encodes ContinuationToken and NextContinuationToken
 *   fetch-owner         `true` adds <Owner> to each entry
 * Answer: <ListBucketResult> with Name, Prefix, [StartAfter], [ContinuationToken], KeyCount,
 * MaxKeys, [Delimiter], [EncodingType], IsTruncated, [NextContinuationToken], Contents
 * (Key, LastModified, ETag, Size, StorageClass, OSS also Type, [Owner]), CommonPrefixes.
 * A missing bucket → 404 NoSuchBucket.
 */
import type { OpEnv, Plan, RequestInfo } from './operations.ts'
import { OWNER_ID } from './operations.ts'
import { compareKeys, etagHex, type BucketState, type StoredVersion } from './store.ts'
import type { Dialect } from './types.ts'
import { buildXml, el, node, type XmlNode } from './xml.ts'

export const MAX_LIST_KEYS = 1000
const TOKEN_TAG = 'emu1:'

/** The opaque continuation token for "after this key (or common prefix)". */
export const listToken = (after: string): string => Buffer.from(TOKEN_TAG + after, 'utf8').toString('base64')

function tokenPosition(token: string, d: Dialect): string {
  const bad = () => d.errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) throw bad()
  const text = Buffer.from(token, 'base64').toString('utf8')
  if (!text.startsWith(TOKEN_TAG) || listToken(text.slice(TOKEN_TAG.length)) !== token) throw bad()
  return text.slice(TOKEN_TAG.length)
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** A name under `encoding-type=url`: S3 form-encodes (space → '+', '/' kept), OSS encodes RFC 3986. */
export function encodeListName(s: string, d: Dialect): string {
  return d.id === 's3' ? rfc3986(s).replace(/%20/g, '+').replace(/%2F/g, '/') : rfc3986(s)
}

function maxKeysOf(r: RequestInfo, d: Dialect): number {
  const v = r.query.get('max-keys')
  if (d.id === 's3') {
    if (v === undefined) return MAX_LIST_KEYS
    if (!/^\d{1,10}$/.test(v)) throw d.errors.invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', v)
    return Math.min(MAX_LIST_KEYS, Number(v))
  }
  if (v === undefined) return 100
  if (!/^\d{1,10}$/.test(v) || Number(v) < 1 || Number(v) > MAX_LIST_KEYS) throw d.errors.invalidArgument('max-keys must be between 1 and 1000.', 'max-keys', v)
  return Number(v)
}

interface Entry {
  /** A key, or a common prefix. */
  name: string
  version?: StoredVersion
}

/** Keys after `after`, under the prefix, with the delimiter's roll-up, at most `max` entries. */
function collect(env: OpEnv, b: BucketState, prefix: string, delimiter: string | undefined, after: string | undefined, max: number): { entries: Entry[]; truncated: boolean } {
  const keys = [...b.keys.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys)
  const entries: Entry[] = []
  for (const k of keys) {
    const v = env.store.current(b, k)
    if (!v || v.deleteMarker) continue
    const cut = delimiter ? k.indexOf(delimiter, prefix.length) : -1
    const name = cut >= 0 ? k.slice(0, cut + delimiter!.length) : k
    // Only keys after the position; a common prefix that a token names was answered already.
    if (after !== undefined && (compareKeys(k, after) <= 0 || name === after)) continue
    if (entries.length > 0 && entries[entries.length - 1]!.name === name) continue
    if (entries.length === max) return { entries, truncated: true }
    entries.push(cut >= 0 ? { name } : { name, version: v })
  }
  return { entries, truncated: false }
}

export function prepareListObjectsV2(r: RequestInfo, env: OpEnv): Plan {
  const d = env.dialect
  const encoding = r.query.get('encoding-type')
  if (encoding !== undefined && encoding !== 'url') throw d.errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encoding)
  const max = maxKeysOf(r, d)
  const prefix = r.query.get('prefix') ?? ''
  const delimiter = r.query.get('delimiter') || undefined
  const token = r.query.get('continuation-token')
  const startAfter = r.query.get('start-after')
  if (token === '') throw d.errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token)
  const after = token !== undefined ? tokenPosition(token, d) : startAfter || undefined
  const owner = r.query.get('fetch-owner') === 'true'
  const url = encoding === 'url'
  const name = (s: string) => (url ? encodeListName(s, d) : s)
  const tokenText = (t: string) => (url && d.id === 'oss' ? encodeListName(t, d) : t)

  return {
    targets: [[{ bucket: r.bucket }]],
    perKey: false,
    innerError: false,
    run() {
      const b = env.store.bucket(r.bucket)
      if (!b) throw d.errors.noSuchBucket(r.bucket)
      const { entries, truncated } = max === 0 ? { entries: [], truncated: false } : collect(env, b, prefix, delimiter, after, max)
      const contents: XmlNode[] = []
      const prefixes: XmlNode[] = []
      for (const e of entries) {
        if (!e.version) {
          prefixes.push(node('CommonPrefixes', [el('Prefix', name(e.name))]))
          continue
        }
        const v = e.version
        const fields = [el('Key', name(e.name)), el('LastModified', new Date(v.lastModified).toISOString()), el('ETag', d.etag(etagHex(v))), el('Size', v.body.length), el('StorageClass', v.storageClass)]
        if (d.id === 'oss') fields.push(el('Type', v.multipartEtag !== undefined ? 'Multipart' : 'Normal'))
        if (owner) fields.push(node('Owner', [el('ID', OWNER_ID), el('DisplayName', d.id === 's3' ? 'emulator' : OWNER_ID)]))
        contents.push(node('Contents', fields))
      }
      const head: XmlNode[] = [el('Name', r.bucket), el('Prefix', name(prefix))]
      if (startAfter !== undefined) head.push(el('StartAfter', name(startAfter)))
      if (token !== undefined) head.push(el('ContinuationToken', tokenText(token)))
      head.push(el('KeyCount', entries.length), el('MaxKeys', max))
      if (delimiter !== undefined) head.push(el('Delimiter', name(delimiter)))
      if (url) head.push(el('EncodingType', 'url'))
      head.push(el('IsTruncated', truncated))
      if (truncated) head.push(el('NextContinuationToken', tokenText(listToken(entries[entries.length - 1]!.name))))
      const root = node('ListBucketResult', [...head, ...contents, ...prefixes], d.xmlns ? { xmlns: d.xmlns } : undefined)
      return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: buildXml(root) }
    },
  }
}
