import * as z from 'zod'

/** UTF-8 byte length without encoding: counted from UTF-16 code units (a pair is 4 bytes). */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2
      i++
    } else n += 2
  }
  return n
}

// Control characters other than tab would let an argument smuggle a header line into a provider
// request, so header-bound values refuse them at the edge.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
/**
 * The characters of a bucket name on every provider (S3 incl. legacy names, OSS, Qiniu, CTYun, R2;
 * PDS drive ids are digits). Anything else could change the URL a bucket lands in: on
 * virtual-hosted addressing the bucket is part of the host, so "evil.example#" would send a
 * signed request elsewhere.
 */
const BUCKET_CHARS = /^[A-Za-z0-9._-]*$/

/** An object key: 1..1,024 UTF-8 bytes, well-formed Unicode, no NUL (every provider refuses those). */
export const ObjectKey = z
  .string()
  .min(1, 'must not be empty')
  // One pass for the three key rules: this runs for every key of every batch.
  .superRefine((s, ctx) => {
    if (!s.isWellFormed()) ctx.addIssue({ code: 'custom', message: 'must be valid UTF-8 (no unpaired surrogates)' })
    if (s.includes('\u0000')) ctx.addIssue({ code: 'custom', message: 'must not contain NUL' })
    if (s.length > 341 && utf8Length(s) > 1024) ctx.addIssue({ code: 'custom', message: 'must be at most 1,024 UTF-8 bytes' })
  })

/**
 * A key prefix or suffix: part of an object key, so a key's rules hold for it — no NUL, at most
 * `max` UTF-8 bytes (unpaired surrogates are refused for every string, see issues.ts).
 */
export const KeyPart = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .superRefine((s, ctx) => {
      if (s.includes('\u0000')) ctx.addIssue({ code: 'custom', message: 'must not contain NUL' })
      if (s.length > max / 3 && utf8Length(s) > max) ctx.addIssue({ code: 'custom', message: `must be at most ${max} UTF-8 bytes` })
    })

export const BucketName = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(BUCKET_CHARS, 'must be letters, digits, ".", "_" and "-" only')

/** A value that ends up in a provider header: printable, bounded. */
export const HeaderValue = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.isWellFormed() && !CONTROL.test(s), 'must not contain control characters')

export const MetadataName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be 1-128 of A-Z a-z 0-9 _ . - (starting alphanumeric)')

const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')

/** An id a provider gave (a version id, a PDS file id, an ETag): 1..max printable characters. */
export const ProviderId = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${thousands(max)} characters`)
    .refine((s) => s.isWellFormed() && !CONTROL.test(s), 'must not contain control characters')

export const VersionId = ProviderId(1024)

export const Days = (min: number, max: number) =>
  z
    .number()
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
