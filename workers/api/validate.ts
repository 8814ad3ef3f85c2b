import { validator } from 'hono/validator'
import type * as z from 'zod'
import { parseWith } from '../../shared/schemas/issues.ts'
import { problems } from './problem.ts'

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i

/**
 * The one validation hook of the API: a JSON body must be JSON, parse, and satisfy its schema;
 * anything else is a 4xx naming every offending field, before any work starts.
 */
export const validateJson = <S extends z.ZodType>(schema: S) =>
  validator('json', async (_value, c) => {
    if (!JSON_TYPE.test(c.req.header('Content-Type') ?? '')) throw problems.unsupportedMediaType()
    let body: unknown
    try {
      body = JSON.parse(await c.req.text())
    } catch (err) {
      throw problems.malformedJson(err instanceof Error ? err.message : 'unreadable body')
    }
    const parsed = parseWith(schema, body)
    if (!parsed.success) throw problems.validation(parsed.errors)
    return parsed.data as z.output<S>
  })
