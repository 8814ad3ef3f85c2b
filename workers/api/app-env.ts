import type { RequestIdVariables } from 'hono/request-id'
import type { Principal } from '../../shared/auth/api-keys.ts'

export interface AppEnv {
  Bindings: Env
  Variables: RequestIdVariables & { principal: Principal }
}
