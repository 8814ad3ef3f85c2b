import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { batch } from '../helpers.ts'

beforeEach(async () => {
  const listed = await env.DEMO_BUCKET.list()
  await env.DEMO_BUCKET.delete(listed.objects.map((o) => o.key))
  const backup = await env.BACKUP_BUCKET.list()
  await env.BACKUP_BUCKET.delete(backup.objects.map((o) => o.key))
  await env.DEMO_BUCKET.put('a.txt', 'hello', { httpMetadata: { contentType: 'text/plain' }, customMetadata: { author: 'alice' } })
  await env.DEMO_BUCKET.put('b.txt', 'world')
})

describe('POST /v1/batch on the embedded local account (R2)', () => {
  it('stats an object into the unified shape', async () => {
    const r = await batch('local', [{ op: 'stat', bucket: 'demo', key: 'a.txt' }])
    expect(r.status).toBe(200)
    expect(r.json.results[0]).toEqual({
      id: '0',
      op: 'stat',
      status: 200,
      data: {
        size: 5,
        etag: expect.any(String),
        contentType: 'text/plain',
        lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        storageClass: 'STANDARD',
        metadata: { author: 'alice' },
      },
    })
    expect(r.json.summary).toEqual({ total: 1, succeeded: 1, failed: 0 })
    expect(r.json.requestId).toBe(r.headers.get('X-Request-Id'))
  })

  it('copies across buckets keeping content and metadata, and refuses to overwrite unless asked', async () => {
    const first = await batch('local', [{ op: 'copy', bucket: 'demo', key: 'a.txt', destination: { bucket: 'backup', key: 'a.txt' } }])
    expect(first.json.results[0].status).toBe(200)
    const copied = await env.BACKUP_BUCKET.get('a.txt')
    expect(await copied?.text()).toBe('hello')
    expect(copied?.customMetadata).toEqual({ author: 'alice' })

    const again = await batch('local', [
      { op: 'copy', bucket: 'demo', key: 'b.txt', destination: { bucket: 'backup', key: 'a.txt' } },
      { op: 'copy', bucket: 'demo', key: 'b.txt', destination: { bucket: 'backup', key: 'a.txt' }, overwrite: true },
    ])
    expect(again.status).toBe(207)
    expect(again.json.results[0]).toMatchObject({ status: 409, error: { code: 'DestinationExists' } })
    expect(again.json.results[1].status).toBe(200)
    expect(await (await env.BACKUP_BUCKET.get('a.txt'))?.text()).toBe('world')
  })

  it('moves an object: the copy lands and the source is gone', async () => {
    const r = await batch('local', [{ op: 'move', bucket: 'demo', key: 'a.txt', destination: { bucket: 'demo', key: 'moved/a.txt' } }])
    expect(r.json.results[0].status).toBe(200)
    expect(await env.DEMO_BUCKET.head('a.txt')).toBeNull()
    expect(await (await env.DEMO_BUCKET.get('moved/a.txt'))?.text()).toBe('hello')
  })

  it('deletes objects idempotently, a missing key included', async () => {
    const r = await batch('local', [
      { op: 'delete', bucket: 'demo', key: 'a.txt' },
      { op: 'delete', bucket: 'demo', key: 'never-existed' },
    ])
    expect(r.status).toBe(200)
    expect(r.json.results.map((x: { status: number }) => x.status)).toEqual([200, 200])
    expect(await env.DEMO_BUCKET.head('a.txt')).toBeNull()
  })

  it('deletes 1,000 keys in one batch', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `bulk/${i}`)
    await Promise.all(keys.map((k) => env.DEMO_BUCKET.put(k, 'x')))
    const r = await batch('local', keys.map((key) => ({ op: 'delete', bucket: 'demo', key })))
    expect(r.json.summary).toEqual({ total: 1000, succeeded: 1000, failed: 0 })
    expect((await env.DEMO_BUCKET.list({ prefix: 'bulk/' })).objects).toHaveLength(0)
  })

  it('replaces metadata and content type in place', async () => {
    const r = await batch('local', [{ op: 'setMetadata', bucket: 'demo', key: 'a.txt', contentType: 'text/markdown', metadata: { owner: 'bob' } }])
    expect(r.json.results[0].status).toBe(200)
    const head = await env.DEMO_BUCKET.head('a.txt')
    expect(head?.httpMetadata?.contentType).toBe('text/markdown')
    expect(head?.customMetadata).toEqual({ owner: 'bob' })
    expect(await (await env.DEMO_BUCKET.get('a.txt'))?.text()).toBe('hello')
  })

  it('answers NotSupported for kinds R2 lacks while the rest of the batch runs', async () => {
    const r = await batch('local', [
      { op: 'setStorageClass', bucket: 'demo', key: 'a.txt', storageClass: 'IA' },
      { op: 'putTagging', bucket: 'demo', key: 'a.txt', tags: { a: 'b' } },
      { op: 'delete', bucket: 'demo', key: 'b.txt' },
    ])
    expect(r.status).toBe(207)
    expect(r.json.results.map((x: { status: number; error?: { code: string } }) => [x.status, x.error?.code])).toEqual([
      [501, 'NotSupported'],
      [501, 'NotSupported'],
      [200, undefined],
    ])
    expect(await env.DEMO_BUCKET.head('b.txt')).toBeNull()
  })

  it('reports missing objects and buckets per operation', async () => {
    const r = await batch('local', [
      { op: 'stat', bucket: 'demo', key: 'nope' },
      { op: 'stat', bucket: 'no-such-bucket', key: 'a.txt' },
      { op: 'copy', bucket: 'demo', key: 'a.txt', destination: { bucket: 'elsewhere', key: 'a.txt' } },
    ])
    expect(r.json.results.map((x: { error: { code: string } }) => x.error.code)).toEqual(['NoSuchKey', 'NoSuchBucket', 'NoSuchBucket'])
    expect(r.json.summary).toEqual({ total: 3, succeeded: 0, failed: 3 })
  })

  it('refuses a versionId, which R2 objects do not have, before running anything', async () => {
    const r = await batch('local', [
      { op: 'delete', bucket: 'demo', key: 'a.txt' },
      { op: 'stat', bucket: 'demo', key: 'a.txt', versionId: 'v1' },
    ])
    expect(r.status).toBe(400)
    expect(r.json.errors).toEqual([{ path: 'operations[1].versionId', message: 'R2 objects have no versions' }])
    expect(await env.DEMO_BUCKET.head('a.txt')).not.toBeNull()
  })
})
