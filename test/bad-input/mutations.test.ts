import * as z from 'zod'
import { describe, expect, it } from 'vitest'
import { illFormedStrings, parseWith } from '../../shared/schemas/issues.ts'
import { generateMutations, jsonSchemaOf } from './mutations.ts'

// The generator's own contract, and the one validation rule no schema spells: unpaired surrogates.

describe('the bad-input generator', () => {
  const Schema = z.strictObject({
    name: z.string().min(1).max(3),
    n: z.number().int().min(0).max(9),
    kind: z.enum(['a', 'b']),
    list: z.array(z.string().max(2)).min(1).max(2),
    tags: z.record(z.string().max(2), z.string()).optional(),
    nested: z.strictObject({ flag: z.boolean() }),
  })
  const example = { name: 'ab', n: 3, kind: 'a', list: ['x'], tags: { t: 'v' }, nested: { flag: true } }

  it('makes each case the schema implies, at the path the answer must name', () => {
    // toWellFormed(): a failure report with an unpaired surrogate in it cannot cross vitest's WebSocket.
    const names = generateMutations(jsonSchemaOf(Schema), example).map((m) => `${m.path} ← ${m.name}`.toWellFormed())
    expect(names).toEqual(
      expect.arrayContaining([
        'name ← name: removed (required)',
        'name ← name: wrong type number',
        'name ← name: longer than 3',
        'name ← name: shorter than 1',
        'name ← name: with NUL',
        'name ← name: with an unpaired surrogate',
        'n ← n: not an integer',
        'n ← n: below minimum 0',
        'n ← n: above maximum 9',
        'n ← n: wrong type string',
        'kind ← kind: not in the enum',
        'list ← list: fewer than 1 items',
        'list ← list: more than 2 items',
        'list[0] ← list[0]: longer than 2',
        'tags.kkk ← tags: key longer than 2',
        'tags.t ← tags.t: wrong type null',
        'nested.flag ← nested.flag: wrong type string',
        'nested.notAField ← nested.notAField: unknown field',
        'notAField ← notAField: unknown field',
      ]),
    )
    // Optional fields are removable, so no "removed" case is made for them.
    expect(names).not.toContain('tags ← tags: removed (required)')
  })

  it('only makes bodies the schema refuses, each naming the mutated path', () => {
    // NUL is a route's policy (examples.ts nulAllowed), not this schema's: z.string() takes it.
    for (const m of generateMutations(jsonSchemaOf(Schema), example, { nulAllowed: () => true })) {
      const parsed = parseWith(Schema, m.body)
      expect(parsed.success, m.name).toBe(false)
      if (!parsed.success) expect(parsed.errors.some((e) => e.path === m.path), `${m.name}: ${JSON.stringify(parsed.errors)}`).toBe(true)
    }
  })
})

describe('ill-formed text', () => {
  it('is named in strings and keys at any depth, 100,000 levels without a stack overflow', () => {
    let deep: unknown = 'a\ud800'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    // Compared well-formed: a failure report with an unpaired surrogate cannot cross vitest's WebSocket.
    const errors = illFormedStrings({ ok: 'fine 😀', deep, ['k\udc00']: 1 }).map((e) => ({ path: e.path.toWellFormed(), message: e.message }))
    expect(errors).toHaveLength(2)
    expect(errors).toContainEqual({ path: 'k\ufffd', message: 'key must be valid UTF-8 (no unpaired surrogates)' })
    expect(errors.find((e) => e.path.startsWith('deep'))?.path === `deep${'[0]'.repeat(100_000)}`).toBe(true)
  })

  it('names at most 1,000 fields of a body full of it', () => {
    expect(illFormedStrings(Array.from({ length: 5000 }, () => '\ud800'))).toHaveLength(1000)
  })

  it('is refused by parseWith beside the schema’s own errors, once per field', () => {
    const parsed = parseWith(z.strictObject({ a: z.string().max(1), b: z.string() }), { a: 'xx\ud800', b: '\udfff' })
    expect(parsed).toEqual({
      success: false,
      errors: [
        { path: 'a', message: 'must be at most 1 character' },
        { path: 'b', message: 'must be valid UTF-8 (no unpaired surrogates)' },
      ],
    })
  })
})
