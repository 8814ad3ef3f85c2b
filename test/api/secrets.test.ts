import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { addFault, seedBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as EMU, TEST_ACCOUNTS } from '../fixtures/accounts.ts'
import { KEYS } from '../fixtures/keys.ts'
import { batch, call, unique } from '../helpers.ts'
import { scan, secretMatchers } from '../security/secret-scan.ts'

// This file drives the paths where a secret is most at hand (every account, wrong secrets, faults)
// and checks its own responses and logs; the whole run's responses and logs are checked by the
// secrets collector (test/security/secrets-collector.ts), whose scanner and recorder are tested here.

const logged: string[] = []
const seen: string[] = []
const spies: ReturnType<typeof vi.spyOn>[] = []

beforeAll(() => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
    spies.push(vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))))
})
afterAll(() => spies.forEach((s) => s.mockRestore()))

async function record(r: Promise<{ text: string; headers: Headers; status: number }>) {
  const res = await r
  seen.push(res.text, ...[...res.headers].map(([k, v]) => `${k}: ${v}`))
  return res
}

describe('secrets', () => {
  it('never puts a secret key, an API key, a token or a signature in a response or a log line', async () => {
    const b = unique('secrets')
    await seedBucket(EMU, b, [{ key: 'k' }, { key: 'dest' }])
    await addFault(EMU, { bucket: b, kind: 'op', key: 'k', code: 573 })
    await record(batch('qiniu', [{ op: 'stat', bucket: b, key: 'k' }, { op: 'copy', bucket: b, key: 'k', destination: { bucket: b, key: 'dest' } }]))
    await record(batch('qiniu-qbox', [{ op: 'stat', bucket: b, key: 'nope' }]))
    await record(batch('qiniu-wrong-secret', [{ op: 'stat', bucket: b, key: 'k' }]))
    await record(batch('qiniu-broken', [{ op: 'stat', bucket: b, key: 'k' }]))
    await record(batch('qiniu', [{ op: 'stat', bucket: b, key: 'k' }], { key: 'bg_wrong_key' }))
    await record(batch('qiniu', [{ op: 'stat', bucket: b, key: 'k' }], { key: KEYS.localOnly }))
    await record(batch('local', [{ op: 'stat', bucket: 'demo', key: 'k' }], { headers: { 'Idempotency-Key': unique('k') } }))
    for (const account of ['s3', 's3-v2', 'ctyun', 'ctyun-v4', 'oss', 'oss-v1', 's3-wrong-secret', 'oss-wrong-secret', 'pds', 'pds-wrong-token'])
      await record(batch(account, [{ op: 'stat', bucket: b, key: 'k' }, { op: 'delete', bucket: b, key: 'k' }]))
    await record(call('/v1/batch', { raw: '{nope' }))
    await record(call('/openapi.json'))
    await record(call('/nowhere'))

    const haystackFindings = [...seen, ...logged].flatMap((t) => scan(t, 'this test', secretMatchers()))
    expect(haystackFindings).toEqual([])
    const secrets = [
      ...Object.values(TEST_ACCOUNTS).flatMap((a) =>
        [a as Record<string, unknown>].flatMap((x) => ['secretKey', 'secretAccessKey', 'accessKeySecret', 'accessToken'].map((f) => x[f]).filter((v): v is string => typeof v === 'string')),
      ),
      ...Object.values(KEYS),
      'bg_wrong_key',
    ]
    const haystack = [...seen, ...logged].join('\n')
    expect(logged.length).toBeGreaterThan(0)
    for (const secret of secrets) expect(haystack).not.toContain(secret)
    // No Qiniu token of any account, nor anything shaped like one, nor an Authorization header.
    expect(secrets.length).toBeGreaterThanOrEqual(12)
    expect(haystack).not.toMatch(/(Qiniu|QBox) qn-[a-z-]+:/)
    expect(haystack).not.toMatch(/AWS4-HMAC-SHA256|OSS4-HMAC-SHA256|Signature=|\bAWS [a-z0-9-]+:|\bOSS [a-z0-9-]+:/)
    expect(haystack).not.toMatch(/[A-Za-z0-9_-]{27}=/)
    expect(haystack).not.toMatch(/^authorization:/im)
    expect(haystack).not.toMatch(/Bearer bg_/)
  })

  it('finds every secret of the fixtures and every credential shape, and redacts them in what it reports', () => {
    const matchers = secretMatchers()
    const samples = [
      ...Object.values(KEYS),
      'qn-test-sk',
      'oss-test-secret',
      'pds-test-token-0123456789',
      'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc',
      'authorization: OSS4-HMAC-SHA256 Credential=ak/20240101/cn-hangzhou/oss/aliyun_v4_request,Signature=0123456789abcdef',
      'https://b.s3.test/k?X-Amz-Signature=0123456789abcdef',
      'Authorization: AWS s3-test-ak:frJIUN8DYpKDtOLCwo//yllqDzg=',
      'Authorization: OSS oss-test-ak:frJIUN8DYpKDtOLCwo//yllqDzg=',
      'Authorization: Qiniu qn-test-ak:5cJiCs4OLrD8n4vsBLFYymJMgOQ=',
      'Authorization: QBox qn-qbox-ak:5cJiCs4OLrD8n4vsBLFYymJMgOQ=',
      'token qn-test-ak:5cJiCs4OLrD8n4vsBLFYymJMgOQ=:eyJzY29wZSI6ImIiLCJkZWFkbGluZSI6MX0=',
      'http://io.test/k?e=1700000000&token=qn-other-ak:5cJiCs4OLrD8n4vsBLFYymJMgOQ=',
      'Authorization: Bearer bg_anything',
    ]
    for (const text of samples) {
      const found = scan(`before ${text} after`, 'sample', matchers)
      expect(found.length, text).toBeGreaterThan(0)
      for (const f of found) {
        expect(f.excerpt).toContain('[REDACTED]')
        for (const secret of [...Object.values(KEYS), 'qn-test-sk', 'oss-test-secret', 'pds-test-token-0123456789', 'frJIUN8DYpKDtOLCwo']) expect(f.excerpt).not.toContain(secret)
      }
    }
    // What batchgate does show is not flagged: access key ids, request ids, ETags, problem documents.
    const clean = ['{"accessKeyId":"s3-test-ak"}', 'X-Request-Id: 9b2f0f9e-6f6e-4b7c-9a55-1f8a2d9f0c11', 'etag: "d41d8cd98f00b204e9800998ecf8427e"', 'hash Fto5o-5ea0sNMlW_75VgGJCv2AcJ', 'A valid API key is required: send Authorization: Bearer <api key>']
    for (const text of clean) expect(scan(text, 'clean', matchers), text).toEqual([])
  })

  it('records each Worker answer and each console line, even one a test has silenced with a spy', async () => {
    const state = (globalThis as Record<symbol, { texts: { kind: string; where: string; text: string }[] } | undefined>)[Symbol.for('batchgate.secrets-recorder')]
    expect(state, 'test/security/record-setup.ts is a setupFiles module').toBeDefined()
    const marker = unique('recorded')
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {})
    console.warn('silenced', marker)
    spy.mockRestore()
    const r = await call(`/nowhere/${marker}`)
    expect(r.status).toBe(404)
    const texts = state!.texts
    expect(texts).toContainEqual({ kind: 'log', where: 'console.warn', text: `silenced ${marker}` })
    expect(texts).toContainEqual(expect.objectContaining({ kind: 'response', where: `GET /nowhere/${marker} → 404 (headers)` }))
    await vi.waitFor(() => expect(texts).toContainEqual({ kind: 'response', where: `GET /nowhere/${marker} → 404 (body)`, text: r.text }))
  })
})
