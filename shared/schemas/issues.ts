import * as z from 'zod'

export interface FieldError {
  path: string
  message: string
}

/** `['operations', 3, 'destination', 'key']` → `operations[3].destination.key`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
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
    out.push({ path: formatPath(issue.path), message: issue.message })
  }
  return out
}

export type Parsed<T> = { success: true; data: T } | { success: false; errors: FieldError[] }

/** Parses with the shared error map; every input that crosses into batchgate goes through here. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const r = schema.safeParse(input, { error: errorMap })
  return r.success ? { success: true, data: r.data } : { success: false, errors: fieldErrors(r.error.issues) }
}
