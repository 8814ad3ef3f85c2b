import * as z from 'zod'

export interface FieldError {
  path: string
  message: string
}

// A path echoes the caller's own keys; a key of megabytes is named by its start and length.
const MAX_SEGMENT = 200
const segment = (part: PropertyKey) => {
  const s = String(part)
  return s.length > MAX_SEGMENT ? `${s.slice(0, MAX_SEGMENT)}…(${s.length} characters)` : s
}

/** `['operations', 3, 'destination', 'key']` → `operations[3].destination.key`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? segment(part) : `.${segment(part)}`
  }
  return out === '' ? 'body' : out
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  record: 'an object',
}

// One place decides how type errors read, so every route says "required" or "must be a string"
// the same way instead of zod's "Invalid input: expected string, received undefined".
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required'
    if (issue.expected === 'int') return 'must be an integer'
    return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`
  }
  // Bounds read as the schemas' own messages do ("must be at most 64 characters"), not as zod's
  // "Too big: expected string to have <=64 characters".
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const small = issue.code === 'too_small'
    const bound = Number(small ? issue.minimum : issue.maximum)
    const word = small ? (issue.inclusive === false ? 'more than' : 'at least') : issue.inclusive === false ? 'less than' : 'at most'
    if (issue.origin === 'string') return small && bound === 1 ? 'must not be empty' : `must be ${word} ${bound} character${bound === 1 ? '' : 's'}`
    if (issue.origin === 'array' || issue.origin === 'set') return `must hold ${word} ${bound} item${bound === 1 ? '' : 's'}`
    if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return `must be ${word} ${bound}`
  }
  return undefined
}

/** Flattens zod issues into one entry per offending field, naming unknown fields one by one. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const out: FieldError[] = []
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown field' })
      continue
    }
    // zod says only "Invalid key in record"; the key schema's own messages say what is wrong with it.
    if (issue.code === 'invalid_key') {
      const why = [...new Set(issue.issues.map((i) => i.message))].join('; ')
      out.push({ path: formatPath(issue.path), message: why ? `invalid key: ${why}` : 'invalid key' })
      continue
    }
    out.push({ path: formatPath(issue.path), message: issue.message })
  }
  return out
}

const ILL_FORMED = 'must be valid UTF-8 (no unpaired surrogates)'
const PROTO = 'must not be named "__proto__"'
/** Enough to name every field of a 1,000-operation batch; a body of a million bad strings gets the first ones. */
const MAX_ILL_FORMED = 1000

/**
 * Every string and object key of a JSON value that is not well-formed Unicode, and every field
 * named "__proto__". JSON can spell an unpaired surrogate (`"\ud800"`), which no UTF-8 encoding
 * holds: stored, signed or compared, it would silently become U+FFFD and name something the caller
 * never wrote. The walk is iterative, so a body nested a hundred thousand levels deep costs no
 * stack.
 */
export function illFormedStrings(input: unknown): FieldError[] {
  type Node = { value: unknown; key: PropertyKey | null; parent: Node | null }
  const pathOf = (n: Node) => {
    const parts: PropertyKey[] = []
    for (let at: Node | null = n; at && at.key !== null; at = at.parent) parts.push(at.key)
    return formatPath(parts.reverse())
  }
  const out: FieldError[] = []
  const stack: Node[] = [{ value: input, key: null, parent: null }]
  const visit = (value: unknown, key: PropertyKey, parent: Node) => {
    if (typeof value === 'string' || (value !== null && typeof value === 'object')) stack.push({ value, key, parent })
  }
  while (stack.length > 0 && out.length < MAX_ILL_FORMED) {
    const node = stack.pop() as Node
    const { value } = node
    if (typeof value === 'string') {
      if (!value.isWellFormed()) out.push({ path: pathOf(node), message: ILL_FORMED })
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) visit(value[i], i, node)
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i] as [string, unknown]
        if (!k.isWellFormed()) out.push({ path: pathOf({ value: v, key: k, parent: node }), message: `key ${ILL_FORMED}` })
        // zod's records skip such a field without a word (it would replace the parsed object's
        // prototype), so a tag or metadata entry of that name would vanish: it is refused instead.
        else if (k === '__proto__') out.push({ path: pathOf({ value: v, key: k, parent: node }), message: PROTO })
        else visit(v, k, node)
      }
    }
  }
  return out
}

export type Parsed<T> = { success: true; data: T } | { success: false; errors: FieldError[] }

/** Parses with the shared error map; every input that crosses into batchgate goes through here. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const r = schema.safeParse(input, { error: errorMap })
  const errors = r.success ? [] : fieldErrors(r.error.issues)
  // Ill-formed text is refused wherever it sits, beside what the schema said about the same field.
  const named = new Set(errors.map((e) => e.path))
  for (const e of illFormedStrings(input)) if (!named.has(e.path)) errors.push(e)
  return r.success && errors.length === 0 ? { success: true, data: r.data } : { success: false, errors }
}
