import { describe, expect, it } from 'vitest'
import {
  parseManifestRecords,
  RecordScanner,
  validateManifestFields,
  type ManifestField,
  type ManifestRecord,
} from '../../../shared/manifest/manifest-csv.ts'

const BK: ManifestField[] = ['Bucket', 'Key']
const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

const tasks = (rs: ManifestRecord[]) => rs.map((r) => (r.ok ? r.task : r.error))
const reasonOf = (text: string, fields = BK) => {
  const [r] = parseManifestRecords(text, fields, 1)
  if (!r || r.ok) throw new Error(`expected a failed row for ${JSON.stringify(text)}`)
  return r.error.reason
}
const keyOf = (text: string) => {
  const [r] = parseManifestRecords(text, BK, 1)
  if (!r?.ok) throw new Error(`expected a task for ${JSON.stringify(text)}: ${JSON.stringify(r)}`)
  return r.task.key
}

/** mulberry32: a small seeded PRNG so the property loops are reproducible. */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function scanWhole(bytes: Uint8Array): number[] {
  return new RecordScanner().push(bytes, true)
}

function scanInWindows(bytes: Uint8Array, sizeOf: () => number): number[] {
  const s = new RecordScanner()
  const ends: number[] = []
  let at = 0
  do {
    const to = Math.min(bytes.length, at + sizeOf())
    ends.push(...s.push(bytes.subarray(at, to), to === bytes.length))
    at = to
  } while (at < bytes.length)
  expect(s.recordsSeen).toBe(ends.length)
  return ends
}

describe('validateManifestFields', () => {
  it('accepts Bucket and Key in any order, with VersionId and any number of Ignore columns', () => {
    expect(validateManifestFields(['Bucket', 'Key'])).toBeUndefined()
    expect(validateManifestFields(['Ignore', 'Key', 'Ignore', 'Bucket', 'VersionId'])).toBeUndefined()
  })

  it('names what is wrong', () => {
    expect(validateManifestFields(['Key'])).toMatch(/must include Bucket/)
    expect(validateManifestFields(['Bucket', 'VersionId'])).toMatch(/must include Key/)
    expect(validateManifestFields([])).toMatch(/must include Bucket/)
    expect(validateManifestFields(['Bucket', 'Key', 'Key'])).toMatch(/"Key" appears more than once/)
    expect(validateManifestFields(['Bucket', 'Key', 'VersionId', 'VersionId'])).toMatch(/"VersionId"/)
    expect(validateManifestFields(['Bucket', 'Key', 'Size'])).toMatch(/unknown manifest field "Size"/)
    expect(validateManifestFields(['bucket', 'Key'])).toMatch(/unknown manifest field "bucket"/)
  })
})

