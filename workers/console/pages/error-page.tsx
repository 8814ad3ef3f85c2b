import type { Principal } from '../../../shared/auth/api-keys.ts'
import { Layout } from '../layout.tsx'

/** Any console error: the problem's title and detail (never a stack, a header or a body). */
export function ErrorPage(props: { status: number; title: string; detail?: string | undefined; requestId?: string | undefined; principal?: Principal | undefined }) {
  return (
    <Layout title={props.title} principal={props.principal}>
      <div class="card" data-testid="error">
        <h1>
          {props.status} · {props.title}
        </h1>
        {props.detail ? <p>{props.detail}</p> : null}
        <p>
          <a href="/">Back to the jobs</a>
        </p>
        {props.requestId ? <p class="muted mono">request {props.requestId}</p> : null}
      </div>
    </Layout>
  )
}
