/** Bearer-token checks of the PDS emulator. (Node side; see harness.ts.) */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addFault, listFaults, pdsRequestLog, seedDrive } from '../../control.ts'
import { BASE, batch, newDrive, OTHER_TOKEN, sub, TOKEN, useEmulator } from './harness.ts'

useEmulator()

describe('authentication', () => {
  it('accepts every configured token', async () => {
    const d = newDrive('auth-ok')
    await seedDrive(BASE, d, [{ fileId: 'f', name: 'a.txt', parentFileId: 'root' }])
    for (const token of [TOKEN, OTHER_TOKEN]) {
      const r = await batch([sub.get(d, 'f')], { token })
      assert.equal(r.status, 200, r.text)
      assert.equal(r.json.responses[0].status, 200)
    }
  })

  it('answers 401 AccessTokenInvalid to a missing, unknown, near-miss or non-Bearer token, running nothing', async () => {
    const d = newDrive('auth-401')
    await seedDrive(BASE, d, [{ fileId: 'f', name: 'a.txt', parentFileId: 'root' }])
    const cases = [{ token: null }, { token: 'nope' }, { token: TOKEN + 'x' }, { token: TOKEN.slice(0, -1) }, { authorization: `bearer ${TOKEN}` }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN} extra` }]
    for (const o of cases) {
      const r = await batch([sub.del(d, 'f')], o)
      assert.equal(r.status, 401, JSON.stringify(o))
      assert.equal(r.json.code, 'AccessTokenInvalid')
      assert.equal(typeof r.json.message, 'string')
    }
    const after = await batch([sub.get(d, 'f')])
    assert.equal(after.json.responses[0].status, 200, 'the file was not deleted')
  })

  it('logs the scheme and whether the token was valid, never the token, and consumes no fault on 401', async () => {
    const d = newDrive('auth-log')
    await seedDrive(BASE, d, [{ fileId: 'f', name: 'a.txt', parentFileId: 'root' }])
    await addFault(BASE, { bucket: d, kind: 'http', status: 503 })
    await batch([sub.get(d, 'f')], { token: null })
    await batch([sub.get(d, 'f')], { token: 'wrong-token-value' })
    assert.equal((await listFaults(BASE, d)).length, 1)
    assert.equal((await batch([sub.get(d, 'f')])).status, 503)
    const log = await pdsRequestLog(BASE, d)
    assert.deepEqual(log.map((e) => [e.auth, e.tokenValid, e.httpStatus]), [['none', false, 401], ['Bearer', false, 401], ['Bearer', true, 503]])
    const text = JSON.stringify(log)
    for (const t of [TOKEN, 'wrong-token-value']) assert.ok(!text.includes(t))
  })
})
