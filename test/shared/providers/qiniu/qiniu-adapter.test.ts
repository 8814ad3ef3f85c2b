import { describe, expect, it } from 'vitest'
import type { IndexedOperation } from '../../../../shared/engine/types.ts'
import { QiniuAccount } from '../../../../shared/providers/qiniu/qiniu-account.ts'
import { buildQiniuBatchRequest, createQiniuAdapter } from '../../../../shared/providers/qiniu/qiniu-adapter.ts'
import { checkQiniuOperation } from '../../../../shared/providers/qiniu/qiniu-check.ts'
import { qiniuOutcome } from '../../../../shared/providers/qiniu/qiniu-codes.ts'
import { qiniuOpPath } from '../../../../shared/providers/qiniu/qiniu-ops.ts'
import { normaliseQiniuStat } from '../../../../shared/providers/qiniu/qiniu-stat.ts'
import type { Operation } from '../../../../shared/schemas/operation.ts'

const indexed = (ops: Operation[]): IndexedOperation[] => ops.map((op, index) => ({ op, index, attempt: 1 }))
const account = (over: Record<string, unknown> = {}) =>
  QiniuAccount.parse({ provider: 'qiniu', accessKey: 'AK', secretKey: 'SK', endpoint: 'https://rs-z0.qiniuapi.com', ...over })

// The [derived] batch example of provider-protocols §1.6.
const EXAMPLE: Operation[] = [
  { op: 'stat', bucket: 'mybucket', key: 'a.txt' },
  { op: 'delete', bucket: 'mybucket', key: 'dir/b c.txt' },
  { op: 'copy', bucket: 'mybucket', key: 'a.txt', destination: { bucket: 'mybucket', key: 'a-copy.txt' }, overwrite: true },
  { op: 'setMetadata', bucket: 'mybucket', key: 'a.txt', contentType: 'text/plain', metadata: { author: 'alice' } },
]
const EXAMPLE_BODY =
  'op=%2Fstat%2FbXlidWNrZXQ6YS50eHQ%3D&op=%2Fdelete%2FbXlidWNrZXQ6ZGlyL2IgYy50eHQ%3D&op=%2Fcopy%2FbXlidWNrZXQ6YS50eHQ%3D%2FbXlidWNrZXQ6YS1jb3B5LnR4dA%3D%3D%2Fforce%2Ftrue&op=%2Fchgm%2FbXlidWNrZXQ6YS50eHQ%3D%2Fmime%2FdGV4dC9wbGFpbg%3D%3D%2Fx-qn-meta-author%2FYWxpY2U%3D'

describe('Qiniu batch request', () => {
  it('builds the §1.6 example body and signs it with the v2 token and X-Qiniu-Date', async () => {
    const req = await buildQiniuBatchRequest(account(), indexed(EXAMPLE), new Date('2024-01-01T00:00:00Z'))
    expect(req.url).toBe('https://rs-z0.qiniuapi.com/batch')
    expect(await req.text()).toBe(EXAMPLE_BODY)
    expect(req.headers.get('Content-Type')).toBe('application/x-www-form-urlencoded')
    expect(req.headers.get('X-Qiniu-Date')).toBe('20240101T000000Z')
    expect(req.headers.get('Authorization')).toBe('Qiniu AK:NGlp7H0ZRyIXp0Fjve-okt20yYo=')
  })

  it('signs the same body with the legacy QBox token when the account asks for it', async () => {
    const req = await buildQiniuBatchRequest(account({ auth: 'qbox' }), indexed(EXAMPLE), new Date())
    expect(req.headers.get('Authorization')).toBe('QBox AK:AM87q15Ye24EhjUFdkbizbOc3dY=')
    expect(req.headers.has('X-Qiniu-Date')).toBe(false)
  })

  it('puts 1,000 mixed operations in one call and starts a second call at 1,001', () => {
    const adapter = createQiniuAdapter(account(), { fetch })
    const ops = (n: number) => indexed(Array.from({ length: n }, (_, i) => EXAMPLE[i % EXAMPLE.length]!))
    expect(adapter.plan(ops(1000)).map((c) => c.ops.length)).toEqual([1000])
    expect(adapter.plan(ops(1001)).map((c) => c.ops.length)).toEqual([1000, 1])
  })
})

describe('qiniuOpPath', () => {
  const o = { bucket: 'b', key: 'k' }
  it('spells every Qiniu operation as §1.5 does', () => {
    expect(qiniuOpPath({ op: 'move', ...o, destination: { bucket: 'c', key: 'k2' } })).toBe('/move/Yjpr/YzprMg==/force/false')
    expect(qiniuOpPath({ op: 'restore', ...o, days: 3 })).toBe('/restoreAr/Yjpr/freezeAfterDays/3')
    expect(qiniuOpPath({ op: 'setStorageClass', ...o, storageClass: 'ARCHIVE_IR' })).toBe('/chtype/Yjpr/type/4')
    expect(qiniuOpPath({ op: 'setStorageClass', ...o, storageClass: 'DEEP_ARCHIVE' })).toBe('/chtype/Yjpr/type/3')
    expect(qiniuOpPath({ op: 'setStatus', ...o, enabled: false })).toBe('/chstatus/Yjpr/status/1')
    expect(qiniuOpPath({ op: 'setStatus', ...o, enabled: true })).toBe('/chstatus/Yjpr/status/0')
    expect(qiniuOpPath({ op: 'setExpiry', ...o, days: 0 })).toBe('/deleteAfterDays/Yjpr/0')
    expect(qiniuOpPath({ op: 'setLifecycle', ...o, toIAAfterDays: 30, deleteAfterDays: -1 })).toBe('/lifecycle/Yjpr/toIAAfterDays/30/deleteAfterDays/-1')
  })
})

