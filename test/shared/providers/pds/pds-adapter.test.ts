import { describe, expect, it } from 'vitest'
import type { IndexedOperation, Outcome } from '../../../../shared/engine/types.ts'
import { PdsAccount } from '../../../../shared/providers/pds/pds-account.ts'
import { buildPdsBatchRequest, createPdsAdapter } from '../../../../shared/providers/pds/pds-adapter.ts'
import { checkPdsOperation } from '../../../../shared/providers/pds/pds-check.ts'
import { pdsOutcome, pdsRequestFailure } from '../../../../shared/providers/pds/pds-codes.ts'
import { writeRequests } from '../../../../shared/providers/pds/pds-ops.ts'
import { normalisePdsFile, parseUserMeta } from '../../../../shared/providers/pds/pds-stat.ts'
import type { Operation } from '../../../../shared/schemas/operation.ts'

const indexed = (ops: Operation[]): IndexedOperation[] => ops.map((op, index) => ({ op, index, attempt: 1 }))
const account = PdsAccount.parse({ provider: 'pds', endpoint: 'https://bj1.api.aliyunpds.com/', accessToken: 'tok-123' })
const ctx = { signal: new AbortController().signal, now: () => new Date('2024-01-01T00:00:00Z') }
const JSON_HEADERS = { 'Content-Type': 'application/json' }

interface Sent {
  url: string
  headers: Headers
  body: { resource: string; requests: { id: string; method: string; url: string; headers: unknown; body: Record<string, unknown> }[] }
}

/** A fetch that records each request and answers with `answer(requests, n)`. */
function fakeFetch(answer: (sent: Sent, n: number) => Response) {
  const sent: Sent[] = []
  const fetch = async (input: RequestInfo | URL) => {
    const req = input as Request
    const s: Sent = { url: req.url, headers: req.headers, body: JSON.parse(await req.text()) }
    sent.push(s)
    return answer(s, sent.length - 1)
  }
  return { fetch: fetch as typeof globalThis.fetch, sent }
}

