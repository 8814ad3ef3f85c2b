import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { KEYS } from '../fixtures/keys.ts'
import { batch, unique } from '../helpers.ts'

const copy = (dest: string) => ({ op: 'copy', bucket: 'demo', key: 'src.txt', destination: { bucket: 'backup', key: dest } })

beforeEach(async () => {
  await env.DEMO_BUCKET.put('src.txt', 'v1')
})

describe('Idempotency-Key on POST /v1/batch', () => {
  it('replays the first answer without touching the provider again', async () => {
    const key = unique('idem')
    const dest = unique('dest')
    const first = await batch('local', [copy(dest)], { headers: { 'Idempotency-Key': key } })
    expect(first.status).toBe(200)
    // Were the copy executed again, overwrite:false would now answer DestinationExists (207).
    await env.BACKUP_BUCKET.put(dest, 'changed since')
    const second = await batch('local', [copy(dest)], { headers: { 'Idempotency-Key': key } })
    expect(second.status).toBe(200)
    expect(second.text).toBe(first.text)
    expect(second.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await (await env.BACKUP_BUCKET.get(dest))?.text()).toBe('changed since')
  })

  it('treats a respelt body with the same content as the same request', async () => {
    const key = unique('idem')
    const dest = unique('dest')
    const first = await batch('local', [copy(dest)], { headers: { 'Idempotency-Key': key } })
    const reordered = { destination: { key: dest, bucket: 'backup' }, key: 'src.txt', bucket: 'demo', op: 'copy' }
    const second = await batch('local', [reordered], { headers: { 'Idempotency-Key': key } })
    expect(second.text).toBe(first.text)
  })

  it('answers 409 IdempotencyConflict for the same key with a different body', async () => {
    const key = unique('idem')
    await batch('local', [copy(unique('a'))], { headers: { 'Idempotency-Key': key } })
    const r = await batch('local', [copy(unique('b'))], { headers: { 'Idempotency-Key': key } })
    expect(r.status).toBe(409)
    expect(r.json).toMatchObject({ code: 'IdempotencyConflict', status: 409 })
  })

  it('answers 409 RequestInProgress while a call under the key is still running', async () => {
    const key = unique('idem')
    const dest = unique('dest')
    const { canonicalJson } = await import('../../shared/canonical-json.ts')
    const { sha256Hex } = await import('../../shared/crypto/hash.ts')
    const operations = [{ ...copy(dest), overwrite: undefined }]
    const hash = await sha256Hex(canonicalJson({ route: 'POST /v1/batch', account: 'local', operations: [copy(dest)] }))
    // Claim the key as a concurrent call would, then send the same request.
    const store = env.IDEMPOTENCY.getByName(JSON.stringify(['acme', key]))
    expect(await store.begin(hash)).toEqual({ state: 'new' })
    const r = await batch('local', operations.map(({ overwrite: _o, ...op }) => op), { headers: { 'Idempotency-Key': key } })
    expect(r.status).toBe(409)
    expect(r.json.code).toBe('RequestInProgress')
    expect(await env.BACKUP_BUCKET.head(dest)).toBeNull()
  })

  it('scopes keys to the tenant', async () => {
    const key = unique('idem')
    await batch('local', [copy(unique('a'))], { headers: { 'Idempotency-Key': key } })
    const other = await batch('local', [copy(unique('b'))], { key: KEYS.otherTenant, headers: { 'Idempotency-Key': key } })
    expect(other.status).toBe(200)
  })
})
