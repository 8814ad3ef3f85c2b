import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BatchRequest } from '../../../shared/schemas/batch.ts'
import { fastBatchRequest } from '../../../shared/schemas/batch-fast.ts'
import { parseWith } from '../../../shared/schemas/issues.ts'
import { OP_KINDS } from '../../../shared/schemas/operation.ts'

const FAST_KINDS = ['stat', 'delete', 'deleteTagging', 'copy', 'move', 'restore', 'setStorageClass', 'setStatus', 'setExpiry', 'putAcl', 'setMetadata', 'setLifecycle', 'putTagging']

// Strings at and across every bound and rule the schema has: lengths 255/256 (bucket, id), 341/342
// and 1,024 UTF-8 bytes (key), control characters, NUL, unpaired surrogates, bucket punctuation.
const edgeStrings = [
  '', 'a', 'b-1.x_y', 'bench-bucket', 'obj/1.bin', 'é', '😀', 'tab\there', 'line\nbreak', 'del\u007f', 'nul\u0000',
  '\ud800', 'x\udc00', 'a b', 'evil.example#', 'UPPER', '..', '/',
  'k'.repeat(255), 'k'.repeat(256), 'k'.repeat(341), 'é'.repeat(342), '中'.repeat(341), '中'.repeat(342), 'é'.repeat(512), 'é'.repeat(513), 'k'.repeat(1024), 'k'.repeat(1025),
  'STANDARD', 'IA', 'ARCHIVE', 'Bulk', 'Standard', 'private', 'public-read', 'default', 'Private',
]
const str = fc.oneof(fc.constantFrom(...edgeStrings), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }))
const num = fc.oneof(fc.constantFrom(-1, 0, -0, 1, 1.5, 365, 366, 36500, 36501, 1e21), fc.integer({ min: -5, max: 40000 }))
const scalar = fc.oneof(str, num, fc.boolean(), fc.constant(null))
const anyValue = fc.oneof(scalar, fc.array(scalar, { maxLength: 2 }), fc.dictionary(str, scalar, { maxKeys: 2 }))

/** Null mostly; once in 20, a value. */
const rarely = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 19, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a })
/** Mostly valid; else a value at some bound or rule, or anything at all. */
const pick = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 40, arbitrary: valid }, { weight: 3, arbitrary: fc.constantFrom<unknown>(...edgeStrings, -2, -1, 0, 1, 1.5, 365, 366, 36500, 36501, true, false, null) }, { weight: 1, arbitrary: anyValue })
const bucket = pick(fc.constantFrom('bench-bucket', 'b.1', 'B_2-x', 'k'.repeat(255)))
const key = pick(fc.constantFrom('obj/1.bin', 'é/😀', 'k'.repeat(1024), 'é'.repeat(512), 'a'))

// Names and values of metadata and tags at and across their rules (fields.ts MetadataName, HeaderValue).
const metadataName = fc.constantFrom('a', 'Author', 'x-1.y_z', 'a'.repeat(128), 'a'.repeat(129), '_bad', '-bad', '', 'é', 'a b', '__proto__')
const tagName = fc.constantFrom('k', 'Team', 'k'.repeat(128), 'k'.repeat(129), '', 'é😀', 'a\nb', 'x\ud800', '__proto__')
const headerValue = (max: number) =>
  fc.oneof(fc.constantFrom('v', '', 'é😀', 'tab\tok', 'v'.repeat(max), 'v'.repeat(max + 1), 'a\nb', 'del\u007f', 'x\ud800'), fc.string({ maxLength: 6 }))
const LIFECYCLE = ['toIAAfterDays', 'toArchiveIRAfterDays', 'toArchiveAfterDays', 'toDeepArchiveAfterDays', 'deleteAfterDays']