const json = (v: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json', ...headers } })

/** Answers every child request with `each(request)`, in reverse order. */
const reversed = (each: (r: Sent['body']['requests'][number]) => { status: number; body?: unknown }) => (s: Sent) =>
  json({ responses: s.body.requests.map((r) => ({ id: r.id, ...each(r) })).reverse() })

async function run(ops: Operation[], answer: (sent: Sent, n: number) => Response): Promise<{ outcomes: Outcome[]; sent: Sent[] }> {
  const f = fakeFetch(answer)
  const [call] = createPdsAdapter(account, { fetch: f.fetch }).plan(indexed(ops))
  return { outcomes: await call!.run(ctx), sent: f.sent }
}

const o = { bucket: 'drive1', key: 'file1' }

describe('PDS batch request', () => {
  it('POSTs {resource: "file", requests} to <endpoint>/v2/batch with the Bearer token', async () => {
    const req = buildPdsBatchRequest(account, writeRequests('0', { op: 'stat', ...o }))
    expect(req.url).toBe('https://bj1.api.aliyunpds.com/v2/batch')
    expect(req.method).toBe('POST')
    expect(req.headers.get('Authorization')).toBe('Bearer tok-123')
    expect(req.headers.get('Content-Type')).toBe('application/json')
    expect(await req.text()).toBe(
      '{"resource":"file","requests":[{"id":"0","method":"POST","url":"/file/get","headers":{"Content-Type":"application/json"},"body":{"drive_id":"drive1","file_id":"file1"}}]}',
    )
  })

  it('spells each kind as its PDS child request', () => {
    const body = (op: Operation, tags?: string[]) => writeRequests('7', op, tags).map((r) => [r.id, r.url, r.body])
    expect(body({ op: 'copy', ...o, destination: { bucket: 'drive1', parentFileId: 'p' } })).toEqual([
      ['7', '/file/copy', { drive_id: 'drive1', file_id: 'file1', to_parent_file_id: 'p', auto_rename: false }],
    ])
    expect(body({ op: 'copy', ...o, destination: { bucket: 'drive2', parentFileId: 'p', name: 'n.txt' } })).toEqual([
      ['7', '/file/copy', { drive_id: 'drive1', file_id: 'file1', to_parent_file_id: 'p', to_drive_id: 'drive2', new_name: 'n.txt', auto_rename: false }],
    ])
    expect(body({ op: 'move', ...o, destination: { bucket: 'drive1', parentFileId: 'root' } })).toEqual([
      ['7', '/file/move', { drive_id: 'drive1', file_id: 'file1', to_parent_file_id: 'root', check_name_mode: 'refuse' }],
    ])
    expect(body({ op: 'move', ...o, destination: { bucket: 'drive1', parentFileId: 'root' }, overwrite: true })[0]![2]).toMatchObject({ check_name_mode: 'overwrite' })
    expect(body({ op: 'delete', ...o })).toEqual([['7', '/file/delete', { drive_id: 'drive1', file_id: 'file1' }]])
    expect(body({ op: 'setMetadata', ...o, metadata: { team: 'data', n: '1' } })).toEqual([
      ['7', '/file/update', { drive_id: 'drive1', file_id: 'file1', user_meta: '{"team":"data","n":"1"}' }],
    ])
    expect(body({ op: 'putTagging', ...o, tags: { a: '1', b: '2' } }, ['b', 'old'])).toEqual([
      ['7:stale', '/file/delete_usertags', { drive_id: 'drive1', file_id: 'file1', key_list: ['old'] }],
      ['7', '/file/put_usertags', { drive_id: 'drive1', file_id: 'file1', user_tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] }],
    ])
    expect(body({ op: 'putTagging', ...o, tags: { a: '1' } }, ['a'])).toEqual([
      ['7', '/file/put_usertags', { drive_id: 'drive1', file_id: 'file1', user_tags: [{ key: 'a', value: '1' }] }],
    ])
    expect(body({ op: 'deleteTagging', ...o }, ['x', 'y'])).toEqual([['7', '/file/delete_usertags', { drive_id: 'drive1', file_id: 'file1', key_list: ['x', 'y'] }]])
    expect(body({ op: 'deleteTagging', ...o }, [])).toEqual([])
    for (const r of writeRequests('1', { op: 'stat', ...o })) expect([r.method, r.headers]).toEqual(['POST', JSON_HEADERS])
  })

  it('plans at most 100 child requests a call, counting two for a putTagging', () => {
    const adapter = createPdsAdapter(account, { fetch })
    const stats = (n: number) => Array.from({ length: n }, (): Operation => ({ op: 'stat', ...o }))
    const tags = (n: number) => Array.from({ length: n }, (): Operation => ({ op: 'putTagging', ...o, tags: { a: 'b' } }))
    expect(adapter.plan(indexed(stats(100))).map((c) => c.ops.length)).toEqual([100])
    expect(adapter.plan(indexed(stats(101))).map((c) => c.ops.length)).toEqual([100, 1])
    expect(adapter.plan(indexed(stats(250))).map((c) => c.ops.length)).toEqual([100, 100, 50])
    expect(adapter.plan(indexed(tags(120))).map((c) => c.ops.length)).toEqual([50, 50, 20])
    expect(adapter.plan(indexed([...stats(98), ...tags(2)])).map((c) => c.ops.length)).toEqual([99, 1])
  })
})

