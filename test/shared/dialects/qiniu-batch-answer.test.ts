import { describe, expect, it } from 'vitest'
import type { OperationResult } from '../../../shared/engine/types.ts'
import { qiniuBatchAnswer, qiniuStatData } from '../../../shared/dialects/qiniu-batch-answer.ts'
import { normaliseQiniuStat } from '../../../shared/providers/qiniu/qiniu-stat.ts'
import type { Operation } from '../../../shared/schemas/operation.ts'

const o = { bucket: 'b', key: 'k' }

describe('the Qiniu batch answer', () => {
  it('is 200 when every op succeeded and 298 otherwise, with one {code, data} per op in order', () => {
    const ops: Operation[] = [{ op: 'copy', ...o, destination: o }, { op: 'stat', ...o }]
    const ok: OperationResult[] = [{ id: '0', op: 'copy', status: 200 }, { id: '1', op: 'stat', status: 200, data: { size: 1, etag: 'e', contentType: 't', lastModified: null, storageClass: 'STANDARD', metadata: {} } }]
    expect(qiniuBatchAnswer('s3', ops, ok)).toEqual({ status: 200, body: [{ code: 200 }, { code: 200, data: { fsize: 1, hash: 'e', mimeType: 't', type: 0 } }] })
    const failed: OperationResult[] = [ok[0]!, { id: '1', op: 'stat', status: 404, error: { code: 'NoSuchKey', message: 'gone' } }]
    expect(qiniuBatchAnswer('s3', ops, failed)).toEqual({ status: 298, body: [{ code: 200 }, { code: 612, data: { error: 'no such file or directory' } }] })
  })

  it("maps every unified error to Qiniu's code on other providers", () => {
    const codes = (['NoSuchKey', 'NoSuchBucket', 'DestinationExists', 'AccessDenied', 'InvalidObjectState', 'InvalidArgument', 'NotSupported', 'Throttled', 'ProviderError', 'Timeout'] as const).map(
      (code) => qiniuBatchAnswer('oss', [{ op: 'stat', ...o }], [{ id: '0', op: 'stat', status: 400, error: { code, message: `unified ${code}` } }]).body[0],
    )
    expect(codes).toEqual([
      { code: 612, data: { error: 'no such file or directory' } },
      { code: 631, data: { error: 'no such bucket' } },
      { code: 614, data: { error: 'file exists' } },
      { code: 403, data: { error: 'unified AccessDenied' } },
      { code: 403, data: { error: 'unified InvalidObjectState' } },
      { code: 400, data: { error: 'unified InvalidArgument' } },
      { code: 400, data: { error: 'unified NotSupported' } },
      { code: 573, data: { error: 'too many requests' } },
      { code: 599, data: { error: 'unified ProviderError' } },
      { code: 504, data: { error: 'unified Timeout' } },
    ])
  })

  it("passes a Qiniu account's own code and message through, and maps what Qiniu did not answer", () => {
    const ops: Operation[] = [{ op: 'restore', ...o, days: 1 }, { op: 'copy', ...o, destination: { bucket: 'c', key: 'k' } }]
    const results: OperationResult[] = [
      { id: '0', op: 'restore', status: 409, error: { code: 'InvalidObjectState', message: 'only archived objects can be restored', provider: { code: '403', message: 'not archive file' } } },
      { id: '1', op: 'copy', status: 400, error: { code: 'InvalidArgument', message: 'Qiniu cannot copy between regions' } },
    ]
    expect(qiniuBatchAnswer('qiniu', ops, results).body).toEqual([{ code: 403, data: { error: 'not archive file' } }, { code: 400, data: { error: 'Qiniu cannot copy between regions' } }])
  })

  it('answers a delete of a missing key 612 and a chstatus to the current status 400, as Qiniu does', () => {
    const ops: Operation[] = [{ op: 'delete', ...o }, { op: 'delete', ...o }, { op: 'setStatus', ...o, enabled: true }, { op: 'restore', ...o, days: 1 }]
    const results: OperationResult[] = [
      { id: '0', op: 'delete', status: 200, data: { existed: false } },
      { id: '1', op: 'delete', status: 200, data: { existed: true } },
      { id: '2', op: 'setStatus', status: 200, data: { changed: false } },
      { id: '3', op: 'restore', status: 202 },
    ]
    expect(qiniuBatchAnswer('r2', ops, results)).toEqual({
      status: 298,
      body: [{ code: 612, data: { error: 'no such file or directory' } }, { code: 200 }, { code: 400, data: { error: 'already enabled' } }, { code: 200 }],
    })
  })
})

describe('the Qiniu stat shape', () => {
  it("is the inverse of the adapter's normalisation for every field Qiniu has", () => {
    const qiniu = {
      fsize: 1024, hash: 'Fn6q', mimeType: 'image/jpeg', putTime: 17000000000000000, type: 2, status: 1, restoreStatus: 2, md5: 'abc',
      expiration: 1568736000, transitionToIA: 1568000000, transitionToDeepArchive: 1569000000, 'x-qn-meta': { author: 'alice' },
    }
    expect(qiniuStatData(normaliseQiniuStat(qiniu))).toEqual(qiniu)
  })

  it('gives putTime in 100 ns units from an ISO time, and the type of S3 intelligent tiering', () => {
    expect(qiniuStatData({ size: 5, etag: 'x', contentType: 'text/plain', lastModified: '2024-01-01T00:00:00.123Z', storageClass: 'INTELLIGENT_TIERING', metadata: {} })).toEqual({
      fsize: 5, hash: 'x', mimeType: 'text/plain', putTime: 17040672001230000, type: 5,
    })
    expect(qiniuStatData({ size: 0, storageClass: 'GLACIER_SOMETHING' })).not.toHaveProperty('type')
  })
})
