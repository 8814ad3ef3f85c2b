import type { Principal } from '../../../shared/auth/api-keys.ts'
import type { FieldError } from '../../../shared/schemas/issues.ts'
import type { BatchAnswer } from '../../runtime/batch.ts'
import { Layout } from '../layout.tsx'

export interface PlaygroundResult {
  /** The batch's answer, as POST /v1/batch would give it. */
  answer?: BatchAnswer
  /** Why the batch was refused before anything ran. */
  refusal?: { title: string; errors: FieldError[] }
}

const compact = (v: unknown) => (v === undefined ? '' : JSON.stringify(v))

function Results({ answer }: { answer: BatchAnswer }) {
  const { summary, results } = answer.body
  return (
    <div class="card" data-testid="results">
      <div class="row">
        <h2>
          HTTP {answer.status} · {summary.succeeded} succeeded, {summary.failed} failed of {summary.total}
        </h2>
        <span class="muted mono">request {answer.body.requestId}</span>
      </div>
      <table>
        <thead>
          <tr>
            <th>id</th>
            <th>op</th>
            <th>status</th>
            <th>error</th>
            <th>data</th>
          </tr>
        </thead>
        <tbody>
          {results.map((r) => (
            <tr data-result={r.id} data-status={r.status}>
              <td class="mono">{r.id}</td>
              <td class="mono">{r.op}</td>
              <td>
                <span class={`badge ${r.status >= 200 && r.status < 300 ? 's2xx' : 'sfail'}`}>{r.status}</span>
              </td>
              <td>
                {r.error ? (
                  <>
                    <span class="mono">{r.error.code}</span> <span class="muted">{r.error.message}</span>
                  </>
                ) : null}
              </td>
              <td class="mono">{compact(r.data)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function PlaygroundPage(props: { principal: Principal; accounts: string[]; body: string; result?: PlaygroundResult }) {
  const refusal = props.result?.refusal
  return (
    <Layout title="Batch playground" principal={props.principal}>
      <h1>Batch playground</h1>
      <div class="card">
        <p class="muted">
          A unified batch, as <span class="mono">POST /v1/batch</span> takes it (§5): it runs for real, on the account named. Accounts this key may use:{' '}
          <span class="mono" data-testid="accounts">{props.accounts.join(', ') || 'none'}</span>
        </p>
        <form method="post" action="/console/playground">
          <label for="body">Request body</label>
          <textarea id="body" name="body" spellcheck={false}>
            {props.body}
          </textarea>
          <p>
            <button type="submit" class="primary">
              Run batch
            </button>
          </p>
        </form>
      </div>
      {refusal ? (
        <div class="notice error" role="alert" data-testid="refusal">
          <strong>{refusal.title}</strong>
          <ul>
            {refusal.errors.map((e) => (
              <li>
                <span class="mono">{e.path}</span> {e.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {props.result?.answer ? <Results answer={props.result.answer} /> : null}
    </Layout>
  )
}
