import { describe, expect, it } from 'vitest'
import { encodeBase64UrlString, encodedEntryURI } from '../../../shared/crypto/qiniu-entry.ts'
import { parseQiniuBatchForm, parseQiniuOp } from '../../../shared/dialects/qiniu-batch-form.ts'
import { qiniuOpPath } from '../../../shared/providers/qiniu/qiniu-ops.ts'
import type { Operation } from '../../../shared/schemas/operation.ts'

const E = (bucket: string, key?: string) => encodedEntryURI(bucket, key)
const form = (ops: string[]) => new URLSearchParams(ops.map((op) => ['op', op])).toString()
const ok = (ops: string[]) => {
  const r = parseQiniuBatchForm(form(ops))
  if (!r.ok) throw new Error(r.message)
  return r.operations
}
const refused = (ops: string[]) => {
  const r = parseQiniuBatchForm(form(ops))
  if (r.ok) throw new Error('accepted')
  return r.message
}

describe('the Qiniu batch form parser', () => {
  it('reads the derived example of provider-protocols §1.6 into unified operations', () => {
    const body =
      'op=%2Fstat%2FbXlidWNrZXQ6YS50eHQ%3D&op=%2Fdelete%2FbXlidWNrZXQ6ZGlyL2IgYy50eHQ%3D&op=%2Fcopy%2FbXlidWNrZXQ6YS50eHQ%3D%2FbXlidWNrZXQ6YS1jb3B5LnR4dA%3D%3D%2Fforce%2Ftrue&op=%2Fchgm%2FbXlidWNrZXQ6YS50eHQ%3D%2Fmime%2FdGV4dC9wbGFpbg%3D%3D%2Fx-qn-meta-author%2FYWxpY2U%3D'
    expect(parseQiniuBatchForm(body)).toEqual({
      ok: true,
      operations: [
        { op: 'stat', bucket: 'mybucket', key: 'a.txt' },
        { op: 'delete', bucket: 'mybucket', key: 'dir/b c.txt' },
        { op: 'copy', bucket: 'mybucket', key: 'a.txt', destination: { bucket: 'mybucket', key: 'a-copy.txt' }, overwrite: true },
        { op: 'setMetadata', bucket: 'mybucket', key: 'a.txt', contentType: 'text/plain', metadata: { author: 'alice' } },
      ],
    })
  })

  it('reads every op form of §1.5, and gives back what the Qiniu adapter would send for it', () => {
    const ops: Operation[] = [
      { op: 'move', bucket: 'b', key: 'k', destination: { bucket: 'c', key: 'k2' }, overwrite: false },
      { op: 'restore', bucket: 'b', key: 'k', days: 3 },
      { op: 'setStorageClass', bucket: 'b', key: 'k', storageClass: 'ARCHIVE_IR' },
      { op: 'setStorageClass', bucket: 'b', key: 'k', storageClass: 'DEEP_ARCHIVE' },
      { op: 'setStatus', bucket: 'b', key: 'k', enabled: false },
      { op: 'setStatus', bucket: 'b', key: 'k', enabled: true },
      { op: 'setExpiry', bucket: 'b', key: 'k', days: 0 },
      { op: 'setLifecycle', bucket: 'b', key: 'k', toIAAfterDays: 30, deleteAfterDays: -1 },
      { op: 'setMetadata', bucket: 'b', key: '中文 key', metadata: { a: '1', b: 'ü' } },
    ]
    expect(ok(ops.map(qiniuOpPath))).toEqual(ops)
  })

  it('maps Qiniu storage types 0 to 4 onto the unified classes and refuses 5 (intelligent tiering) and unknown ones', () => {
    expect(ok([0, 1, 2, 3, 4].map((t) => `/chtype/${E('b', 'k')}/type/${t}`)).map((o) => (o as { storageClass: string }).storageClass)).toEqual([
      'STANDARD', 'IA', 'ARCHIVE', 'DEEP_ARCHIVE', 'ARCHIVE_IR',
    ])
    expect(refused([`/chtype/${E('b', 'k')}/type/5`])).toBe('op[0]: chtype: type 5 (intelligent tiering) has no batchgate storage class')
    expect(refused([`/stat/${E('b', 'k')}`, `/chtype/${E('b', 'k')}/type/9`])).toMatch(/^op\[1\]: chtype: unknown type 9/)
  })

  it('takes copy and move without force as overwrite false, and the legacy /glb/ prefix on any op', () => {
    expect(ok([`/glb/copy/${E('b', 'k')}/${E('c', 'k')}`, `/glb/stat/${E('b', 'k')}`, `/move/${E('b', 'k')}/${E('c', 'k')}`])).toEqual([
      { op: 'copy', bucket: 'b', key: 'k', destination: { bucket: 'c', key: 'k' }, overwrite: false },
      { op: 'stat', bucket: 'b', key: 'k' },
      { op: 'move', bucket: 'b', key: 'k', destination: { bucket: 'c', key: 'k' }, overwrite: false },
    ])
  })

  it('names the index of the op it refuses, and why', () => {
    const entry = E('b', 'k')
    const cases: [string, string][] = [
      ['/frob/x', 'op[0]: frob: unknown op (stat, copy, move, delete, chstatus, chtype, chgm, deleteAfterDays, lifecycle, restoreAr)'],
      ['stat', 'op[0]: "stat" is not an op path (/<op>/<EncodedEntryURI>…)'],
      [`/stat/${E('b')}`, 'op[0]: stat: entry: the EncodedEntryURI names a bucket but no key'],
      ['/stat/%%%', 'op[0]: stat: entry: not an EncodedEntryURI (URL-safe base64 of "<bucket>:<key>")'],
      [`/stat/${entry}/extra`, 'op[0]: stat: expected <EncodedEntryURI>'],
      [`/copy/${entry}/${entry}/force/yes`, 'op[0]: copy: force must be true or false'],
      [`/chstatus/${entry}/status/2`, 'op[0]: chstatus: expected <EncodedEntryURI>/status/<0|1>'],
      [`/deleteAfterDays/${entry}/soon`, 'op[0]: deleteAfterDays: days must be an integer'],
      [`/chgm/${entry}/cacheControl/${encodeBase64UrlString('no-cache')}`, 'op[0]: chgm: cacheControl is not supported by batchgate'],
      [`/chgm/${entry}/cond/${encodeBase64UrlString('fsize=1')}`, 'op[0]: chgm: cond is not supported by batchgate'],
      [`/lifecycle/${entry}/toIAAfterDays/1/toIAAfterDays/2`, 'op[0]: lifecycle: "toIAAfterDays" given twice'],
      [`/restoreAr/${entry}/freezeAfterDays/0`, 'op[0].days: must be at least 1'],
      [`/stat/${E('b', '')}`, 'op[0].key: must not be empty'],
      [`/chgm/${entry}/x-qn-meta-!bad/${encodeBase64UrlString('v')}`, 'op[0].metadata.!bad: invalid key: must be 1-128 of A-Z a-z 0-9 _ . - (starting alphanumeric)'],
    ]
    for (const [op, message] of cases) expect(refused([op]), op).toBe(message)
  })

  it('refuses a body with no op, more than 1,000 ops, or an op value that is not form-encoded', () => {
    expect(parseQiniuBatchForm('')).toEqual({ ok: false, message: 'no op: send op=<operation> form fields' })
    expect(parseQiniuBatchForm('foo=bar')).toMatchObject({ ok: false })
    const stat = `/stat/${E('b', 'k')}`
    expect(ok(Array(1000).fill(stat))).toHaveLength(1000)
    expect(refused(Array(1001).fill(stat))).toBe('too many ops: 1001 > 1000')
    expect(parseQiniuBatchForm(`op=${encodeURIComponent(stat)}&op=%E0%A4%A`)).toEqual({ ok: false, message: 'op[1]: not a form-encoded op value' })
  })

  it('reads op values sent without percent-encoding, as curl users write them', () => {
    expect(parseQiniuBatchForm(`op=/stat/${E('b', 'k1')}&op=/delete/${E('b', 'k')}`)).toEqual({
      ok: true,
      operations: [{ op: 'stat', bucket: 'b', key: 'k1' }, { op: 'delete', bucket: 'b', key: 'k' }],
    })
    expect(E('b', 'k1')).toMatch(/=$/)
  })
})