/** Fields of every kind, mostly valid, now and then anything at all; each present or not. */
const fields: Record<string, fc.Arbitrary<unknown>> = {
  id: pick(fc.constantFrom('op-1', 'x', 'i'.repeat(256))),
  bucket,
  key,
  versionId: pick(fc.constantFrom('v1', 'null', 'v'.repeat(1024))),
  destination: pick(
    fc.record(
      { bucket, key, parentFileId: pick(fc.constantFrom('file-1', 'root')), name: key },
      { requiredKeys: ['bucket'] },
    ).chain((d) => rarely(anyValue).map((extra) => (extra === null ? d : { ...d, extra }))),
  ),
  overwrite: pick(fc.boolean()),
  days: pick(fc.constantFrom(1, 7, 365, 0, 36500)),
  tier: pick(fc.constantFrom('Expedited', 'Standard', 'Bulk')),
  storageClass: pick(fc.constantFrom('STANDARD', 'IA', 'ARCHIVE_IR', 'ARCHIVE', 'DEEP_ARCHIVE')),
  enabled: pick(fc.boolean()),
  acl: pick(fc.constantFrom('private', 'public-read', 'public-read-write', 'default')),
  contentType: pick(fc.constantFrom('text/plain', 'application/json; charset=utf-8', 'x'.repeat(256))),
  metadata: pick(fc.dictionary(metadataName, headerValue(2048), { maxKeys: 3 })),
  tags: pick(fc.dictionary(fc.oneof(tagName, fc.string({ minLength: 1, maxLength: 4 })), headerValue(256), { maxKeys: 12 })),
  ...Object.fromEntries(LIFECYCLE.map((f) => [f, pick(fc.constantFrom(-1, 0, 30, 36500))])),
  extra: anyValue,
  // A computed name: a literal `__proto__:` would set the prototype, not a field.
  ['__proto__']: anyValue,
}

/** The arguments each kind takes (beside id, bucket, key, versionId). */
const ARGUMENTS: Record<string, string[]> = {
  copy: ['destination', 'overwrite'],
  move: ['destination', 'overwrite'],
  restore: ['days', 'tier'],
  setMetadata: ['contentType', 'metadata'],
  setStorageClass: ['storageClass'],
  setStatus: ['enabled'],
  setExpiry: ['days'],
  setLifecycle: LIFECYCLE,
  putTagging: ['tags'],
  putAcl: ['acl'],
}
const pickFields = (names: string[], requiredKeys: string[] = []) =>
  fc.record(Object.fromEntries(names.map((n) => [n, fields[n]!])), { requiredKeys: requiredKeys.filter((k) => names.includes(k)) })
/** What a kind must have; left out now and then. */
const REQUIRED = ['bucket', 'key', 'destination', 'days', 'storageClass', 'enabled', 'acl', 'tags']

/** Mostly a kind with its own fields (each present or not), now and then a stray field or op. */
const operation = fc
  .oneof({ weight: 24, arbitrary: fc.constantFrom(...OP_KINDS) }, { weight: 1, arbitrary: anyValue })
  .chain((op) =>
    fc.tuple(
      fc.constant(op),
      fc.boolean().chain((complete) =>
        pickFields(['id', 'bucket', 'key', 'versionId', ...((typeof op === 'string' && ARGUMENTS[op]) || [])], complete ? REQUIRED : []),
      ),
      rarely(pickFields(Object.keys(fields))),
    ),
  )
  // A spread copies a "__proto__" field as a field (CreateDataProperty), as JSON.parse makes it.
  .map(([op, own, stray]) => ({ op, ...own, ...stray }))

