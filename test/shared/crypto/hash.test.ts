import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from '../../../shared/crypto/encoding.ts'
import {
  HMAC_KEY_CACHE_LIMIT,
  hmac,
  hmacKey,
  md5,
  md5Base64,
  md5Hex,
  sha256,
  sha256Hex,
} from '../../../shared/crypto/hash.ts'

const repeat = (byte: number, n: number) => new Uint8Array(n).fill(byte)

describe('sha256', () => {
  it('hashes the empty string to the well-known digest', async () => {
    expect(await sha256Hex('')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
  })

  it('hashes "abc" (FIPS 180-2 example) the same from a string or its bytes', async () => {
    const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    expect(await sha256Hex('abc')).toBe(expected)
    expect(toHex(await sha256(utf8('abc')))).toBe(expected)
  })
})

describe('md5', () => {
  it('hashes the empty string to d41d8cd98f00b204e9800998ecf8427e', async () => {
    expect(await md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e')
    expect(await md5Base64('')).toBe('1B2M2Y8AsgTpgAmY7PhCfg==')
  })

  it('hashes RFC 1321 and pangram examples', async () => {
    expect(await md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72')
    expect(toHex(await md5(utf8('The quick brown fox jumps over the lazy dog')))).toBe(
      '9e107d9d372bb6826bd81d3542a419d6',
    )
  })
})

describe('hmac', () => {
  it('reproduces the RFC 2202 HMAC-SHA1 vectors', async () => {
    const vectors: [Uint8Array | string, Uint8Array | string, string][] = [
      [repeat(0x0b, 20), 'Hi There', 'b617318655057264e28bc0b6fb378c8ef146be00'],
      ['Jefe', 'what do ya want for nothing?', 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'],
      [repeat(0xaa, 20), repeat(0xdd, 50), '125d7342b9ac11cd91a39af48aa17b4f63f175d3'],
      [
        repeat(0xaa, 80),
        'Test Using Larger Than Block-Size Key - Hash Key First',
        'aa4ae5e15272d00e95705637ce8a3b55ed402112',
      ],
    ]
    for (const [key, msg, expected] of vectors) {
      expect(toHex(await hmac('SHA-1', key, msg))).toBe(expected)
    }
  })

  it('reproduces the RFC 4231 HMAC-SHA256 vectors', async () => {
    const vectors: [Uint8Array | string, Uint8Array | string, string][] = [
      [
        repeat(0x0b, 20),
        'Hi There',
        'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      ],
      [
        'Jefe',
        'what do ya want for nothing?',
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      ],
      [
        repeat(0xaa, 20),
        repeat(0xdd, 50),
        '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
      ],
      [
        repeat(0xaa, 131),
        'Test Using Larger Than Block-Size Key - Hash Key First',
        '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
      ],
    ]
    for (const [key, msg, expected] of vectors) {
      expect(toHex(await hmac('SHA-256', key, msg))).toBe(expected)
    }
  })

  it('accepts the key as an ArrayBuffer too', async () => {
    const key = repeat(0x0b, 20).buffer
    expect(toHex(await hmac('SHA-1', key, 'Hi There'))).toBe(
      'b617318655057264e28bc0b6fb378c8ef146be00',
    )
  })
})

describe('hmacKey cache', () => {
  it('returns the same CryptoKey object for the same secret and hash', async () => {
    const a = await hmacKey('SHA-1', 'cache-secret')
    const b = await hmacKey('SHA-1', 'cache-secret')
    expect(b).toBe(a)
    expect(a.algorithm).toMatchObject({ name: 'HMAC', hash: { name: 'SHA-1' } })
  })

  it('shares one import between concurrent first uses', async () => {
    const [a, b] = await Promise.all([
      hmacKey('SHA-256', 'concurrent-secret'),
      hmacKey('SHA-256', 'concurrent-secret'),
    ])
    expect(b).toBe(a)
  })

  it('keys binary secrets by content, not by object identity', async () => {
    const a = await hmacKey('SHA-256', new Uint8Array([1, 2, 3]))
    const b = await hmacKey('SHA-256', new Uint8Array([1, 2, 3]).buffer)
    expect(b).toBe(a)
  })

  it('keeps separate keys per hash and between string and binary material', async () => {
    const sha1 = await hmacKey('SHA-1', 'split-secret')
    const sha256Key = await hmacKey('SHA-256', 'split-secret')
    expect(sha256Key).not.toBe(sha1)
    // '010203' as text and the bytes 01 02 03 (hex "010203") must not collide.
    const text = await hmacKey('SHA-1', '010203')
    const bytes = await hmacKey('SHA-1', new Uint8Array([1, 2, 3]))
    expect(bytes).not.toBe(text)
  })

  it('evicts the least recently used key once more than the limit are cached', async () => {
    const first = await hmacKey('SHA-1', 'evict-me')
    const kept = await hmacKey('SHA-1', 'keep-me')
    for (let i = 0; i < HMAC_KEY_CACHE_LIMIT - 1; i++) {
      await hmacKey('SHA-1', `filler-${i}`)
      // Touching keep-me on every round keeps it most recently used.
      expect(await hmacKey('SHA-1', 'keep-me')).toBe(kept)
    }
    expect(await hmacKey('SHA-1', 'keep-me')).toBe(kept)
    expect(await hmacKey('SHA-1', 'evict-me')).not.toBe(first)
  })
})
