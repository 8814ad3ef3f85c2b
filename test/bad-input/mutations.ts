import * as z from 'zod'
import { formatPath } from '../../shared/schemas/issues.ts'

/**
 * Bad bodies generated from a route's own zod schema: its JSON Schema (`z.toJSONSchema`, the
 * document /openapi.json is made of) is walked beside one valid example body, and every property
 * path of the example — and every optional property the example leaves out — gets each mutation
 * the schema says is wrong: removed when required, each wrong JSON type, an unknown neighbour
 * (objects are strict), strings one past their length limits, with NUL, with an unpaired surrogate,
 * not matching their pattern or format, numbers past their bounds or not integers, enum and const
 * values that are not allowed, arrays one short or one long, record keys that break the key rules.
 *
 * JSON Schema cannot say everything zod checks (refinements such as the 1,024-byte key limit);
 * those are the hand-picked cases' job. What it does say is, by construction, refused by zod.
 */

export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
  items?: JsonSchema
  oneOf?: JsonSchema[]
  anyOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minItems?: number
  maxItems?: number
  pattern?: string
  format?: string
  default?: unknown
}

export interface Mutation {
  /** What was done, e.g. `operations[4].days: above maximum 365`. */
  name: string
  /** The field the answer must name, spelled as the API spells paths. */
  path: string
  /** The mutated body (a JSON value). */
  body: unknown
}

export interface GenerateOptions {
  /**
   * Paths (API spelling) where NUL is a legal character — free text such as a description. Every
   * other string names something a provider stores, and must refuse NUL.
   */
  nulAllowed?: (path: string) => boolean
  /** Only mutate paths for which this holds (the example's other paths stay as they are). */
  only?: (path: string) => boolean
}

type Segment = string | number
const REMOVE = Symbol('remove')
const UNKNOWN_FIELD = 'notAField'

/** The JSON Schema of a route's zod schema, as input (defaults make fields optional). */
export const jsonSchemaOf = (schema: z.ZodType): JsonSchema =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema

/** A copy of `root` with the value at `path` replaced (or removed). */
function replaceAt(root: unknown, path: readonly Segment[], value: unknown): unknown {
  if (path.length === 0) return value
  const [head, ...rest] = path as [Segment, ...Segment[]]
  if (Array.isArray(root)) {
    const copy = [...root]
    if (value === REMOVE && rest.length === 0) copy.splice(head as number, 1)
    else copy[head as number] = replaceAt(root[head as number], rest, value)
    return copy
  }
  const copy = { ...(root as Record<string, unknown>) }
  if (value === REMOVE && rest.length === 0) delete copy[head]
  else copy[head] = replaceAt(copy[head], rest, value)
  return copy
}

/** With a record-key mutation the key itself is new: rename `from` to `to` inside the object at `path`. */
function renameKeyAt(root: unknown, path: readonly Segment[], from: string, to: string): unknown {
  const object = path.reduce<any>((v, s) => v[s], root) as Record<string, unknown>
  const renamed = Object.fromEntries(Object.entries(object).map(([k, v]) => [k === from ? to : k, v]))
  return replaceAt(root, path, renamed)
}

function typesOf(s: JsonSchema): string[] {
  if (s.type !== undefined) return Array.isArray(s.type) ? s.type : [s.type]
  if (s.oneOf || s.anyOf) return [...new Set((s.oneOf ?? s.anyOf ?? []).flatMap(typesOf))]
  if (s.const !== undefined) return [typeof s.const]
  if (s.enum) return [...new Set(s.enum.map((v) => typeof v))]
  return []
}

/** The branch of a oneOf/anyOf that the example takes: the one whose `const` properties it matches. */
function branchOf(s: JsonSchema, value: unknown): JsonSchema {
  const branches = s.oneOf ?? s.anyOf
  if (!branches) return s
  const found = branches.find((b) =>
    Object.entries(b.properties ?? {}).every(([k, p]) => p.const === undefined || (value as Record<string, unknown>)?.[k] === p.const),
  )
  if (!found) throw new Error(`the example matches no branch: ${JSON.stringify(value).slice(0, 200)}`)
  return found
}