const body = fc.record(
  {
    account: pick(fc.constantFrom('s3', 'local', 'a'.repeat(128), 'a'.repeat(129))),
    operations: fc.oneof({ weight: 9, arbitrary: fc.array(operation, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: anyValue }),
  },
  { requiredKeys: [] },
).chain((b) => rarely(anyValue).map((extra) => (extra === null ? b : { ...b, extra })))

describe('fastBatchRequest', () => {
  it('accepts only what the zod schema accepts, and hands on the same value', () => {
    let accepted = 0
    let refusedByBoth = 0
    fc.assert(
      fc.property(body, (raw) => {
        // What the gateway holds after JSON.parse: plain objects (fast-check's records have a null
        // prototype), "__proto__" as an own field, unpaired surrogates kept as escapes.
        const input: unknown = JSON.parse(JSON.stringify(raw))
        const fast = fastBatchRequest(input)
        const slow = parseWith(BatchRequest, input)
        if (fast !== undefined) {
          accepted++
          expect(slow.success, JSON.stringify(slow)).toBe(true)
          if (slow.success) expect(fast).toStrictEqual(slow.data)
        } else if (!slow.success) refusedByBoth++
      }),
      { numRuns: 20_000, seed: 20261121 },
    )
    // The generator reaches both sides; a fast path that never accepted would pass the loop vacuously.
    expect(accepted).toBeGreaterThan(1000)
    expect(refusedByBoth).toBeGreaterThan(1000)
  })

  it('accepts every valid operation of the kinds it knows, the fields at their bounds', () => {
    const ops = [
      { op: 'delete', bucket: 'k'.repeat(255), key: 'é'.repeat(512), id: 'i'.repeat(256), versionId: 'v'.repeat(1024) },
      { op: 'stat', bucket: 'b', key: 'k'.repeat(1024) },
      { op: 'deleteTagging', bucket: 'b', key: '😀' },
      { op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'c', key: 'k2' }, overwrite: false },
      { op: 'move', bucket: 'd', key: 'f', destination: { bucket: 'd', parentFileId: 'root', name: 'n' } },
      { op: 'restore', bucket: 'b', key: 'k', days: 365, tier: 'Bulk' },
      { op: 'setStorageClass', bucket: 'b', key: 'k', storageClass: 'DEEP_ARCHIVE' },
      { op: 'setStatus', bucket: 'b', key: 'k', enabled: false },
      { op: 'setExpiry', bucket: 'b', key: 'k', days: 0 },
      { op: 'putAcl', bucket: 'b', key: 'k', acl: 'default' },
      { op: 'setMetadata', bucket: 'b', key: 'k', contentType: 'x'.repeat(256), metadata: { ['a'.repeat(128)]: 'v'.repeat(2048), 'x-1.y_z': '' } },
      { op: 'setMetadata', bucket: 'b', key: 'k', metadata: {} },
      { op: 'setLifecycle', bucket: 'b', key: 'k', toIAAfterDays: -1, deleteAfterDays: 36500 },
      { op: 'putTagging', bucket: 'b', key: 'k', tags: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`.padEnd(128, 'x'), 'v'.repeat(256)])) },
    ]
    expect(new Set(ops.map((o) => o.op))).toEqual(new Set(FAST_KINDS))
    const input = { account: 'a'.repeat(128), operations: ops }
    expect(fastBatchRequest(input)).toBe(input)
    expect(parseWith(BatchRequest, input).success).toBe(true)
  })

  it('leaves to zod every value across a bound', () => {
    const valid = { op: 'delete', bucket: 'b', key: 'k' }
    const cases: unknown[] = [
      { op: 'setMetadata', bucket: 'b', key: 'k' },
      { op: 'setMetadata', bucket: 'b', key: 'k', contentType: '' },
      { op: 'setMetadata', bucket: 'b', key: 'k', metadata: { _bad: 'v' } },
      { op: 'setMetadata', bucket: 'b', key: 'k', metadata: { a: 'v'.repeat(2049) } },
      { op: 'setLifecycle', bucket: 'b', key: 'k' },
      { op: 'setLifecycle', bucket: 'b', key: 'k', toIAAfterDays: -2 },
      { op: 'putTagging', bucket: 'b', key: 'k', tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, 'v'])) },
      { op: 'putTagging', bucket: 'b', key: 'k', tags: { '': 'v' } },
      { op: 'putTagging', bucket: 'b', key: 'k' },
      { ...valid, key: 'é'.repeat(513) },
      { ...valid, key: '中'.repeat(342) },
      { ...valid, key: 'x\ud800' },
      { ...valid, key: 'a\u0000' },
      { ...valid, bucket: 'evil.example#' },
      { ...valid, bucket: 'k'.repeat(256) },
      { ...valid, id: '' },
      { ...valid, versionId: 'v\n' },
      { ...valid, extra: 1 },
      { op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'c' } },
      { op: 'restore', bucket: 'b', key: 'k', days: 366 },
      { op: 'setExpiry', bucket: 'b', key: 'k', days: 1.5 },
    ]
    for (const op of cases) expect(fastBatchRequest({ account: 's3', operations: [valid, op] }), JSON.stringify(op)).toBeUndefined()
    // eslint-disable-next-line no-sparse-arrays
    expect(fastBatchRequest({ account: 's3', operations: [valid, , valid] })).toBeUndefined()
    expect(fastBatchRequest({ account: 's3', operations: Array(1001).fill(valid) })).toBeUndefined()
    expect(fastBatchRequest({ account: 's3', operations: Array(1000).fill(valid) })).toBeDefined()
  })
})
