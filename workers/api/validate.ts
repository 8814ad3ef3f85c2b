import { validator } from 'hono/validator'
import type * as z from 'zod'
import { parseWith } from '../../shared/schemas/issues.ts'
import { problems } from './problem.ts'

/**
 * The one validation hook of the API: a body that parsed as JSON (middleware/json-body.ts) must
 * satisfy its schema, or the answer is a 400 naming every offending field, before any work starts.
 */
export const validateJson = <S extends z.ZodType>(schema: S) =>
  validator('json', (value) => {
    const parsed = parseWith(schema, value)
    if (!parsed.success) throw problems.validation(parsed.errors)
    return parsed.data as z.output<S>
  })
