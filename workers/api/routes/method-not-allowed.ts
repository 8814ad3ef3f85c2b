import { problems } from '../problem.ts'

/** The catch-all of a route: its path exists, the method does not (405 with `Allow`). */
export const methodNotAllowed = (...allowed: string[]) => () => {
  throw problems.methodNotAllowed(allowed)
}
