import { describe, expect, it } from 'vitest'
import type { IndexedOperation } from '../../shared/engine/types.ts'
import { QiniuAccount } from '../../shared/providers/qiniu/qiniu-account.ts'
import { buildQiniuBatchRequest } from '../../shared/providers/qiniu/qiniu-adapter.ts'
import type { Operation } from '../../shared/schemas/operation.ts'
import { requestLog, seedBucket } from './control.ts'
import { QINIU_EMULATOR_URL as EMU } from '../fixtures/accounts.ts'
import { unique } from '../helpers.ts'

const account = (over: Record<string, unknown> = {}) =>
  QiniuAccount.parse({ provider: 'qiniu', accessKey: 'qn-test-ak', secretKey: 'qn-test-sk', endpoint: EMU, ...over })
const ops = (bucket: string, n: number): IndexedOperation[] =>
  Array.from({ length: n }, (_, index) => ({ index, attempt: 1, op: { op: 'stat', bucket, key: `k${index}` } as Operation }))

// The emulator must refuse what Qiniu refuses, or the gateway's tests could not fail.
describe('the Qiniu emulator', () => {
  it('accepts the gateway signer\'s v2 and QBox tokens, verified by the official SDK', async () => {
    const b = unique('emu-ok')
    await seedBucket(EMU, b, [{ key: 'k0' }])
    for (const auth of ['qiniu', 'qbox']) {
      const res = await fetch(await buildQiniuBatchRequest(account({ auth }), ops(b, 1), new Date()))
      expect(res.status, auth).toBe(200)
    }
  })

  it('answers 401 to a token signed with the wrong secret or for a tampered body', async () => {
    const b = unique('emu-401')
    const wrong = await fetch(await buildQiniuBatchRequest(account({ secretKey: 'nope' }), ops(b, 1), new Date()))
    expect(wrong.status).toBe(401)
    const signed = await buildQiniuBatchRequest(account(), ops(b, 1), new Date())
    const tampered = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: (await signed.text()).replace('op=', 'op=%2F') })
    expect(tampered.status).toBe(401)
  })

  it('answers 403 when X-Qiniu-Date is more than 15 minutes off', async () => {
    const b = unique('emu-403')
    const skewed = await fetch(await buildQiniuBatchRequest(account(), ops(b, 1), new Date(Date.now() - 16 * 60_000)))
    expect(skewed.status).toBe(403)
    const near = await fetch(await buildQiniuBatchRequest(account(), ops(b, 1), new Date(Date.now() - 14 * 60_000)))
    expect(near.status).toBe(298)
  })

  it('answers 400 to a batch of more than 1,000 ops', async () => {
    const b = unique('emu-400')
    const res = await fetch(await buildQiniuBatchRequest(account(), ops(b, 1001), new Date()))
    expect(res.status).toBe(400)
    expect((await requestLog(EMU, b)).map((e) => e.httpStatus)).toEqual([400])
  })
})
