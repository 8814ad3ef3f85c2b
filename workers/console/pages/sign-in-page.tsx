import { Layout } from '../layout.tsx'

/** The sign-in form: a POST body carries the key, so it never lands in a URL, a history or a log. */
export function SignInPage(props: { error?: string; notice?: string; secretConfigured: boolean }) {
  return (
    <Layout title="Sign in">
      <div class="signin card">
        <h1>Sign in to the console</h1>
        {props.notice ? <p class="notice">{props.notice}</p> : null}
        {props.error ? (
          <p class="notice error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/console/sign-in" autocomplete="off">
          <label for="apiKey">API key</label>
          <input id="apiKey" name="apiKey" type="password" required autocomplete="off" spellcheck={false} />
          <p>
            <button type="submit" class="primary">
              Sign in
            </button>
          </p>
        </form>
        <p class="muted">
          The key is checked against <span class="mono">API_KEYS</span> and kept in no cookie: the session holds only its SHA-256, signed.
        </p>
        {props.secretConfigured ? null : (
          <p class="muted" data-testid="secret-note">
            <span class="mono">CONSOLE_SECRET</span> is not set: sessions are signed with a key that lasts only as long as this Worker instance.
          </p>
        )}
      </div>
    </Layout>
  )
}
