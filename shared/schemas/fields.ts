import * as z from 'zod'

const encoder = new TextEncoder()
export const utf8Length = (s: string): number => encoder.encode(s).length

// Control characters other than tab would let an argument smuggle a header line into a provider
// request, so header-bound values refuse them at the edge.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
// eslint-disable-next-line no-control-regex
const BUCKET_FORBIDDEN = /[\u0000-\u001f\u007f/]/

/** An object key: 1..1,024 UTF-8 bytes, well-formed Unicode, no NUL (every provider refuses those). */
export const ObjectKey = z
  .string()
  .min(1, 'must not be empty')
  .refine((s) => s.isWellFormed(), 'must be valid UTF-8 (no unpaired surrogates)')
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL')
  .refine((s) => utf8Length(s) <= 1024, 'must be at most 1,024 UTF-8 bytes')

export const BucketName = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine((s) => !BUCKET_FORBIDDEN.test(s), 'must not contain "/" or control characters')

/** A value that ends up in a provider header: printable, bounded. */
export const HeaderValue = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.isWellFormed() && !CONTROL.test(s), 'must not contain control characters')

export const MetadataName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be 1-128 of A-Z a-z 0-9 _ . - (starting alphanumeric)')

export const VersionId = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1,024 characters')
  .refine((s) => s.isWellFormed() && !CONTROL.test(s), 'must not contain control characters')

export const Days = (min: number, max: number) =>
  z
    .number()
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