describe('PDS answers', () => {
  it('are matched by id, not position; an unknown id is ignored and a missing one retried', async () => {
    const ops: Operation[] = [{ op: 'stat', ...o, key: 'a' }, { op: 'delete', ...o, key: 'b' }, { op: 'delete', ...o, key: 'c' }]
    const { outcomes, sent } = await run(ops, () =>
      json({
        responses: [
          { id: 'stranger', status: 500 },
          { id: '1', status: 204 },
          { id: '0', status: 200, body: { file_id: 'a', name: 'a.txt', size: 5, content_hash: 'H', updated_at: '2024-01-01T00:00:00Z' } },
        ],
      }),
    )
    expect(sent.map((s) => s.body.requests.map((r) => r.id))).toEqual([['0', '1', '2']])
    expect(outcomes[0]).toMatchObject({ kind: 'done', status: 200, data: { size: 5, etag: 'H', name: 'a.txt' } })
    expect(outcomes[1]).toEqual({ kind: 'done', status: 200, data: { existed: true } })
    expect(outcomes[2]).toMatchObject({ kind: 'retry', error: { code: 'ProviderError' } })
  })

  it('map whole-request failures to every operation of the call, never a 404 to a successful delete', async () => {
    const del: Operation[] = [{ op: 'delete', ...o }, { op: 'stat', ...o }]
    const cases: [Response, Partial<Outcome>][] = [
      [json({ code: 'AccessTokenInvalid', message: 'AccessToken is invalid' }, 401), { kind: 'done', status: 403, error: { code: 'AccessDenied', message: 'AccessToken is invalid', provider: { code: 'AccessTokenInvalid', message: 'AccessToken is invalid' } } }],
      [json({ code: 'TooManyRequests' }, 429, { 'Retry-After': '3' }), { kind: 'retry', retryAfterMs: 3000, error: { code: 'Throttled', message: 'PDS is rate limiting this domain', provider: { code: 'TooManyRequests' } } }],
      [json({ code: 'InternalError' }, 500), { kind: 'retry', error: { code: 'ProviderError', message: 'PDS answered 500', provider: { code: 'InternalError' } } }],
      [new Response('<html>gateway</html>', { status: 502 }), { kind: 'retry', error: { code: 'ProviderError', message: 'PDS answered 502', provider: { code: '502' } } }],
      [new Response('{"responses":[{"id":"0","stat', { status: 200 }), { kind: 'retry', error: { code: 'ProviderError', message: 'PDS answered 200 with an unreadable body', provider: { code: '200' } } }],
      [json({ code: 'InvalidParameter.Requests', message: 'too many' }, 400), { kind: 'done', status: 400, error: { code: 'InvalidArgument', message: 'too many', provider: { code: 'InvalidParameter.Requests', message: 'too many' } } }],
      [json({ code: 'NotFound', message: 'no route' }, 404), { kind: 'done', status: 502, error: { code: 'ProviderError', message: 'no route', provider: { code: 'NotFound', message: 'no route' } } }],
    ]
    for (const [response, expected] of cases) {
      const { outcomes } = await run(del, () => response.clone())
      expect(outcomes, JSON.stringify(expected)).toEqual([expected, expected])
    }
  })

  it('read a delete as done (200 existed), asynchronous (202 asyncTaskId) or already gone (200 existed: false)', async () => {
    const ops: Operation[] = ['a', 'b', 'c'].map((key) => ({ op: 'delete', ...o, key }))
    const answers: Record<string, { status: number; body?: unknown }> = {
      drive1a: { status: 204 },
      drive1b: { status: 202, body: { domain_id: 'bj1', drive_id: 'drive1', file_id: 'b', async_task_id: 'task-9' } },
      drive1c: { status: 404, body: { code: 'NotFound.File', message: 'gone' } },
    }
    const { outcomes } = await run(ops, reversed((r) => answers[`${r.body.drive_id}${r.body.file_id}`]!))
    expect(outcomes).toEqual([
      { kind: 'done', status: 200, data: { existed: true } },
      { kind: 'done', status: 202, data: { asyncTaskId: 'task-9' } },
      { kind: 'done', status: 200, data: { existed: false } },
    ])
  })

  it('read tags first, then delete the stale ones and put the given ones in one call', async () => {
    const ops: Operation[] = [
      { op: 'putTagging', ...o, key: 'p', tags: { keep: 'new', add: '1' } },
      { op: 'deleteTagging', ...o, key: 'd' },
      { op: 'deleteTagging', ...o, key: 'none' },
      { op: 'stat', ...o, key: 's' },
      { op: 'putTagging', ...o, key: 'missing', tags: { a: 'b' } },
    ]
    const current: Record<string, unknown> = { p: [{ key: 'keep', value: 'old' }, { key: 'drop', value: 'x' }], d: [{ key: 'x', value: '1' }, { key: 'y', value: '2' }], s: [] }
    const { outcomes, sent } = await run(ops, (s, n) =>
      json({
        responses: s.body.requests
          .map((r) =>
            n === 0
              ? r.body.file_id === 'missing'
                ? { id: r.id, status: 404, body: { code: 'NotFound.File', message: 'no file' } }
                : { id: r.id, status: 200, body: { file_id: r.body.file_id, ...(current[r.body.file_id as string] ? { user_tags: current[r.body.file_id as string] } : {}) } }
              : { id: r.id, status: r.url === '/file/put_usertags' || r.url === '/file/get' ? 200 : 204, body: r.url === '/file/get' ? { size: 1 } : undefined },
          )
          .reverse(),
      }),
    )
    expect(sent.map((s) => s.body.requests.map((r) => `${r.id} ${r.url}`))).toEqual([
      ['0 /file/get', '1 /file/get', '2 /file/get', '4 /file/get'],
      ['0:stale /file/delete_usertags', '0 /file/put_usertags', '1 /file/delete_usertags', '3 /file/get'],
    ])
    expect(sent[1]!.body.requests[0]!.body.key_list).toEqual(['drop'])
    expect(sent[1]!.body.requests[2]!.body.key_list).toEqual(['x', 'y'])
    expect(outcomes.map((x) => (x.kind === 'done' ? [x.status, x.error?.code] : [x.kind]))).toEqual([[200, undefined], [200, undefined], [200, undefined], [200, undefined], [404, 'NoSuchKey']])
  })

  it('retry a tagging operation whose put was throttled, and fail it when one of its requests failed for good', async () => {
    const ops: Operation[] = [{ op: 'putTagging', ...o, key: 'p', tags: { a: '1' } }, { op: 'putTagging', ...o, key: 'q', tags: { a: '1' } }]
    const second: Record<string, { status: number; body?: unknown }> = {
      '0:stale': { status: 204 },
      '0': { status: 429, body: { code: 'TooManyRequests' } },
      '1:stale': { status: 403, body: { code: 'ForbiddenNoPermission.File' } },
      '1': { status: 503 },
    }
    const { outcomes } = await run(ops, (s, n) =>
      n === 0
        ? json({ responses: s.body.requests.map((r) => ({ id: r.id, status: 200, body: { user_tags: [{ key: 'old', value: 'v' }] } })) })
        : json({
            responses: s.body.requests.map((r) => ({ id: r.id, ...second[r.id] })),
          }),
    )
    expect(outcomes[0]).toMatchObject({ kind: 'retry', error: { code: 'Throttled' } })
    expect(outcomes[1]).toMatchObject({ kind: 'done', status: 403, error: { code: 'AccessDenied', provider: { code: 'ForbiddenNoPermission.File' } } })
  })
})

