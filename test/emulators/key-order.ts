/** Compares keys by their UTF-8 bytes (the order the services list them in). */
export function compareKeys(a: string, b: string): number {
  // UTF-8 byte order is code point order. UTF-16 units compare the same way except that a
  // surrogate (part of a code point above U+FFFF) must sort after U+E000–U+FFFF: shift both
  // ranges, and compare without allocating (listing sorts whole buckets of 100,000s of keys).
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    x = x >= 0xe000 ? x - 0x800 : x >= 0xd800 ? x + 0x2000 : x
    y = y >= 0xe000 ? y - 0x800 : y >= 0xd800 ? y + 0x2000 : y
    return x - y
  }
  return a.length - b.length
}
