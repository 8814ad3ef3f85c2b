import { describe, expect, it } from 'vitest'
import { md5Hex } from '../../../shared/crypto/hash.ts'
import { parseManifestRecords } from '../../../shared/manifest/manifest-csv.ts'
import {
  DEFAULT_SHARD_BYTES,
  DEFAULT_SHARD_ROWS,
  encodeReportKey,
  REPORT_SCHEMA,
  reportCsvRow,
  reportManifest,
  ReportShardWriter,
  type TaskResult,
} from '../../../shared/report/report-csv.ts'

const ok = (key: string, extra: Partial<TaskResult> = {}): TaskResult => ({
  bucket: 'b',
  key,
  status: 'succeeded',
  httpStatus: 200,
  message: 'OK',
  ...extra,
})
const failed = (key: string, extra: Partial<TaskResult> = {}): TaskResult => ({
  bucket: 'b',
  key,
  status: 'failed',
  errorCode: 'NoSuchKey',
  httpStatus: 404,
  message: 'no such key',
  ...extra,
})

/** A small independent RFC 4180 reader (LF or CRLF rows) to check what the writer produced. */
function readCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c !== '"') field += c
      else if (text[i + 1] === '"') (field += '"'), i++
      else quoted = false
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '')
    else if (c !== '\r' || text[i + 1] !== '\n') field += c
  }
  expect(field === '' && row.length === 0 && !quoted).toBe(true)
  return rows
}

function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('reportCsvRow', () => {
  it('writes the §6 column order, one line ending in \\n', () => {
    expect(REPORT_SCHEMA).toBe('Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage')
    expect(reportCsvRow(ok('dir/file.txt'))).toBe('b,dir/file.txt,,succeeded,,200,OK\n')
    expect(reportCsvRow(failed('k', { versionId: 'v1' }))).toBe('b,k,v1,failed,NoSuchKey,404,no such key\n')
    expect(reportCsvRow({ bucket: 'b', key: 'k', status: 'succeeded', httpStatus: 204 })).toBe('b,k,,succeeded,,204,\n')
  })

  it('percent-encodes keys and version ids (space %20, + %2B) but keeps / readable', () => {
    expect(encodeReportKey('a+b c/d,é"%')).toBe('a%2Bb%20c/d%2C%C3%A9%22%25')
    expect(reportCsvRow(ok('my dir/a+b.txt', { versionId: '3/L4kq+v=' }))).toBe(
      'b,my%20dir/a%2Bb.txt,3/L4kq%2Bv%3D,succeeded,,200,OK\n',
    )
    expect(reportCsvRow(ok('line\nbreak'))).toBe('b,line%0Abreak,,succeeded,,200,OK\n')
  })

  it('quotes fields holding a comma, quote, CR or LF (RFC 4180)', () => {
    const row = reportCsvRow(failed('k', { bucket: 'b,c', errorCode: 'InvalidManifestRow', message: 'row 7: "a,b"\r\nnext' }))
    expect(row).toBe('"b,c",k,,failed,InvalidManifestRow,404,"row 7: ""a,b""\r\nnext"\n')
    expect(reportCsvRow(failed('k', { message: 'cr\ronly' }))).toBe('b,k,,failed,NoSuchKey,404,"cr\ronly"\n')
  })

  it('never throws on unpaired surrogates: they become U+FFFD', () => {
    expect(reportCsvRow(failed('a\ud800', { message: 'x\udc00' }))).toBe('b,a%EF%BF%BD,,failed,NoSuchKey,404,x\ufffd\n')
  })

  it('round-trips: an RFC 4180 reader and the manifest parser read back every field', () => {
    const pieces = ['a', 'Z', '/', ' ', '+', '%', '%20', ',', '"', '\n', '\r\n', 'é', '日本', '😀', '=', '?', '#']
    const rand = rng(42)
    const pick = (n: number, from = pieces) => Array.from({ length: n }, () => from[Math.floor(rand() * from.length)]).join('')
    // Version ids are printable (the VersionId rule refuses control characters).
    const versionPieces = ['a', 'Z', '/', '+', '=', '%', ' ', ',', 'é']
    const results: TaskResult[] = []
    for (let i = 0; i < 200; i++) {
      const key = `k${i}${pick(1 + Math.floor(rand() * 12))}`
      const versionId = i % 3 === 0 ? `v${pick(4, versionPieces)}` : undefined
      results.push(i % 2 ? ok(key, { versionId, message: pick(8) }) : failed(key, { versionId, bucket: `b${i}`, message: pick(8) }))
    }
    const text = results.map(reportCsvRow).join('')
    const rows = readCsv(text)
    expect(rows).toHaveLength(results.length)
    rows.forEach((cols, i) => {
      const r = results[i]!
      expect(cols).toHaveLength(7)
      expect([cols[0], decodeURIComponent(cols[1]!), cols[2] === '' ? undefined : decodeURIComponent(cols[2]!)]).toEqual([r.bucket, r.key, r.versionId])
      expect(cols.slice(3)).toEqual([r.status, r.errorCode ?? '', String(r.httpStatus), r.message ?? ''])
    })
    // A report can be fed back as a manifest (say, to retry the failed tasks).
    const parsed = parseManifestRecords(text, ['Bucket', 'Key'], 1)
    expect(parsed.map((p) => (p.ok ? [p.task.bucket, p.task.key] : p.error.reason))).toEqual(results.map((r) => [r.bucket, r.key]))
    const versioned = results.filter((r) => r.versionId !== undefined)
    const vparsed = parseManifestRecords(versioned.map(reportCsvRow).join(''), ['Bucket', 'Key', 'VersionId'], 1)
    expect(vparsed.map((p) => (p.ok ? p.task.versionId : p.error.reason))).toEqual(versioned.map((r) => r.versionId))
  })
})

