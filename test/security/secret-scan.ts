import { TEST_ACCOUNTS } from '../fixtures/accounts.ts'
import { KEYS } from '../fixtures/keys.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from '../fixtures/objectstore-credentials.ts'
import { PDS_TOKENS } from '../fixtures/pds.ts'
import { QINIU_CREDENTIALS } from '../fixtures/qiniu-credentials.ts'

/**
 * What must never appear in a response or a log line of the test run (api.md §3, §9): every
 * secret of the fixtures, and the shapes of the credentials and signatures batchgate makes.
 * Runs in Node (the collector, test/security/secrets-collector.ts) and in workerd (its own test).
 */

export interface Matcher {
  name: string
  re: RegExp
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const SECRET_FIELDS = ['secretKey', 'secretAccessKey', 'accessKeySecret', 'accessToken'] as const

/** The fixtures' secrets: provider secrets and tokens, the API keys. */
export function fixtureSecrets(): string[] {
  const fromAccounts = Object.values(TEST_ACCOUNTS).flatMap((a) =>
    SECRET_FIELDS.map((f) => (a as Record<string, unknown>)[f]).filter((v): v is string => typeof v === 'string'),
  )
  const all = [
    ...fromAccounts,
    ...Object.values(KEYS),
    ...PDS_TOKENS,
    ...Object.values(QINIU_CREDENTIALS),
    ...Object.values(S3_CREDENTIALS),
    ...Object.values(OSS_CREDENTIALS),
  ]
  // 'not-the-secret' and the like are wrong secrets the tests configure on purpose: secrets all the same.
  return [...new Set(all)].filter((s) => s.length >= 8)
}

export function secretMatchers(): Matcher[] {
  const qiniuAccessKeys = Object.keys(QINIU_CREDENTIALS).map(escape).join('|')
  return [
    ...fixtureSecrets().map((s, i) => ({ name: `fixture secret #${i + 1}`, re: new RegExp(escape(s)) })),
    { name: 'SigV4 Authorization', re: /AWS4-HMAC-SHA256 Credential=/ },
    { name: 'OSS V4 Authorization', re: /OSS4-HMAC-SHA256/ },
    { name: 'signature parameter', re: /\bSignature=[A-Za-z0-9%+/_-]{8,}/ },
    { name: 'presigned signature', re: /X-(Amz|Oss)-Signature=/i },
    { name: 'S3 V2 / OSS V1 Authorization', re: /\b(AWS|OSS) [\w-]+:[A-Za-z0-9+/]{20,}=*/ },
    { name: 'Qiniu / QBox Authorization', re: /\b(Qiniu|QBox) [\w-]+:[A-Za-z0-9_-]{20,}/ },
    // Access token, upload token, download token: "<access key>:<urlsafe base64 HMAC-SHA1>…".
    { name: 'Qiniu token', re: new RegExp(`\\b(${qiniuAccessKeys}):[A-Za-z0-9_-]{27}=`) },
    { name: 'private download token', re: /[?&]token=[\w-]+:[A-Za-z0-9_-]{20,}/ },
    { name: 'Bearer API key', re: /Bearer bg_/ },
  ]
}

export interface Finding {
  where: string
  matcher: string
  /** The text around the match, every match of every matcher replaced by [REDACTED]. */
  excerpt: string
}

const redactAll = (text: string, matchers: readonly Matcher[]) =>
  matchers.reduce((t, m) => t.replace(new RegExp(m.re.source, m.re.flags.includes('g') ? m.re.flags : `${m.re.flags}g`), '[REDACTED]'), text)

/** The findings in one recorded text (a body, a header line or a log line). */
export function scan(text: string, where: string, matchers: readonly Matcher[]): Finding[] {
  const findings: Finding[] = []
  for (const m of matchers) {
    const hit = m.re.exec(text)
    if (!hit) continue
    const from = Math.max(0, hit.index - 80)
    const around = text.slice(from, hit.index + hit[0].length + 80).replace(/\s+/g, ' ')
    findings.push({ where, matcher: m.name, excerpt: redactAll(around, matchers) })
  }
  return findings
}
