/**
 * Emulator building blocks without a server: op parsing, the store's etag and putTime, and the
 * fault registry. (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeEntry, parseOp, urlsafeB64 } from '../qiniu-ops.ts'
import { QiniuStore, qiniuEtag } from '../qiniu-store.ts'
import { FaultRegistry } from '../../faults.ts'

describe('parseOp', () => {
  const e = encodeEntry('qiniuphotos', '012ts>a')

  it('encodes entries like the upstream vector, with or without a key', () => {
    assert.equal(e, 'cWluaXVwaG90b3M6MDEydHM-YQ==')
    assert.equal(encodeEntry('qiniuphotos', ''), 'cWluaXVwaG90b3M6')
  })

  it('decodes entries in the url-safe and the standard alphabet', () => {
    let p = parseOp(`/stat/${e}`)
    assert.ok(p.ok && p.cmd.op === 'stat' && p.cmd.entry.key === '012ts>a')
    p = parseOp(`/stat/${e.replace('-', '+')}`)
    assert.ok(p.ok && p.cmd.op === 'stat' && p.cmd.entry.key === '012ts>a')
  })

  it('rejects entries without padding, without a colon or with invalid UTF-8 as invalid op', () => {
    let p = parseOp(`/stat/${e.replace(/=+$/, '')}`)
    assert.deepEqual(p.ok ? null : p.error, 'invalid op')
    p = parseOp(`/stat/${urlsafeB64('nocolon')}`)
    assert.equal(p.ok ? null : p.error, 'invalid op')
    p = parseOp(`/stat/${Buffer.from([0x62, 0x3a, 0xff]).toString('base64')}`)
    assert.ok(!p.ok)
  })

  it('rejects unknown ops, extra segments and a bad force flag', () => {
    let p = parseOp('/frobnicate/abc')
    assert.equal(p.ok ? null : p.error, 'unknown op')
    p = parseOp(`/stat/${e}/extra`)
    assert.equal(p.ok ? null : p.error, 'invalid op')
    p = parseOp(`/copy/${e}/${e}/force/maybe`)
    assert.ok(!p.ok)
  })

  it('parses a forced copy and reports both buckets it touches', () => {
    const p = parseOp(`/copy/${e}/${encodeEntry('b2', 'k')}/force/true`)
    assert.ok(p.ok && p.cmd.op === 'copy' && p.cmd.force && p.cmd.dest.bucket === 'b2')
    assert.deepEqual(p.targets.map((t) => t.bucket), ['qiniuphotos', 'b2'])
  })

  it('accepts /glb/ ops only when allowed', () => {
    const p = parseOp(`/glb/stat/${e}`)
    assert.equal(p.ok ? null : p.error, 'unknown op')
    assert.ok(parseOp(`/glb/stat/${e}`, { allowGlb: true }).ok)
  })

  it('still reports the bucket of an op whose parameter is bad', () => {
    const p = parseOp(`/restoreAr/${e}/freezeAfterDays/9`)
    assert.ok(!p.ok && p.error === 'invalid freezeAfterDays' && p.targets[0]?.bucket === 'qiniuphotos')
  })
})

describe('QiniuStore', () => {
  it('computes the Qiniu etag of empty content', () => {
    assert.equal(qiniuEtag('').length, 28)
    assert.equal(qiniuEtag(''), 'Fto5o-5ea0sNMlW_75VgGJCv2AcJ')
  })

  it('hands out exact, strictly increasing putTimes in 100-ns units', () => {
    const s = new QiniuStore({ now: () => 1_700_000_000_000, subMs: () => 1 })
    assert.equal(s.newPutTime(), 17_000_000_000_000_001n)
    assert.equal(s.newPutTime(), 17_000_000_000_000_002n)
  })
})

describe('FaultRegistry', () => {
  it('applies delays and terminal faults of the touched bucket only, consuming them in order', () => {
    const f = new FaultRegistry()
    f.add({ bucket: 'a', kind: 'delay', ms: 5 })
    f.add({ bucket: 'a', kind: 'http', status: 503, times: 2 })
    f.add({ bucket: 'a', kind: 'garbage' })
    f.add({ bucket: 'a', kind: 'op', key: 'k', code: 573 })
    const A = new Set(['a'])
    assert.deepEqual(f.takeRequestFaults(new Set(['b'])), { delayMs: 0 })
    assert.deepEqual(f.takeRequestFaults(A), { delayMs: 5, terminal: { kind: 'http', bucket: 'a', status: 503 } })
    assert.equal(f.takeTerminal(A)?.kind, 'http')
    assert.equal(f.takeTerminal(A)?.kind, 'garbage')
    assert.equal(f.takeTerminal(A), undefined)
    const hits = f.takeOpFaults([[{ bucket: 'a', key: 'x' }], [{ bucket: 'a', key: 'k' }], [{ bucket: 'a', key: 'k' }]])
    assert.deepEqual([...hits.keys()], [1, 2])
    assert.equal(f.list().length, 0)
  })

  it('refuses rules with an unknown kind, a missing field, times 0 or an unknown field', () => {
    const f = new FaultRegistry()
    assert.throws(() => f.add({ bucket: 'a', kind: 'nope' }), /kind/)
    assert.throws(() => f.add({ bucket: 'a', kind: 'http' }), /status/)
    assert.throws(() => f.add({ kind: 'drop' }), /bucket/)
    assert.throws(() => f.add({ bucket: 'a', kind: 'drop', times: 0 }), /times/)
    assert.throws(() => f.add({ bucket: 'a', kind: 'drop', colour: 'red' }), /unknown field/)
  })
})
