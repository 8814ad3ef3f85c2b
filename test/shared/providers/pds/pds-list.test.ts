import { describe, expect, it } from 'vitest'
import { ObjectIOError } from '../../../../shared/engine/types.ts'
import { PdsAccount } from '../../../../shared/providers/pds/pds-account.ts'
import { buildPdsListRequest, createPdsLister, decodePdsCursor, encodePdsCursor, parsePdsListAnswer } from '../../../../shared/providers/pds/pds-list.ts'

const account = PdsAccount.parse({ provider: 'pds', endpoint: 'https://d1.api.aliyunpds.com', accessToken: 'tok' })

describe('PDS list requests and answers', () => {
  it('posts {drive_id, parent_file_id, limit, marker?} with the Bearer token', async () => {
    const req = buildPdsListRequest(account, 'drv', 'root', '', 100)
    expect([req.method, req.url, req.headers.get('Authorization'), req.headers.get('Content-Type')]).toEqual(['POST', 'https://d1.api.aliyunpds.com/v2/file/list', 'Bearer tok', 'application/json'])
    expect(await req.json()).toEqual({ drive_id: 'drv', parent_file_id: 'root', limit: 100 })
    expect(await buildPdsListRequest(account, 'drv', 'f1', 'm2', 7).json()).toEqual({ drive_id: 'drv', parent_file_id: 'f1', limit: 7, marker: 'm2' })
  })

  it('splits an answer into files (key = file id, name, size, update time, content hash) and folders', () => {
    const page = parsePdsListAnswer({
      items: [
        { file_id: 'f1', name: '报告.csv', type: 'file', size: 12, created_at: '2024-01-01T00:00:00Z', updated_at: '2024-02-02T00:00:00.000Z', content_hash: 'ABC' },
        { file_id: 'd1', name: 'dir', type: 'folder' },
      ],
      next_marker: 'nm',
    })
    expect(page).toEqual({ files: [{ key: 'f1', name: '报告.csv', size: 12, lastModified: '2024-02-02T00:00:00.000Z', etag: 'ABC' }], folders: ['d1'], nextMarker: 'nm' })
    expect(() => parsePdsListAnswer({ next_marker: '' })).toThrow(ObjectIOError)
  })

  it('keeps the walk in an opaque cursor that decodes back, and refuses one it did not make', () => {
    const state = { folder: 'f9', marker: 'm+/=', pending: ['a', 'b'] }
    const cursor = encodePdsCursor(state)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+=*$/)
    expect(decodePdsCursor(cursor)).toEqual(state)
    for (const bad of ['', 'nope', encodePdsCursor({ folder: '', marker: '', pending: [] })]) expect(() => decodePdsCursor(bad)).toThrow(ObjectIOError)
  })
})

describe('createPdsLister', () => {
  it('walks sub-folders depth first, carrying folder markers across pages', async () => {
    // root: f1, d1, f2 (two calls of 2); d1: f3
    const answers: Record<string, unknown> = {
      'root|': { items: [{ file_id: 'f1', type: 'file', size: 1 }, { file_id: 'd1', type: 'folder' }], next_marker: 'r2' },
      'root|r2': { items: [{ file_id: 'f2', type: 'file', size: 1 }], next_marker: '' },
      'd1|': { items: [{ file_id: 'f3', type: 'file', size: 1 }], next_marker: '' },
    }
    const calls: string[] = []
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const body = (await new Request(input, init).json()) as { parent_file_id: string; marker?: string; limit: number }
      const k = `${body.parent_file_id}|${body.marker ?? ''}`
      calls.push(`${k}#${body.limit}`)
      return Response.json(answers[k])
    }) as typeof globalThis.fetch
    const lister = createPdsLister(account, { fetch })
    const p1 = await lister.list('drv', '', null, { limit: 1 })
    expect(p1.objects.map((o) => o.key)).toEqual(['f1'])
    const p2 = await lister.list('drv', '', p1.next, { limit: 5 })
    expect(p2.objects.map((o) => o.key)).toEqual(['f2', 'f3'])
    expect(p2.next).toBeNull()
    expect(calls).toEqual(['root|#1', 'root|r2#5', 'd1|#4'])
  })
})
