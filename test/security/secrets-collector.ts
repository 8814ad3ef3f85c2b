import { createServer } from 'node:http'
import { TEST_HOST } from '../fixtures/loopback.ts'
import { COLLECTOR_PORT, type RecordBatch } from './collector-protocol.ts'
import { scan, secretMatchers, type Finding } from './secret-scan.ts'

/**
 * The secrets collector of the test run, started by globalSetup: every test file's recorder
 * (test/security/record-setup.ts, a vitest setupFiles module) posts what the Worker answered and
 * what was logged in workerd; each text is scanned on arrival (nothing is kept but findings and
 * counts), and the teardown fails the run naming every finding, its secret redacted.
 *
 * Covered: every vitest file — answers that pass through the Worker's default export (the test
 * helpers' `call`, `exports.default.fetch`, the console tests' pages) and every console line of the
 * workerd isolate (Worker, Durable Objects, queue and cron handlers, tests). Not covered here:
 * answers of a `createApp()` instance a test calls directly (a few console and rate-limit tests;
 * their logs are covered), the example producer Worker (its own isolate), and the Node-side runs
 * after vitest — test/console/*.node-test.ts check their own pages, URLs and every line the real
 * workerd logged for the API key (console.node-test.ts), the emulator self-tests run no gateway
 * code, and the bench is not a test.
 */
export interface SecretsCollector {
  /** Stops listening; throws if a secret was seen, or if no test file reported at all. */
  finish(): Promise<void>
  close(): Promise<void>
}

const MAX_FINDINGS_SHOWN = 30

export async function startSecretsCollector(host = TEST_HOST, port = COLLECTOR_PORT): Promise<SecretsCollector> {
  const matchers = secretMatchers()
  const any = new RegExp(matchers.map((m) => `(?:${m.re.source})`).join('|'), 'i')
  const findings: Finding[] = []
  const counts = { files: 0, responses: 0, logLines: 0, texts: 0, bytes: 0 }
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/record') {
      res.writeHead(404).end()
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      try {
        const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordBatch
        // Answered before the scan, so a test file's teardown never waits for it.
        res.writeHead(204).end()
        if (batch.fileDone) counts.files++
        counts.responses += batch.responses
        for (const t of batch.texts) {
          counts.texts++
          counts.bytes += t.text.length
          if (t.kind === 'log') counts.logLines++
          // One pass with every matcher at once; the texts that hit are examined matcher by matcher.
          if (any.test(t.text)) findings.push(...scan(t.text, `${batch.file}: ${t.where}`, matchers))
        }
      } catch (e) {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`not a record batch: ${(e as Error).message}`)
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `${host}:${port} is already taken (another test run?)` : e.message, { cause: e })),
    )
    server.listen(port, host, () => resolve())
  })
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return {
    close,
    async finish() {
      await close()
      const summary = `${counts.files} test file(s), ${counts.responses} Worker responses, ${counts.logLines} log lines, ${(counts.bytes / 1048576).toFixed(1)} MiB`
      if (findings.length > 0) {
        const shown = findings.slice(0, MAX_FINDINGS_SHOWN).map((f) => `  - ${f.matcher} in ${f.where}: ${f.excerpt}`)
        const more = findings.length > MAX_FINDINGS_SHOWN ? [`  … and ${findings.length - MAX_FINDINGS_SHOWN} more`] : []
        throw new Error(`secrets check: a secret, token or signature reached a response or a log line (${summary}):\n${[...shown, ...more].join('\n')}`)
      }
      if (counts.files === 0) throw new Error('secrets check: no test file reported to the collector; is test/security/record-setup.ts in setupFiles?')
      process.stderr.write(`secrets check: no secret in ${summary}\n`)
    },
  }
}