describe('pdsOutcome', () => {
  const stat: Operation = { op: 'stat', ...o }
  const copy: Operation = { op: 'copy', ...o, destination: { bucket: 'drive1', parentFileId: 'p' } }
  it('maps PDS statuses and codes to unified codes, keeping the provider code and message', () => {
    const cases: [Operation, number, unknown, string][] = [
      [stat, 404, { code: 'NotFound.File', message: 'file not found' }, 'NoSuchKey'],
      [stat, 404, { code: 'NotFound.Drive' }, 'NoSuchBucket'],
      [stat, 400, { code: 'NotFound.FileId' }, 'NoSuchKey'],
      [copy, 409, { code: 'AlreadyExist.File' }, 'DestinationExists'],
      [stat, 401, { code: 'AccessTokenInvalid' }, 'AccessDenied'],
      [stat, 403, { code: 'ForbiddenNoPermission.File' }, 'AccessDenied'],
      [stat, 400, { code: 'InvalidParameter.DriveId' }, 'InvalidArgument'],
      [stat, 422, {}, 'InvalidArgument'],
    ]
    for (const [op, status, body, expected] of cases) {
      const outcome = pdsOutcome(op, status, body)
      expect(outcome.kind === 'done' && outcome.error?.code, `${status} ${JSON.stringify(body)}`).toBe(expected)
    }
    expect(pdsOutcome(stat, 404, { code: 'NotFound.File', message: 'gone' })).toMatchObject({ error: { provider: { code: 'NotFound.File', message: 'gone' } } })
    expect(pdsOutcome(stat, 422, undefined)).toMatchObject({ error: { provider: { code: '422' } } })
  })

  it('retries throttling and server failures', () => {
    expect(pdsOutcome(stat, 429, { code: 'TooManyRequests' }, 2000)).toMatchObject({ kind: 'retry', error: { code: 'Throttled' }, retryAfterMs: 2000 })
    expect(pdsOutcome(stat, 400, { code: 'TooManyRequests' })).toMatchObject({ kind: 'retry', error: { code: 'Throttled' } })
    expect(pdsOutcome(stat, 503, { code: 'ServiceUnavailable' })).toMatchObject({ kind: 'retry', error: { code: 'ProviderError', provider: { code: 'ServiceUnavailable' } } })
    expect(pdsRequestFailure(503, undefined)).toMatchObject({ kind: 'retry', error: { code: 'ProviderError', provider: { code: '503' } } })
  })

  it('reads copy and move answers, including an asynchronous one and a refused one answered 2xx with exist: true', () => {
    expect(pdsOutcome(copy, 201, { drive_id: 'drive1', file_id: 'new' })).toEqual({ kind: 'done', status: 200, data: { fileId: 'new', driveId: 'drive1' } })
    expect(pdsOutcome(copy, 202, { drive_id: 'drive1', file_id: 'new', async_task_id: 't' })).toEqual({ kind: 'done', status: 202, data: { fileId: 'new', driveId: 'drive1', asyncTaskId: 't' } })
    expect(pdsOutcome({ ...copy, op: 'move' } as Operation, 200, { file_id: 'file1', async_task_id: '', exist: false })).toEqual({ kind: 'done', status: 200, data: { fileId: 'file1' } })
    expect(pdsOutcome({ ...copy, op: 'move' } as Operation, 200, { file_id: 'other', exist: true })).toMatchObject({ kind: 'done', status: 409, error: { code: 'DestinationExists' } })
    expect(pdsOutcome({ op: 'setMetadata', ...o, metadata: {} }, 200, { file_id: 'file1' })).toEqual({ kind: 'done', status: 200 })
  })
})

