import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { addFault, seedBucket } from '../emulators/control.ts'
import { QINIU_EMULATOR_URL as EMU, TEST_ACCOUNTS } from '../fixtures/accounts.ts'
import { KEYS } from '../fixtures/keys.ts'
import { batch, call, unique } from '../helpers.ts'

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
})