describe('reportManifest', () => {
  it('builds the §6 manifest.json object', () => {
    const results = [
      { taskExecutionStatus: 'succeeded' as const, bucket: 'reports', key: 'p/job-1/results/0.csv', md5Checksum: '83b1c4cbe93fc893f54053697e10fd6e' },
      { taskExecutionStatus: 'failed' as const, bucket: 'reports', key: 'p/job-1/results/1.csv', md5Checksum: '22ee037f3515975f7719699e5c416eaa' },
    ]
    const m = reportManifest({ creationDate: '2025-06-11T10:00:00.000Z', results })
    expect(m).toEqual({
      format: 'Report_CSV_20180820',
      reportCreationDate: '2025-06-11T10:00:00.000Z',
      reportSchema: 'Bucket,Key,VersionId,TaskStatus,ErrorCode,HTTPStatusCode,ResultMessage',
      results,
    })
    expect(Object.keys(JSON.parse(JSON.stringify(m)))).toEqual(['format', 'reportCreationDate', 'reportSchema', 'results'])
  })
})

describe('ReportShardWriter', () => {
  it('hashes each shard: hex MD5 of its UTF-8 text', async () => {
    const w = new ReportShardWriter()
    w.add(ok('k'))
    expect(await w.finish()).toEqual([
      { status: 'succeeded', text: 'b,k,,succeeded,,200,OK\n', rows: 1, bytes: 23, md5: '19c7d627be24e31c801f048d6335757a' },
    ])
    const two = new ReportShardWriter()
    two.add(ok('k'))
    two.add(ok('k2'))
    expect((await two.finish())[0]?.md5).toBe('e277a0b92bb077ca59a88a16183fb78f')
  })

  it('splits by status and by row count, every row exactly once and in order', async () => {
    const w = new ReportShardWriter({ maxRows: 3 })
    const input: TaskResult[] = []
    for (let i = 0; i < 10; i++) input.push(i % 4 === 3 ? failed(`f${i}`) : ok(`s${i}`))
    for (const r of input) w.add(r)
    expect(w.ready).toBe(2)
    const early = await w.drain()
    expect(w.ready).toBe(0)
    expect(early.map((s) => [s.status, s.rows])).toEqual([['succeeded', 3], ['succeeded', 3]])
    const rest = await w.finish()
    expect(rest.map((s) => [s.status, s.rows])).toEqual([['succeeded', 2], ['failed', 2]])
    const all = [...early, ...rest]
    for (const s of all) expect(s.md5).toBe(await md5Hex(s.text))
    for (const status of ['succeeded', 'failed'] as const) {
      const text = all.filter((s) => s.status === status).map((s) => s.text).join('')
      expect(text).toBe(input.filter((r) => r.status === status).map(reportCsvRow).join(''))
    }
  })

  it('closes a shard before it would pass maxBytes (UTF-8 bytes); an oversized row gets its own', async () => {
    const row = reportCsvRow(ok('é')) // 'b,%C3%A9,,succeeded,,200,OK\n'
    const size = row.length
    const w = new ReportShardWriter({ maxBytes: size * 2 + 1 })
    for (let i = 0; i < 5; i++) w.add(ok('é'))
    w.add(ok('k', { message: 'ü'.repeat(size * 2) }))
    w.add(ok('é'))
    const shards = await w.finish()
    expect(shards.map((s) => s.rows)).toEqual([2, 2, 1, 1, 1])
    expect(shards.every((s, i) => i === 3 || s.bytes <= size * 2 + 1)).toBe(true)
    expect(shards[3]?.bytes).toBe(new TextEncoder().encode(shards[3]!.text).length)
    expect(shards[3]?.bytes).toBeGreaterThan(size * 4)
  })

  it('gives nothing for an empty writer, defaults to 64 MiB / 1,000,000 rows, refuses bad limits', async () => {
    expect(await new ReportShardWriter().finish()).toEqual([])
    expect([DEFAULT_SHARD_BYTES, DEFAULT_SHARD_ROWS]).toEqual([64 * 1024 * 1024, 1_000_000])
    expect(() => new ReportShardWriter({ maxRows: 0 })).toThrow(RangeError)
    expect(() => new ReportShardWriter({ maxBytes: Number.NaN })).toThrow(RangeError)
  })
})
