import { describe, expect, it } from 'vitest'
import { toBase64Url, utf8 } from '../../../shared/crypto/encoding.ts'
import {
  decodeEncodedEntryURI,
  encodeBase64UrlString,
  encodedEntryURI,
} from '../../../shared/crypto/qiniu-entry.ts'

describe('encodedEntryURI', () => {
  // [upstream] Node SDK test/util.test.js "test encodedEntry" (provider-protocols.md §1.2).
  const vectors: [string, string | undefined, string][] = [
    ['qiniuphotos', 'gogopher.jpg', 'cWluaXVwaG90b3M6Z29nb3BoZXIuanBn'],
    ['qiniuphotos', '', 'cWluaXVwaG90b3M6'],
    ['qiniuphotos', undefined, 'cWluaXVwaG90b3M='],
    ['qiniuphotos', '012ts>a', 'cWluaXVwaG90b3M6MDEydHM-YQ=='],
    ['qiniuphotos', '012ts?a', 'cWluaXVwaG90b3M6MDEydHM_YQ=='],
  ]

  for (const [bucket, key, expected] of vectors) {
    it(`encodes ${bucket} with key ${JSON.stringify(key)} as the Node SDK does`, () => {
      expect(encodedEntryURI(bucket, key)).toBe(expected)
    })
  }

  it('encodes the §1.6 batch example entries', () => {
    expect(encodedEntryURI('mybucket', 'a.txt')).toBe('bXlidWNrZXQ6YS50eHQ=')
    expect(encodedEntryURI('mybucket', 'dir/b c.txt')).toBe('bXlidWNrZXQ6ZGlyL2IgYy50eHQ=')
    expect(encodedEntryURI('mybucket', 'a-copy.txt')).toBe('bXlidWNrZXQ6YS1jb3B5LnR4dA==')
  })
})

describe('encodeBase64UrlString', () => {
  it('encodes mime and meta values as padded URL-safe base64 of UTF-8', () => {
    expect(encodeBase64UrlString('text/plain')).toBe('dGV4dC9wbGFpbg==')
    expect(encodeBase64UrlString('alice')).toBe('YWxpY2U=')
    expect(encodeBase64UrlString('七牛')).toBe(toBase64Url(utf8('七牛')))
  })
})

describe('decodeEncodedEntryURI', () => {
  it('reverses every upstream vector, keeping the empty and missing key distinct', () => {
    expect(decodeEncodedEntryURI('cWluaXVwaG90b3M6Z29nb3BoZXIuanBn')).toEqual({
      bucket: 'qiniuphotos',
      key: 'gogopher.jpg',
    })
    expect(decodeEncodedEntryURI('cWluaXVwaG90b3M6')).toEqual({ bucket: 'qiniuphotos', key: '' })
    expect(decodeEncodedEntryURI('cWluaXVwaG90b3M=')).toEqual({ bucket: 'qiniuphotos' })
    expect(decodeEncodedEntryURI('cWluaXVwaG90b3M=').key).toBeUndefined()
    expect(decodeEncodedEntryURI('cWluaXVwaG90b3M6MDEydHM-YQ==').key).toBe('012ts>a')
    expect(decodeEncodedEntryURI('cWluaXVwaG90b3M6MDEydHM_YQ==').key).toBe('012ts?a')
  })

  it('splits at the first colon so keys may contain colons', () => {
    expect(decodeEncodedEntryURI(encodedEntryURI('b', 'x:y:z'))).toEqual({
      bucket: 'b',
      key: 'x:y:z',
    })
    expect(decodeEncodedEntryURI(encodedEntryURI('b', ':'))).toEqual({ bucket: 'b', key: ':' })
  })

  it('round-trips keys with unicode, spaces, +, %, &, newlines and control characters', () => {
    const keys = [
      '七牛/照片 2024.jpg',
      'emoji 😀/ünïcödé',
      'a+b=c',
      '100%/%2F/%zz',
      'q?x=1&y=2#frag',
      'line1\nline2\r\n',
      'ctl\u0000\u0001\u001f\u007f\t',
      '\uFEFFleading-bom',
      ' leading and trailing spaces ',
      '',
    ]
    for (const key of keys) {
      const encoded = encodedEntryURI('bucket-1', key)
      expect(encoded).toMatch(/^[A-Za-z0-9_=-]*$/)
      expect(decodeEncodedEntryURI(encoded)).toEqual({ bucket: 'bucket-1', key })
    }
  })

  it('throws when the entry is not valid UTF-8', () => {
    const invalid = toBase64Url(new Uint8Array([0x62, 0x3a, 0xff, 0xfe]))
    expect(() => decodeEncodedEntryURI(invalid)).toThrow()
  })

  it('throws when the entry is not base64', () => {
    expect(() => decodeEncodedEntryURI('not base64!')).toThrow()
  })
})
