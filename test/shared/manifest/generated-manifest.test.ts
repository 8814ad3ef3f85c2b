import { describe, expect, it } from 'vitest'
import { generatedRows, passesFilters } from '../../../shared/manifest/generated-manifest.ts'
import { decodeManifestRange, parseManifestRecords } from '../../../shared/manifest/manifest-csv.ts'

const o = (key: string, size: number, lastModified = '2026-03-01T00:00:00.000Z', name?: string) => ({ key, size, lastModified, ...(name ? { name } : {}) })

describe('manifest generator filters', () => {
  it('keeps only objects that pass every filter, with strict bounds as S3 applies them', () => {
    const f = { keySuffix: '.log', sizeGreaterThan: 10, sizeLessThan: 100, createdAfter: '2026-01-01T00:00:00Z', createdBefore: '2026-06-01T00:00:00+00:00' }
    expect(passesFilters(o('a.log', 50), f)).toBe(true)
    expect(passesFilters(o('a.txt', 50), f)).toBe(false)
    expect(passesFilters(o('a.log', 10), f)).toBe(false)
    expect(passesFilters(o('a.log', 100), f)).toBe(false)
    expect(passesFilters(o('a.log', 50, '2026-01-01T00:00:00.000Z'), f)).toBe(false)
    expect(passesFilters(o('a.log', 50, '2026-06-01T00:00:00.000Z'), f)).toBe(false)
    expect(passesFilters(o('a.log', 50, 'not a date'), f)).toBe(false)
    expect(passesFilters(o('a.log', 50, 'not a date'), { keySuffix: '.log' })).toBe(true)
    expect(passesFilters(o('a.txt', 0), undefined)).toBe(true)
  })

  it('matches the suffix on a PDS file name rather than its id', () => {
    expect(passesFilters(o('5f3a9c', 1, undefined, 'photo.jpg'), { keySuffix: '.jpg' })).toBe(true)
    expect(passesFilters(o('x.jpg', 1, undefined, 'photo.png'), { keySuffix: '.jpg' })).toBe(false)
  })
})

describe('generated manifest rows', () => {
  it('writes rows the manifest parser reads back to the same bucket and key', () => {
    const keys = ['plain', 'a b+c%d', 'ünï/cødé', 'comma,quote"', 'line\nbreak', '/lead/slash']
    const { text, rows } = generatedRows('bucket.odd_name-1', keys.map((k) => o(k, 1)), undefined)
    expect(rows).toBe(keys.length)
    const parsed = parseManifestRecords(text, ['Bucket', 'Key'], 1)
    expect(parsed.map((r) => (r.ok ? [r.task.bucket, r.task.key] : r))).toEqual(keys.map((k) => ['bucket.odd_name-1', k]))
  })
})

describe('decodeManifestRange', () => {
  const enc = (...parts: (string | number[])[]) => {
    const chunks = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : new Uint8Array(p)))
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
    let o = 0
    for (const c of chunks) out.set(c, (o += c.length) - c.length)
    return out
  }

  it('names the rows holding bytes that are not UTF-8 and leaves the others as they are', () => {
    const bytes = enc('b,ok\n', 'b,caf', [0xe9], '\n\n', 'b,"x\ny"\n', [0xff], ',k\n', 'b,é\n')
    const { text, notUtf8 } = decodeManifestRange(bytes, 100, 7)
    expect([...(notUtf8 ?? [])]).toEqual([8, 10])
    const rows = parseManifestRecords(text, ['Bucket', 'Key'], 7, notUtf8)
    expect(rows.map((r) => (r.ok ? r.task.key : r.error.reason))).toEqual(['ok', 'the row is not valid UTF-8', 'x\ny', 'the row is not valid UTF-8', 'é'])
  })

  it('drops a BOM only at the first byte of the manifest', () => {
    const bytes = enc([0xef, 0xbb, 0xbf], 'b,k\n')
    expect(decodeManifestRange(bytes, 0, 1)).toEqual({ text: 'b,k\n' })
    expect(decodeManifestRange(bytes, 40, 3)).toEqual({ text: '\ufeffb,k\n' })
  })
})
