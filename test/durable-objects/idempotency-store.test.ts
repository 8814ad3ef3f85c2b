import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { IDEMPOTENCY_TTL_MS, IN_PROGRESS_LEASE_MS, type IdempotencyStore } from '../../workers/durable-objects/idempotency-store.ts'
import { unique } from '../helpers.ts'

describe('IdempotencyStore', () => {
  it('claims a new key, then replays the stored answer for the same request', async () => {
    const store = env.IDEMPOTENCY.getByName(unique('store'))
    expect(await store.begin('h1', 1000)).toEqual({ state: 'new' })
    expect(await store.begin('h1', 1001)).toEqual({ state: 'in-progress' })
    expect(await store.complete('h1', 207, '{"x":1}', 1002)).toBe(true)
    expect(await store.begin('h1', 1003)).toEqual({ state: 'replay', status: 207, body: '{"x":1}' })
    expect(await store.begin('h2', 1004)).toEqual({ state: 'conflict' })
  })

  it('lets a retry take over a claim whose call died', async () => {
    const store = env.IDEMPOTENCY.getByName(unique('store'))
    await store.begin('h', 0)
    expect(await store.begin('h', IN_PROGRESS_LEASE_MS + 1)).toEqual({ state: 'new' })
  })

  it('releases a claim abandoned after an error', async () => {
    const store = env.IDEMPOTENCY.getByName(unique('store'))
    await store.begin('h', 0)
    await store.abandon('h')
    expect(await store.begin('other', 1)).toEqual({ state: 'new' })
  })

  it('forgets the record after 24 hours, by its alarm or on the next call', async () => {
    const store = env.IDEMPOTENCY.getByName(unique('store'))
    const created = Date.now() - IDEMPOTENCY_TTL_MS - 1
    await store.begin('h', created)
    await store.complete('h', 200, '{}', created)
    expect(await runDurableObjectAlarm(store)).toBe(true)
    const rows = await runInDurableObject(store, (_instance: IdempotencyStore, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM record').one().n)
    expect(rows).toBe(0)

    const later = env.IDEMPOTENCY.getByName(unique('store'))
    await later.begin('h', 0)
    await later.complete('h', 200, '{}', 0)
    expect(await later.begin('different', IDEMPOTENCY_TTL_MS)).toEqual({ state: 'new' })
  })
})
