import { describe, expect, it } from 'vitest'
import { KEYS } from '../fixtures/keys.ts'
import { batch, call } from '../helpers.ts'

const stat = { op: 'stat', bucket: 'demo', key: 'a.txt' }
const isProblem = (r: { headers: Headers; json: any }, status: number, code: string) => {
  expect(r.headers.get('Content-Type')).toBe('application/problem+json')
  expect(r.json).toMatchObject({ status, code, type: expect.stringContaining('https://'), title: expect.any(String), requestId: r.headers.get('X-Request-Id') })
}

describe('operability', () => {
  it('answers /healthz without a key', async () => {
    const r = await call('/healthz', { key: null })
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ ok: true })
    expect(r.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('serves an OpenAPI 3.1 document generated from the validating schemas', async () => {
    const r = await call('/openapi.json', { key: null })
    expect(r.json.openapi).toBe('3.1.0')
    const op = r.json.components.schemas.BatchRequest.properties.operations
    expect(op.maxItems).toBe(1000)
    expect(op.minItems).toBe(1)
    const kinds = op.items.oneOf ?? op.items.anyOf
    expect(kinds.map((k: any) => k.properties.op.const)).toContain('setLifecycle')
    expect(r.json.paths['/v1/batch'].post.responses['207']).toBeDefined()
  })

  it('echoes a well-formed X-Request-Id and replaces one that is not', async () => {
    expect((await call('/healthz', { headers: { 'X-Request-Id': 'abc-123' } })).headers.get('X-Request-Id')).toBe('abc-123')
    expect((await call('/healthz', { headers: { 'X-Request-Id': 'evil\tvalue' } })).headers.get('X-Request-Id')).not.toContain('evil')
  })

  it('answers an unknown route 404 and a wrong method 405, both as problems', async () => {
    const missing = await call('/v2/nothing')
    expect(missing.status).toBe(404)
    isProblem(missing, 404, 'NotFound')
    const wrong = await call('/v1/batch', { method: 'GET' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('Allow')).toBe('POST')
    isProblem(wrong, 405, 'MethodNotAllowed')
    expect((await call('/healthz', { method: 'DELETE' })).status).toBe(405)
  })
})

describe('authentication and accounts', () => {
  it('answers 401 without a key, with an unknown key, or with a malformed header', async () => {
    for (const key of [null, 'bg_not_a_key']) {
      const r = await batch('local', [stat], { key })
      expect(r.status).toBe(401)
      isProblem(r, 401, 'Unauthorized')
    }
    const basic = await call('/v1/batch', { key: null, headers: { Authorization: `Basic ${btoa('a:b')}` }, body: { account: 'local', operations: [stat] } })
    expect(basic.status).toBe(401)
  })

  it('answers 403 when the key may not use the account', async () => {
    const r = await batch('qiniu', [stat], { key: KEYS.localOnly })
    expect(r.status).toBe(403)
    isProblem(r, 403, 'AccountForbidden')
  })

  it('names an unknown account as an invalid field', async () => {
    const r = await batch('nope', [stat])
    expect(r.status).toBe(400)
    expect(r.json.errors).toEqual([{ path: 'account', message: 'unknown account "nope"' }])
  })

  it('names the account and the setting when an account is misconfigured, with no stack trace', async () => {
    const r = await batch('qiniu-broken', [stat])
    expect(r.status).toBe(500)
    isProblem(r, 500, 'AccountMisconfigured')
    expect(r.json.detail).toContain('account "qiniu-broken"')
    expect(r.json.detail).toContain('secretKey')
    expect(r.text).not.toMatch(/at .*\.ts:\d+/)
  })
})

describe('validation', () => {
  it('answers 400 naming every offending field, and runs nothing', async () => {
    const r = await batch('local', [
      stat,
      { op: 'copy', bucket: 'demo', key: 'a.txt', destination: { bucket: 'backup' } },
      { op: 'stat', bucket: 'demo', key: 'k', bogus: true },
      { op: 'delete', bucket: '', key: 'x'.repeat(1025) },
    ])
    expect(r.status).toBe(400)
    isProblem(r, 400, 'ValidationFailed')
    expect(r.json.errors).toEqual([
      { path: 'operations[1].destination.key', message: 'required' },
      { path: 'operations[2].bogus', message: 'unknown field' },
      { path: 'operations[3].bucket', message: 'must not be empty' },
      { path: 'operations[3].key', message: 'must be at most 1,024 UTF-8 bytes' },
    ])
  })

  it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
    const bad = await call('/v1/batch', { raw: '{"account": "local", "operations": [' })
    expect(bad.status).toBe(400)
    isProblem(bad, 400, 'MalformedJson')
    expect(bad.json.errors[0].path).toBe('body')
    const text = await call('/v1/batch', { raw: 'account=local', headers: { 'Content-Type': 'text/plain' } })
    expect(text.status).toBe(415)
  })

  it('answers 413 beyond the body limit', async () => {
    const r = await call('/v1/batch', { raw: `{"account":"local","operations":[],"pad":"${'x'.repeat(13 * 1024 * 1024)}"}` })
    expect(r.status).toBe(413)
    isProblem(r, 413, 'PayloadTooLarge')
  })

  it('refuses an Idempotency-Key that is empty, too long or not visible ASCII', async () => {
    for (const key of ['x'.repeat(65), 'has space']) {
      const r = await batch('local', [stat], { headers: { 'Idempotency-Key': key } })
      expect(r.status).toBe(400)
      expect(r.json.errors[0].path).toBe('headers.Idempotency-Key')
    }
  })
})