describe('parseManifestRecords', () => {
  it('reads LF, CRLF, lone CR and mixed line ends, a last line without newline, and skips empty lines', () => {
    const text = '\n\nb1,k1\r\nb2,k2\n\r\n\nb3,k3\rb4,k4\n\nb5,k5'
    expect(tasks(parseManifestRecords(text, BK, 1))).toEqual([
      { row: 1, bucket: 'b1', key: 'k1' },
      { row: 2, bucket: 'b2', key: 'k2' },
      { row: 3, bucket: 'b3', key: 'k3' },
      { row: 4, bucket: 'b4', key: 'k4' },
      { row: 5, bucket: 'b5', key: 'k5' },
    ])
    expect(parseManifestRecords('b,k\n', BK, 1)).toHaveLength(1)
    expect(parseManifestRecords('', BK, 1)).toEqual([])
    expect(parseManifestRecords('\r\n\n', BK, 1)).toEqual([])
  })

  it('numbers rows from firstRow', () => {
    expect(tasks(parseManifestRecords('b,x\n\nb,y\n', BK, 5001)).map((t) => t.row)).toEqual([5001, 5002])
  })

  it('reads quoted fields: embedded commas, doubled quotes, quoted newlines', () => {
    const text = '"b","a,b"\nb,"say ""hi"""\r\n"b","line1\r\nline2\nline3"\nb,""""\n'
    expect(tasks(parseManifestRecords(text, BK, 1))).toEqual([
      { row: 1, bucket: 'b', key: 'a,b' },
      { row: 2, bucket: 'b', key: 'say "hi"' },
      { row: 3, bucket: 'b', key: 'line1\r\nline2\nline3' },
      { row: 4, bucket: 'b', key: '"' },
    ])
  })

  it('percent-decodes keys strictly: + is a plus, %2B too, %20 a space, %2F a slash', () => {
    expect(keyOf('b,object%20key%20with%20spaces')).toBe('object key with spaces')
    expect(keyOf('b,a+b')).toBe('a+b')
    expect(keyOf('b,a%2Bb')).toBe('a+b')
    expect(keyOf('b,dir%2Ffile')).toBe('dir/file')
    expect(keyOf('b,dir/file name')).toBe('dir/file name')
    expect(keyOf('b,100%25')).toBe('100%')
  })

  it('reads unicode keys, raw or percent-encoded', () => {
    expect(keyOf('b,日本語/ファイル.txt')).toBe('日本語/ファイル.txt')
    expect(keyOf('b,%E6%97%A5%E6%9C%AC')).toBe('日本')
    expect(keyOf('b,%F0%9F%98%80-😀')).toBe('😀-😀')
    expect(keyOf('b,é%C3%A9')).toBe('éé')
  })

  it('turns bad percent-encoding into a failed row with a reason', () => {
    expect(reasonOf('b,bad%zzkey')).toBe('Key has a bad percent-escape "%zz" at character 4')
    expect(reasonOf('b,trailing%4')).toMatch(/bad percent-escape "%4"/)
    expect(reasonOf('b,trailing%')).toMatch(/bad percent-escape "%"/)
    expect(reasonOf('b,%E6%97')).toBe('Key is not valid UTF-8 once percent-decoded')
    expect(reasonOf('b,%FF')).toBe('Key is not valid UTF-8 once percent-decoded')
    expect(reasonOf('b,%ED%A0%80')).toBe('Key is not valid UTF-8 once percent-decoded')
  })

  it('fails rows with unpaired surrogates, empty or invalid buckets and keys, keys over 1,024 bytes', () => {
    expect(reasonOf('b,a\ud800b')).toMatch(/^Key must be valid UTF-8/)
    expect(reasonOf('b\udc00,k')).toMatch(/^Bucket must be letters, digits/)
    expect(reasonOf(',k')).toBe('Bucket must not be empty')
    expect(reasonOf('b,')).toBe('Key must not be empty')
    expect(reasonOf('b,%00')).toBe('Key must not contain NUL')
    expect(reasonOf('a/b,k')).toMatch(/^Bucket must be letters, digits/)
    expect(reasonOf('evil.example#,k')).toMatch(/^Bucket must be letters, digits/)
    expect(keyOf(`b,${'x'.repeat(1024)}`)).toHaveLength(1024)
    expect(reasonOf(`b,${'x'.repeat(1025)}`)).toBe('Key must be at most 1,024 UTF-8 bytes')
    expect(keyOf(`b,${'é'.repeat(512)}`)).toHaveLength(512)
    expect(reasonOf(`b,${'%C3%A9'.repeat(513)}`)).toBe('Key must be at most 1,024 UTF-8 bytes')
  })

  it('fails unbalanced quotes: the open field runs to the end of the range', () => {
    const rs = parseManifestRecords('b,k1\nb,"open\nb,k3\n', BK, 1)
    expect(rs).toHaveLength(2)
    expect(rs[0]).toEqual({ ok: true, task: { row: 1, bucket: 'b', key: 'k1' } })
    expect(rs[1]).toEqual({
      ok: false,
      error: { row: 2, text: 'b,"open\nb,k3\n', reason: 'unbalanced quotes: the quoted column 2 is never closed' },
    })
  })

  it('fails stray quotes in one record without swallowing the next', () => {
    const rs = parseManifestRecords('b,ab"c\n"b"x,k\nb,k3', BK, 1)
    expect(rs.map((r) => (r.ok ? r.task.key : r.error.reason))).toEqual([
      'quote inside the unquoted column 2 (quote the field and double the quote)',
      'text after the closing quote of column 1',
      'k3',
    ])
  })

  it('fails too few columns, ignores extra ones', () => {
    expect(reasonOf('just-a-bucket')).toBe('expected 2 columns (Bucket,Key), found 1')
    expect(reasonOf('b,k', ['Bucket', 'Key', 'VersionId'])).toBe('expected 3 columns (Bucket,Key,VersionId), found 2')
    expect(tasks(parseManifestRecords('b,k,extra,"more"', BK, 1))).toEqual([{ row: 1, bucket: 'b', key: 'k' }])
  })

  it('maps Ignore and VersionId columns, percent-decoding version ids', () => {
    const fields: ManifestField[] = ['Ignore', 'Key', 'Ignore', 'Bucket', 'VersionId']
    expect(tasks(parseManifestRecords('x,my%20key,y,bkt,3%2FL4kq%2Bv\nx,k,y,bkt,null\n', fields, 1))).toEqual([
      { row: 1, bucket: 'bkt', key: 'my key', versionId: '3/L4kq+v' },
      { row: 2, bucket: 'bkt', key: 'k', versionId: 'null' },
    ])
    expect(reasonOf('b,k,', ['Bucket', 'Key', 'VersionId'])).toMatch(/^VersionId is empty/)
    expect(reasonOf('b,k,%G0', ['Bucket', 'Key', 'VersionId'])).toMatch(/^VersionId has a bad percent-escape/)
  })

  it('keeps the raw record as text, truncated to 1,024 chars without splitting a surrogate pair', () => {
    const long = parseManifestRecords(`,${'k'.repeat(2000)}\r\n`, BK, 1)[0]
    expect(long?.ok === false && long.error.text).toBe(`,${'k'.repeat(1023)}`)
    const pair = parseManifestRecords(`,${'k'.repeat(1022)}😀tail`, BK, 1)[0]
    expect(pair?.ok === false && pair.error.text).toBe(`,${'k'.repeat(1022)}`)
  })

  it('drops a leading BOM in the first range only', () => {
    expect(tasks(parseManifestRecords('\ufeffb,k', BK, 1))).toEqual([{ row: 1, bucket: 'b', key: 'k' }])
    // Elsewhere it is part of the bucket name, which cannot hold it.
    expect(tasks(parseManifestRecords('\ufeffb,k', BK, 7))).toEqual([expect.objectContaining({ row: 7, reason: expect.stringContaining('Bucket must be letters') })])
  })
})