const WRONG_TYPES: [string, unknown][] = [
  ['string', 'x'],
  ['number', 7.5],
  ['boolean', true],
  ['null', null],
  ['object', {}],
  ['array', []],
]

function accepts(types: string[], sample: string): boolean {
  if (types.includes(sample)) return true
  // An integer field takes no 7.5, but that is the "not an integer" case, not a type case.
  return sample === 'number' && types.includes('integer')
}

/** Candidates that break a pattern: the first one the pattern refuses. */
function breaking(pattern: string): string | undefined {
  const re = new RegExp(pattern)
  return ['', 'has space', '!bang', '-lead', 'x'.repeat(300), 'ü'].find((c) => !re.test(c))
}

/** Every mutation of `example` that `schema` (a JSON Schema) refuses. */
export function generateMutations(schema: JsonSchema, example: unknown, options: GenerateOptions = {}): Mutation[] {
  const out: Mutation[] = []
  const nulAllowed = options.nulAllowed ?? (() => false)
  const only = options.only ?? (() => true)

  const add = (path: readonly Segment[], what: string, body: unknown, named: readonly Segment[] = path) => {
    const p = formatPath(path)
    if (!only(p)) return
    out.push({ name: `${p}: ${what}`, path: formatPath(named), body })
  }
  const set = (path: readonly Segment[], value: unknown) => replaceAt(example, path, value)

  /** The value-level mutations of a string, number, boolean, array or object at `path`. */
  function walk(s: JsonSchema, value: unknown, path: Segment[]) {
    const node = branchOf(s, value)
    const types = typesOf(node)
    for (const [type, sample] of WRONG_TYPES) if (!accepts(types, type)) add(path, `wrong type ${type}`, set(path, sample))

    if (node.const !== undefined) add(path, `not the constant ${JSON.stringify(node.const)}`, set(path, `${String(node.const)}X`))
    if (node.enum) add(path, 'not in the enum', set(path, `${String(node.enum[0])}X`))

    if (types.includes('string') && node.const === undefined && node.enum === undefined) stringCases(node, value, path, (v) => set(path, v))
    if (types.includes('integer') || types.includes('number')) numberCases(node, types, path)
    if (types.includes('array') && Array.isArray(value)) arrayCases(node, value, path)
    if (types.includes('object') && value !== null && typeof value === 'object' && !Array.isArray(value))
      objectCases(node, value as Record<string, unknown>, path)
  }

  function stringCases(s: JsonSchema, value: unknown, path: Segment[], put: (v: string) => unknown, label = '') {
    const base = typeof value === 'string' && value !== '' ? value : 'a'
    if (s.maxLength !== undefined) add(path, `${label}longer than ${s.maxLength}`, put('k'.repeat(s.maxLength + 1)))
    if (s.minLength !== undefined && s.minLength > 0) add(path, `${label}shorter than ${s.minLength}`, put('k'.repeat(s.minLength - 1)))
    if (!nulAllowed(formatPath(path))) add(path, `${label}with NUL`, put(`${base}\u0000`))
    add(path, `${label}with an unpaired surrogate`, put(`${base}\ud800`))
    add(path, `${label}with a lone low surrogate`, put(`\udc00${base}`))
    if (s.pattern !== undefined) {
      const bad = breaking(s.pattern)
      if (bad !== undefined) add(path, `${label}not matching ${s.pattern}`, put(bad))
    }
    if (s.format === 'date-time') add(path, `${label}not a date-time`, put('yesterday'))
  }

  function numberCases(s: JsonSchema, types: string[], path: Segment[]) {
    if (types.includes('integer')) add(path, 'not an integer', set(path, (s.minimum ?? 0) + 0.5))
    if (s.minimum !== undefined) add(path, `below minimum ${s.minimum}`, set(path, s.minimum - 1))
    if (s.maximum !== undefined) add(path, `above maximum ${s.maximum}`, set(path, s.maximum + 1))
    if (s.exclusiveMinimum !== undefined) add(path, `at exclusive minimum ${s.exclusiveMinimum}`, set(path, s.exclusiveMinimum))
    if (s.exclusiveMaximum !== undefined) add(path, `at exclusive maximum ${s.exclusiveMaximum}`, set(path, s.exclusiveMaximum))
  }

  function arrayCases(s: JsonSchema, value: unknown[], path: Segment[]) {
    if (s.minItems !== undefined && s.minItems > 0) add(path, `fewer than ${s.minItems} items`, set(path, value.slice(0, s.minItems - 1)))
    if (s.maxItems !== undefined && value.length > 0)
      add(path, `more than ${s.maxItems} items`, set(path, Array.from({ length: s.maxItems + 1 }, (_, i) => value[i % value.length])))
    if (s.items) value.forEach((item, i) => walk(s.items as JsonSchema, item, [...path, i]))
  }

  function objectCases(s: JsonSchema, value: Record<string, unknown>, path: Segment[]) {
    const required = new Set(s.required ?? [])
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      const at = [...path, name]
      if (name in value) {
        if (required.has(name)) add(at, 'removed (required)', set(at, REMOVE))
        walk(prop, value[name], at)
      } else {
        // An optional property the example leaves out: each wrong type of it, alone.
        for (const [type, sample] of WRONG_TYPES) if (!accepts(typesOf(prop), type)) add(at, `added with wrong type ${type}`, set(at, sample))
      }
    }
    if (s.additionalProperties === false) add([...path, UNKNOWN_FIELD], 'unknown field', set([...path, UNKNOWN_FIELD], 1))
    else if (typeof s.additionalProperties === 'object') {
      // A record: its values by their schema, its keys by propertyNames.
      const entries = Object.entries(value)
      for (const [k, v] of entries) walk(s.additionalProperties, v, [...path, k])
      const [first] = entries
      if (first && s.propertyNames) {
        const [k] = first
        const keySchema = s.propertyNames
        const put = (bad: string) => renameKeyAt(example, path, k, bad)
        // The answer names the key it refused, so each case is expected at its own new key's path.
        const addKey = (what: string, bad: string) => {
          if (!only(formatPath([...path, bad]))) return
          out.push({ name: `${formatPath(path)}: key ${what}`, path: formatPath([...path, bad]), body: put(bad) })
        }
        if (keySchema.maxLength !== undefined) addKey(`longer than ${keySchema.maxLength}`, 'k'.repeat(keySchema.maxLength + 1))
        if (keySchema.minLength !== undefined && keySchema.minLength > 0) addKey(`shorter than ${keySchema.minLength}`, 'k'.repeat(keySchema.minLength - 1))
        if (!nulAllowed(formatPath(path))) addKey('with NUL', `${k}\u0000`)
        addKey('with an unpaired surrogate', `${k}\ud800`)
        if (keySchema.pattern !== undefined) {
          const bad = breaking(keySchema.pattern)
          if (bad !== undefined) addKey(`not matching ${keySchema.pattern}`, bad)
        }
      }
    }
  }

  walk(schema, example, [])
  return out
}

/** Every property path (API spelling, array indexes as `[]`) a JSON Schema declares, for coverage checks. */
export function declaredPaths(schema: JsonSchema, prefix: Segment[] = []): Set<string> {
  const out = new Set<string>()
  const visit = (s: JsonSchema, path: Segment[]) => {
    for (const b of s.oneOf ?? s.anyOf ?? []) visit(b, path)
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      out.add(formatPath([...path, name]).replace(/\[\d+\]/g, '[]'))
      visit(prop, [...path, name])
    }
    if (s.items) visit(s.items, [...path, 0])
  }
  visit(schema, prefix)
  return out
}

/** The property paths a set of mutations touched, spelled as {@link declaredPaths} spells them. */
export const mutatedPaths = (mutations: readonly Mutation[]) =>
  new Set(mutations.map((m) => m.name.slice(0, m.name.indexOf(': ')).replace(/\[\d+\]/g, '[]')))
