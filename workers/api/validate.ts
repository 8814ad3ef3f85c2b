import type { MiddlewareHandler } from 'hono'
import type * as z from 'zod'
import { parseWith } from '../../shared/schemas/issues.ts'
import type { AppEnv } from './app-env.ts'
import { problems } from './problem.ts'

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

// Fatal: a body that is not UTF-8 is refused, not read with U+FFFD in place of its bad bytes (which
// would name a key the caller never wrote). A leading BOM is skipped, as RFC 8259 §8.1 allows.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/**
 * The one validation hook of the API: the body must be JSON (415), parse (400 naming `body`) and
 * satisfy its schema (400 naming every offending field), before any work starts. It parses the
 * body once — hono's own validator would parse it again — and hands the result to
 * `c.req.valid('json')`. `fast`, when given, may vouch for a body first (see batch-fast.ts): what
 * it does not accept, zod decides and words.
 */
export const validateJson = <S extends z.ZodType>(
  schema: S,
  fast?: (body: unknown) => z.output<S> | undefined,
): MiddlewareHandler<AppEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> =>
  async function validateJson(c, next) {
    if (!JSON_TYPE.test(c.req.header('Content-Type') ?? '')) throw problems.unsupportedMediaType()
    let text: string
    try {
      text = utf8.decode(await c.req.arrayBuffer())
    } catch {
      throw problems.malformedJson('the body is not valid UTF-8')
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (err) {
      throw problems.malformedJson(err instanceof Error ? err.message : 'unreadable body')
    }
    const vouched = fast?.(body)
    if (vouched !== undefined) {
      c.req.addValidatedData('json', vouched as object)
      return next()
    }
    const parsed = parseWith(schema, body)
    if (!parsed.success) throw problems.validation(parsed.errors)
    c.req.addValidatedData('json', parsed.data as object)
    await next()
  }
