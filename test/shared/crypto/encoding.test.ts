import { describe, expect, it } from 'vitest'
import {
  fromBase64,
  fromBase64Url,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
  utf8Decode,
  utf8ToBase64Url,
} from '../../../shared/crypto/encoding.ts'

function pseudoRandomBytes(length: number): Uint8Array {
  // Deterministic LCG so failures reproduce; covers every byte value many times over.
  const out = new Uint8Array(length)
  let x = 0x12345678
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

describe('utf8 and utf8Decode', () => {
  it('encodes multi-byte characters as UTF-8', () => {
    expect([...utf8('é七😀')]).toEqual([
      0xc3, 0xa9, 0xe4, 0xb8, 0x83, 0xf0, 0x9f, 0x98, 0x80,
    ])
  })

  it('decodes what it encodes, including a leading byte-order mark', () => {
    for (const s of ['', 'plain', '七牛/键 名', '\uFEFFbom-first', 'a\u0000b\n']) {
      expect(utf8Decode(utf8(s))).toBe(s)
    }
  })

  it('throws on invalid UTF-8 instead of substituting U+FFFD', () => {
    expect(() => utf8Decode(new Uint8Array([0x61, 0xff, 0x62]))).toThrow()
    expect(() => utf8Decode(new Uint8Array([0xe4, 0xb8]))).toThrow()
  })

  it('accepts an ArrayBuffer as well as a Uint8Array', () => {
    expect(utf8Decode(utf8('abc').slice().buffer)).toBe('abc')
  })
})

describe('toBase64 and fromBase64', () => {
  it('produces the RFC 4648 test vectors with padding', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ]
    for (const [plain, encoded] of vectors) {
      expect(toBase64(utf8(plain))).toBe(encoded)
      expect(utf8Decode(fromBase64(encoded))).toBe(plain)
    }
  })

  it('round-trips a 100 KB input without overflowing the stack', () => {
    const bytes = pseudoRandomBytes(100 * 1024)
    const encoded = toBase64(bytes)
    expect(encoded.length).toBe(Math.ceil(bytes.length / 3) * 4)
    expect(fromBase64(encoded)).toEqual(bytes)
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes)
  })

  it('round-trips a 1 MB ArrayBuffer', () => {
    const bytes = pseudoRandomBytes(1024 * 1024)
    expect(fromBase64(toBase64(bytes.buffer as ArrayBuffer))).toEqual(bytes)
  })

  it('throws on characters outside both alphabets', () => {
    expect(() => fromBase64('ab$d')).toThrow()
  })
})

describe('utf8ToBase64Url', () => {
  it('equals toBase64Url of TextEncoder bytes for every kind of character, lone surrogates included, at every length near its in-place limit', () => {
    const pieces = ['a', 'é', '文', '😀', '\ud800', '\udc00', '\u0000', '\u07ff', '\u0800', '\uffff', 'z\ud83d']
    const strings = ['', 'bucket:key', ...pieces]
    for (let len = 160; len <= 180; len++) for (const p of pieces) strings.push(p.repeat(Math.ceil(len / p.length)).slice(0, len))
    for (let i = 0; i < 200; i++) strings.push(Array.from({ length: i }, (_, j) => pieces[(i * 7 + j * 3) % pieces.length]).join(''))
    for (const s of strings) expect(utf8ToBase64Url(s), JSON.stringify(s)).toBe(toBase64Url(utf8(s)))
  })
})

describe('toBase64Url and fromBase64Url', () => {
  it('swaps + and / for - and _ but keeps the = padding, as Qiniu expects', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf])
    expect(toBase64(bytes)).toBe('+/+/')
    expect(toBase64Url(bytes)).toBe('-_-_')
    expect(toBase64Url(new Uint8Array([0xff]))).toBe('_w==')
  })

  it('decodes either alphabet, with or without padding', () => {
    const expected = new Uint8Array([0xfb, 0xff, 0xbf, 0xff])
    for (const input of ['-_-__w==', '+/+//w==', '-_-__w', '+/+//w']) {
      expect(fromBase64Url(input)).toEqual(expected)
      expect(fromBase64(input)).toEqual(expected)
    }
  })
})

describe('toHex', () => {
  it('renders lower-case, zero-padded hex', () => {
    expect(toHex(new Uint8Array([0, 1, 0x0f, 0x10, 0xab, 0xff]))).toBe('00010f10abff')
    expect(toHex(new ArrayBuffer(0))).toBe('')
  })
})
