import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { FieldError } from '../../shared/schemas/issues.ts'
import type { Problem } from '../../shared/schemas/problem.ts'

export type ProblemInit = Omit<Problem, 'requestId' | 'type'> & { type?: string }

const typeUri = (code: string) => `https://batchgate.dev/problems/${code.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}`

/** The one error the API throws; `onError` renders it as `application/problem+json` (RFC 9457). */
export class ProblemError extends HTTPException {
  readonly problem: ProblemInit
  /** Response headers the problem needs, such as `Allow` or `Retry-After`. */
  readonly headers: Record<string, string>
  constructor(problem: ProblemInit, headers: Record<string, string> = {}) {
    super(problem.status as ContentfulStatusCode, { message: problem.title })
    this.problem = problem
    this.headers = headers
  }
}

export const problems = {
  validation: (errors: FieldError[]) =>
    new ProblemError({ status: 400, code: 'ValidationFailed', title: 'The request is invalid', detail: `${errors.length} field(s) are invalid; nothing was executed`, errors }),
  malformedJson: (message: string) =>
    new ProblemError({ status: 400, code: 'MalformedJson', title: 'The body is not valid JSON', detail: 'nothing was executed', errors: [{ path: 'body', message }] }),
  unsupportedMediaType: () =>
    new ProblemError({ status: 415, code: 'UnsupportedMediaType', title: 'The body must be application/json' }),
  unauthorized: () =>
    new ProblemError({ status: 401, code: 'Unauthorized', title: 'A valid API key is required', detail: 'send Authorization: Bearer <api key>' }),
  forbiddenAccount: (account: string) =>
    new ProblemError({ status: 403, code: 'AccountForbidden', title: 'This API key may not use that account', detail: `account "${account}"` }),
  notFound: (what = 'The resource') => new ProblemError({ status: 404, code: 'NotFound', title: `${what} was not found` }),
  methodNotAllowed: (allowed: string[]) =>
    new ProblemError({ status: 405, code: 'MethodNotAllowed', title: 'Method not allowed', detail: `allowed: ${allowed.join(', ')}` }, { Allow: allowed.join(', ') }),
  payloadTooLarge: (limit: number) =>
    new ProblemError({ status: 413, code: 'PayloadTooLarge', title: 'The body is too large', detail: `at most ${limit} bytes` }),
  accountMisconfigured: (account: string, errors: FieldError[]) =>
    new ProblemError({ status: 500, code: 'AccountMisconfigured', title: 'An account is misconfigured', detail: `account "${account}": ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}` }),
  configuration: (detail: string) => new ProblemError({ status: 500, code: 'ConfigurationError', title: 'The gateway is misconfigured', detail }),
  internal: () => new ProblemError({ status: 500, code: 'InternalError', title: 'Internal error' }),
}

/** Renders a problem with the request id; the only way an error body leaves batchgate. */
export function problemResponse(c: Context, problem: ProblemInit, headers: Record<string, string> = {}): Response {
  const body: Problem = { type: problem.type ?? typeUri(problem.code), ...problem, requestId: c.get('requestId') ?? '' }
  return c.body(JSON.stringify(body), problem.status as ContentfulStatusCode, { ...headers, 'Content-Type': 'application/problem+json' })
}