describe('qiniuOutcome', () => {
  const stat: Operation = { op: 'stat', bucket: 'b', key: 'k' }
  const del: Operation = { op: 'delete', bucket: 'b', key: 'k' }
  it('maps every Qiniu code to its unified code', () => {
    const cases: [Operation, number, unknown, string][] = [
      [stat, 612, { error: 'no such file or directory' }, 'NoSuchKey'],
      [stat, 631, { error: 'no such bucket' }, 'NoSuchBucket'],
      [{ op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'b', key: 'x' } }, 614, { error: 'file exists' }, 'DestinationExists'],
      [stat, 401, { error: 'bad token' }, 'AccessDenied'],
      [stat, 403, { error: 'forbidden' }, 'AccessDenied'],
      [{ op: 'restore', bucket: 'b', key: 'k', days: 1 }, 403, { error: 'operation only allowed for archive or deep archive' }, 'InvalidObjectState'],
      [stat, 400, { error: 'invalid' }, 'InvalidArgument'],
      [stat, 608, { error: 'file modified' }, 'InvalidObjectState'],
      [stat, 579, {}, 'ProviderError'],
    ]
    for (const [op, code, data, expected] of cases) {
      const outcome = qiniuOutcome(op, code, data)
      expect(outcome.kind === 'done' && outcome.error?.code, `${op.op} ${code}`).toBe(expected)
    }
    expect(qiniuOutcome(stat, 612, { error: 'gone' })).toMatchObject({ error: { provider: { code: '612', message: 'gone' } } })
  })

  it('retries throttling and server failures, keeping Retry-After', () => {
    expect(qiniuOutcome(stat, 573, {}, 1000)).toMatchObject({ kind: 'retry', error: { code: 'Throttled' }, retryAfterMs: 1000 })
    expect(qiniuOutcome(stat, 599, {})).toMatchObject({ kind: 'retry', error: { code: 'ProviderError' } })
    expect(qiniuOutcome(stat, 503, {})).toMatchObject({ kind: 'retry' })
  })

  it('counts a delete of a missing key as done, and chstatus to the current state as unchanged', () => {
    expect(qiniuOutcome(del, 612, {})).toEqual({ kind: 'done', status: 200, data: { existed: false } })
    expect(qiniuOutcome(del, 200, undefined)).toEqual({ kind: 'done', status: 200, data: { existed: true } })
    expect(qiniuOutcome({ op: 'setStatus', bucket: 'b', key: 'k', enabled: true }, 400, { error: 'already enabled' })).toEqual({ kind: 'done', status: 200, data: { changed: false } })
    expect(qiniuOutcome({ op: 'restore', bucket: 'b', key: 'k', days: 1 }, 200, undefined)).toEqual({ kind: 'done', status: 202 })
  })
})

describe('normaliseQiniuStat', () => {
  it('turns putTime in 100 ns units into ISO time and type into a storage class', () => {
    expect(
      normaliseQiniuStat({ fsize: 1024, hash: 'Fh', mimeType: 'image/jpeg', putTime: 17040672000000000, type: 2, restoreStatus: 2, md5: 'abc', 'x-qn-meta': { author: 'alice' }, status: 1, expiration: 1704153600 }),
    ).toEqual({
      size: 1024, etag: 'Fh', contentType: 'image/jpeg', lastModified: '2024-01-01T00:00:00.000Z', storageClass: 'ARCHIVE',
      metadata: { author: 'alice' }, enabled: false, md5: 'abc', restoreStatus: 'restored', expiresAt: '2024-01-02T00:00:00.000Z',
    })
    expect(normaliseQiniuStat({ fsize: 1, hash: 'h', mimeType: 't', putTime: 1 })).toMatchObject({ storageClass: 'STANDARD', metadata: {}, enabled: true })
  })
})

describe('checkQiniuOperation', () => {
  it('refuses what Qiniu cannot take, naming the field', () => {
    expect(checkQiniuOperation({ op: 'restore', bucket: 'b', key: 'k', days: 8 })).toEqual([{ path: ['days'], message: 'Qiniu restores for 1 to 7 days' }])
    expect(checkQiniuOperation({ op: 'stat', bucket: 'b', key: 'k', versionId: 'v' })[0]?.path).toEqual(['versionId'])
    expect(checkQiniuOperation({ op: 'setMetadata', bucket: 'b', key: 'k', metadata: { 'a.b': 'x' } })[0]?.path).toEqual(['metadata', 'a.b'])
    expect(checkQiniuOperation({ op: 'setMetadata', bucket: 'b', key: 'k', contentType: 'text/100%' })[0]?.path).toEqual(['contentType'])
    expect(checkQiniuOperation({ op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'd', parentFileId: 'p' } }).map((i) => i.path.join('.'))).toEqual(['destination.key', 'destination.parentFileId'])
  })
})
