import { describe, expect, it } from 'vitest'
import { BatchRequest } from '../../../shared/schemas/batch.ts'
import { parseWith } from '../../../shared/schemas/issues.ts'

const errorsOf = (body: unknown) => {
  const r = parseWith(BatchRequest, body)
  return r.success ? [] : r.errors
}

describe('BatchRequest', () => {
  it('accepts every operation kind with its arguments', () => {
    const r = parseWith(BatchRequest, {
      account: 'a',
      operations: [
        { op: 'stat', bucket: 'b', key: 'k' },
        { op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'c', key: 'k2' }, overwrite: true },
        { op: 'move', bucket: 'b', key: 'k', destination: { bucket: 'c', key: 'k2' } },
        { op: 'delete', bucket: 'b', key: 'k', versionId: 'v1' },
        { op: 'restore', bucket: 'b', key: 'k', days: 3, tier: 'Bulk' },
        { op: 'setMetadata', bucket: 'b', key: 'k', contentType: 'text/plain', metadata: { a: '1' } },
        { op: 'setStorageClass', bucket: 'b', key: 'k', storageClass: 'IA' },
        { op: 'setStatus', bucket: 'b', key: 'k', enabled: false },
        { op: 'setExpiry', bucket: 'b', key: 'k', days: 0 },
        { op: 'setLifecycle', bucket: 'b', key: 'k', toIAAfterDays: 30, deleteAfterDays: -1 },
        { op: 'putTagging', bucket: 'b', key: 'k', tags: { env: 'prod' } },
        { op: 'deleteTagging', bucket: 'b', key: 'k' },
        { op: 'putAcl', bucket: 'b', key: 'k', acl: 'private' },
      ],
    })
    expect(r.success ? [] : r.errors).toEqual([])
  })

  it('names every offending field with its full path', () => {
    expect(
      errorsOf({
        account: 'a',
        operations: [
          { op: 'stat', bucket: 'b', key: 'k' },
          { op: 'stat', bucket: 'b' },
          { op: 'frobnicate', bucket: 'b', key: 'k' },
          { op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'c' } },
          { op: 'stat', bucket: 'b', key: 'k', extra: 1 },
          { op: 'setMetadata', bucket: 'b', key: 'k' },
          { op: 'stat', bucket: 'b', key: 'x'.repeat(1025) },
          { op: 'stat', bucket: 'b', key: 'a\u0000b' },
          { op: 'stat', bucket: 'b', key: '\ud800' },
          { op: 'restore', bucket: 'b', key: 'k', days: 1.5 },
        ],
      }),
    ).toEqual([
      { path: 'operations[1].key', message: 'required' },
      { path: 'operations[2].op', message: expect.stringContaining('op must be one of') },
      { path: 'operations[3].destination.key', message: 'required' },
      { path: 'operations[4].extra', message: 'unknown field' },
      { path: 'operations[5].metadata', message: 'give contentType, metadata or both' },
      { path: 'operations[6].key', message: 'must be at most 1,024 UTF-8 bytes' },
      { path: 'operations[7].key', message: 'must not contain NUL' },
      { path: 'operations[8].key', message: expect.stringContaining('valid UTF-8') },
      { path: 'operations[9].days', message: 'must be an integer' },
    ])
  })

  it('refuses a tag or metadata name __proto__ instead of silently dropping it', () => {
    const body = JSON.parse('{"account":"a","operations":[{"op":"putTagging","bucket":"b","key":"k","tags":{"env":"prod","__proto__":"x"}}]}')
    expect(errorsOf(body)).toEqual([{ path: 'operations[0].tags.__proto__', message: 'must not be named "__proto__"' }])
    const meta = JSON.parse('{"account":"a","operations":[{"op":"setMetadata","bucket":"b","key":"k","metadata":{"__proto__":"x"}}]}')
    expect(errorsOf(meta)).toEqual([{ path: 'operations[0].metadata.__proto__', message: 'must not be named "__proto__"' }])
    // Where zod names it already (a strict object's unknown field), it is named once.
    expect(errorsOf(JSON.parse('{"account":"a","operations":[{"op":"stat","bucket":"b","key":"k","__proto__":1}]}'))).toEqual([
      { path: 'operations[0].__proto__', message: 'unknown field' },
    ])
  })

  it('counts key length in UTF-8 bytes, not characters', () => {
    expect(errorsOf({ account: 'a', operations: [{ op: 'stat', bucket: 'b', key: 'é'.repeat(512) }] })).toEqual([])
    expect(errorsOf({ account: 'a', operations: [{ op: 'stat', bucket: 'b', key: 'é'.repeat(513) }] })).toHaveLength(1)
  })

  it('refuses an empty batch and one of 1,001 operations', () => {
    expect(errorsOf({ account: 'a', operations: [] })).toEqual([
      { path: 'operations', message: 'must hold at least 1 operation' },
    ])
    const ops = Array.from({ length: 1001 }, (_, i) => ({ op: 'stat', bucket: 'b', key: `k${i}` }))
    expect(errorsOf({ account: 'a', operations: ops })).toEqual([
      { path: 'operations', message: 'must hold at most 1000 operations' },
    ])
  })

  it('refuses a body that is not an object, and unknown top-level fields', () => {
    expect(errorsOf([])).toEqual([{ path: 'body', message: 'must be an object' }])
    expect(errorsOf({ account: 'a', operations: [{ op: 'stat', bucket: 'b', key: 'k' }], x: 1 })).toEqual([
      { path: 'x', message: 'unknown field' },
    ])
  })
})
