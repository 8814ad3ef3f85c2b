import type { RequestIdVariables } from 'hono/request-id'
import type { Context } from 'hono'
import type { Principal } from '../../shared/auth/api-keys.ts'
import type { ProblemInit } from './problem.ts'

/**
 * Renders an error for the route's clients: problem+json by default; a provider dialect (OSS XML,
 * Qiniu) sets its own with `dialectErrors`, and the one `onError` uses it.
 */
export type ErrorRenderer = (c: Context, problem: ProblemInit, headers: Record<string, string>) => Response

export interface AppEnv {
  Bindings: Env
  Variables: RequestIdVariables & { principal: Principal; errorRenderer?: ErrorRenderer }
}