describe('RecordScanner', () => {
  const ends = (s: string) => scanWhole(enc.encode(s))

  it('reports the offset after each record, skipping empty lines', () => {
    expect(ends('a,b\nc,d\r\ne,f')).toEqual([4, 9, 12])
    expect(ends('a,b\n')).toEqual([4])
    expect(ends('\n\na,b\n\n\r\nc,d\r\n\n')).toEqual([6, 14])
    expect(ends('a,b\rc,d\r')).toEqual([4, 8])
    expect(ends('')).toEqual([])
    expect(ends('\r\n\r\n')).toEqual([])
  })

  it('does not end records at quoted newlines, and ends an unbalanced quote at the end of data', () => {
    expect(ends('a,"x\ny\r\nz"\nb,c\n')).toEqual([11, 15])
    expect(ends('a,"x""\n""y"\n')).toEqual([12])
    expect(ends('a,"open\nb,c\n')).toEqual([12])
    expect(ends('a,b"c\nd,e\n')).toEqual([6, 10])
  })

  it('counts multibyte UTF-8 in bytes and skips a BOM at offset 0 only', () => {
    expect(ends('é,😀\nb,k')).toEqual([8, 11])
    expect(ends('\ufeff\nb,k\n')).toEqual([8])
    expect(new RecordScanner(100).push(enc.encode('\ufeff\nb,k\n'), true)).toEqual([104, 108])
  })

  it('keeps a CR split from its LF across windows, and reports the pending end at the next byte', () => {
    const s = new RecordScanner(10)
    expect(s.push(enc.encode('a,b\r'), false)).toEqual([])
    expect(s.push(enc.encode('\nc,d\r'), false)).toEqual([15])
    expect(s.push(enc.encode('e,f'), false)).toEqual([19])
    expect(s.push(new Uint8Array(0), true)).toEqual([22])
    expect(s.recordsSeen).toBe(3)
    expect(s.offset).toBe(22)
    expect(() => s.push(new Uint8Array(1), true)).toThrow(/after the final window/)
  })

  it('gives the same boundaries byte by byte and in random windows (seeded property loop)', () => {
    const tokens = ['a', 'key', 'é', '😀', ',', ',', '"', '""', '\n', '\r\n', '\r', '\n\n', '%20']
    const rand = rng(0x5eed)
    for (let round = 0; round < 300; round++) {
      let s = rand() < 0.1 ? '\ufeff' : ''
      const len = Math.floor(rand() * 60)
      for (let i = 0; i < len; i++) s += tokens[Math.floor(rand() * tokens.length)]
      const bytes = enc.encode(s)
      const whole = scanWhole(bytes)
      expect(scanInWindows(bytes, () => 1), JSON.stringify(s)).toEqual(whole)
      expect(scanInWindows(bytes, () => 1 + Math.floor(rand() * 9)), JSON.stringify(s)).toEqual(whole)
      // The parser cuts the same records: each range holds exactly one, numbered in order.
      let from = 0
      whole.forEach((end, i) => {
        const rs = parseManifestRecords(dec.decode(bytes.subarray(from, end)), BK, i + 1)
        expect(rs.map((r) => (r.ok ? r.task.row : r.error.row)), JSON.stringify(s)).toEqual([i + 1])
        from = end
      })
      expect(parseManifestRecords(dec.decode(bytes.subarray(from)), BK, whole.length + 1)).toEqual([])
      expect(parseManifestRecords(s, BK, 1)).toHaveLength(whole.length)
    }
  })

  it('scans a 1,000,000-record manifest in 64 KiB windows', () => {
    // 1,000 records (CRLF and LF ends, quoted commas and newlines, an empty line) repeated 1,000
    // times, produced window by window so the test holds no more than the scanner does.
    let block = ''
    for (let i = 0; i < 1000; i++) {
      const key = i % 10 === 0 ? `"dir/with,comma\nline-${i}"` : `dir/key-${String(i).padStart(6, '0')}`
      block += `bucket-${i % 7},${key}${i % 3 === 0 ? '\r\n' : '\n'}${i % 100 === 0 ? '\n' : ''}`
    }
    const blockBytes = enc.encode(block)
    const total = blockBytes.length * 1000
    const window = new Uint8Array(64 * 1024)
    const s = new RecordScanner()
    let produced = 0
    let seen = 0
    let last = -1
    while (produced < total) {
      const n = Math.min(window.length, total - produced)
      for (let filled = 0; filled < n; ) {
        const at = (produced + filled) % blockBytes.length
        const take = Math.min(n - filled, blockBytes.length - at)
        window.set(blockBytes.subarray(at, at + take), filled)
        filled += take
      }
      produced += n
      const ends = s.push(window.subarray(0, n), produced === total)
      seen += ends.length
      if (ends.length > 0) last = ends[ends.length - 1]!
    }
    expect(seen).toBe(1_000_000)
    expect(s.recordsSeen).toBe(1_000_000)
    expect(last).toBe(total)
  })
})