describe('normalisePdsFile', () => {
  it('turns a PDS file into the unified stat shape', () => {
    expect(
      normalisePdsFile({
        drive_id: 'drive1', file_id: 'f', name: 'a.jpg', type: 'file', parent_file_id: 'root', size: 1024, content_hash: 'ABC', crc64_hash: '123',
        mime_type: 'image/jpeg', updated_at: '2024-01-01T00:00:00Z', user_meta: '{"author":"alice","n":1}', user_tags: [{ key: 'k', value: 'v' }],
      }),
    ).toEqual({
      size: 1024, etag: 'ABC', contentType: 'image/jpeg', lastModified: '2024-01-01T00:00:00.000Z', storageClass: 'STANDARD',
      metadata: { author: 'alice', n: '1' }, name: 'a.jpg', type: 'file', parentFileId: 'root', tags: { k: 'v' },
    })
    expect(normalisePdsFile({ type: 'folder', crc64_hash: '99' })).toEqual({
      size: 0, etag: '99', contentType: 'application/octet-stream', lastModified: null, storageClass: 'STANDARD', metadata: {}, type: 'folder',
    })
  })

  it('reads user_meta only when it holds a JSON object', () => {
    expect(parseUserMeta('{"a":"b"}')).toEqual({ a: 'b' })
    for (const raw of ['plain text', '["a"]', '{broken', '42', undefined, 7]) expect(parseUserMeta(raw)).toEqual({})
  })
})

describe('checkPdsOperation', () => {
  it('refuses what PDS cannot take, naming the field', () => {
    const paths = (op: Operation) => checkPdsOperation(op).map((i) => i.path.join('.'))
    expect(paths({ op: 'stat', ...o, versionId: 'v' })).toEqual(['versionId'])
    expect(paths({ op: 'copy', ...o, destination: { bucket: 'd', key: 'k' } })).toEqual(['destination.key', 'destination.parentFileId'])
    expect(paths({ op: 'move', ...o, destination: { bucket: 'd', key: 'k', parentFileId: 'p' } })).toEqual(['destination.key'])
    expect(paths({ op: 'copy', ...o, destination: { bucket: 'd', parentFileId: 'p' }, overwrite: true })).toEqual(['overwrite'])
    expect(paths({ op: 'move', ...o, destination: { bucket: 'd', parentFileId: 'p', name: 'n' }, overwrite: true })).toEqual([])
    expect(paths({ op: 'setMetadata', ...o, contentType: 'text/plain', metadata: { a: 'b' } })).toEqual(['contentType'])
    expect(paths({ op: 'setMetadata', ...o, metadata: { a: 'b' } })).toEqual([])
  })

  it('refuses an account whose token could not be a header, naming the setting', () => {
    const r = PdsAccount.safeParse({ provider: 'pds', endpoint: 'https://x.api.aliyunpds.com', accessToken: 'a b' })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.path).toEqual(['accessToken'])
  })
})
