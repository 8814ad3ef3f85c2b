import { Hono } from 'hono'
import type { Principal } from '../../../shared/auth/api-keys.ts'
import { BatchRequest } from '../../../shared/schemas/batch.ts'
import { parseWith } from '../../../shared/schemas/issues.ts'
import { planBatch, runBatch } from '../../runtime/batch.ts'
import { accounts } from '../../runtime/config.ts'
import type { AppEnv } from '../../api/app-env.ts'
import { demoSeed } from '../../api/middleware/demo-seed.ts'
import { page } from '../layout.tsx'
import { PlaygroundPage, type PlaygroundResult } from '../pages/playground-page.tsx'
import { consoleSession } from '../session.ts'

/** The account names a key may use (names only: settings and credentials never reach a page). */
function usableAccounts(env: Env, principal: Principal): string[] {
  if (!principal.accounts.includes('*')) return [...principal.accounts]
  const all = accounts(env)
  return all.ok ? Object.keys(all.value).sort() : []
}

function example(account: string): string {
  const operations = [
    { op: 'stat', bucket: 'demo', key: 'photos/2024/cat.jpg' },
    { op: 'copy', bucket: 'demo', key: 'photos/2024/cat.jpg', destination: { bucket: 'backup', key: 'cat.jpg' }, overwrite: true },
    { op: 'stat', bucket: 'demo', key: 'no/such/key.jpg' },
  ]
  return `{\n  "account": ${JSON.stringify(account)},\n  "operations": [\n${operations.map((o) => `    ${JSON.stringify(o)}`).join(',\n')}\n  ]\n}`
}

/** Everything that can refuse the batch before it runs, as `POST /v1/batch` refuses it. */
function plan(env: Env, principal: Principal, text: string) {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    return { refusal: { title: 'The body is not valid JSON; nothing was executed', errors: [{ path: 'body', message: (err as Error).message }] } }
  }
  const parsed = parseWith(BatchRequest, json)
  if (!parsed.success) return { refusal: { title: 'The request is invalid; nothing was executed', errors: parsed.errors } }
  const { account, operations } = parsed.data
  const planned = planBatch(env, principal, account, operations)
  if (planned.ok) return { plan: planned }
  switch (planned.reason) {
    case 'forbidden':
      return { refusal: { title: 'This API key may not use that account', errors: [{ path: 'account', message: `account "${account}"` }] } }
    case 'configuration':
      return { refusal: { title: 'The gateway is misconfigured', errors: [{ path: 'account', message: planned.detail }] } }
    case 'misconfigured':
      return { refusal: { title: `Account "${account}" is misconfigured`, errors: planned.errors } }
    default:
      return { refusal: { title: 'The request is invalid; nothing was executed', errors: planned.errors } }
  }
}

/** `/console/playground`: runs a unified batch through the same plan and engine as `POST /v1/batch`. */
export const playgroundRoutes = new Hono<AppEnv>()
  // demoSeed as on /v1: under `npm start` the example batch finds the demo objects.
  .use(consoleSession(), demoSeed())
  .get('/', (c) => {
    const principal = c.get('principal')
    const names = usableAccounts(c.env, principal)
    const first = names.includes('local') ? 'local' : (names[0] ?? 'local')
    return page(c, <PlaygroundPage principal={principal} accounts={names} body={example(first)} />)
  })
  .post('/', async (c) => {
    const principal = c.get('principal')
    const form = await c.req.parseBody()
    const text = typeof form.body === 'string' ? form.body : ''
    const planned = plan(c.env, principal, text)
    let result: PlaygroundResult
    if (planned.plan) result = { answer: await runBatch(planned.plan, c.get('requestId')) }
    else result = { refusal: planned.refusal }
    return page(c, <PlaygroundPage principal={principal} accounts={usableAccounts(c.env, principal)} body={text} result={result} />, result.refusal ? 400 : 200)
  })
