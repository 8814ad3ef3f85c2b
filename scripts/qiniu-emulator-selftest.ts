/**
 * Self-test of the Qiniu emulator (Node side): npx node scripts/qiniu-emulator-selftest.ts
 *
 * Starts private emulator instances on 127.0.0.2:80 (127.0.0.3:80 for the upstream test
 * vectors), so it does not clash with the test suite's instance on 127.0.0.1:80. Requests are
 * signed with the official `qiniu` SDK (QBox and Qiniu v2), except where a test uses the
 * upstream/derived vectors of shared/reference/provider-protocols.md.
 */
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import qiniu from 'qiniu'
import { startQiniuEmulator, type QiniuEmulator } from '../test/emulators/qiniu/qiniu-emulator.ts'
import { encodeEntry, opPath, parseOp, urlsafeB64 } from '../test/emulators/qiniu/qiniu-ops.ts'
import { QiniuStore, qiniuEtag } from '../test/emulators/qiniu/qiniu-store.ts'
import { FaultRegistry } from '../test/emulators/qiniu/faults.ts'
import {
  addFault,
  clearFaults,
  clearRequestLog,
  deleteBucket,
  listFaults,
  listObjects,
  markRestored,
  patchBucket,
  requestLog,
  seedBucket,
  type EmulatorObject,
} from '../test/emulators/control.ts'
import { QINIU_CREDENTIALS } from '../test/fixtures/qiniu-credentials.ts'

const HOST = process.env.SELFTEST_HOST ?? '127.0.0.2'
const AK = 'qn-test-ak'
const SK = QINIU_CREDENTIALS[AK]!
const FORM = 'application/x-www-form-urlencoded'

let emu: QiniuEmulator
let BASE = ''

// ------------------------------------------------------------------ helpers

function qiniuDate(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

function formBody(ops: string[]): string {
  return new URLSearchParams(ops.map((o) => ['op', o])).toString()
}

interface Res {
  status: number
  headers: Headers
  text: string
  json: any
}

interface SendOpts {
  scheme?: 'Qiniu' | 'QBox' | 'none'
  ak?: string
  sk?: string
  /** X-Qiniu-Date to send (v2 signs it); null = none. Default now. */
  date?: string | null
  /** X-Qiniu-Date to sign, when different from the one sent. */
  signDate?: string
  contentType?: string
  /** Sign this body instead of the one sent. */
  signBody?: string
  /** Sign for this URL instead of the request URL. */
  signUrl?: string
  /** Replace the Authorization header entirely. */
  authorization?: string
  method?: string
  signal?: AbortSignal
}

function sign(o: SendOpts, url: string, method: string, ct: string, body: string): Record<string, string> {
  const headers: Record<string, string> = {}
  const date = o.date === undefined ? qiniuDate() : o.date
  if (date !== null) headers['X-Qiniu-Date'] = date
  const mac = new qiniu.auth.digest.Mac(o.ak ?? AK, o.sk ?? (QINIU_CREDENTIALS[o.ak ?? AK] ?? 'unknown-sk'))
  const signUrl = o.signUrl ?? url
  const signBody = o.signBody ?? body
  const scheme = o.scheme ?? 'Qiniu'
  if (o.authorization !== undefined) headers.Authorization = o.authorization
  else if (scheme === 'QBox') headers.Authorization = qiniu.util.generateAccessToken(mac, signUrl, ct === FORM ? signBody : undefined)
  else if (scheme === 'Qiniu') {
    const signed: Record<string, string> = {}
    const sd = o.signDate ?? date
    if (sd !== null) signed['X-Qiniu-Date'] = sd
    headers.Authorization = qiniu.util.generateAccessTokenV2(mac, signUrl, method, ct, signBody, signed)
  }
  return headers
}

async function send(path: string, body: string, o: SendOpts = {}): Promise<Res> {
  const url = BASE + path
  const method = o.method ?? 'POST'
  const ct = o.contentType ?? FORM
  const headers = { 'Content-Type': ct, ...sign(o, url, method, ct, body) }
  const r = await fetch(url, { method, headers, body: method === 'GET' ? undefined : body, signal: o.signal })
  const text = await r.text()
  let json: any
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: r.status, headers: r.headers, text, json }
}

const batch = (ops: string[], o: SendOpts = {}) => send('/batch', formBody(ops), o)

/** A raw HTTP request (custom Host header). */
function rawRequest(o: { host: string; hostHeader: string; method: string; path: string; headers: Record<string, string>; body: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: o.host, port: 80, method: o.method, path: o.path, headers: { Host: o.hostHeader, ...o.headers, 'Content-Length': String(Buffer.byteLength(o.body)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(o.body)
  })
}

let bucketSeq = 0
const newBucket = (tag: string) => `st-${tag}-${++bucketSeq}`

async function objectsByKey(bucket: string): Promise<Map<string, EmulatorObject>> {
  return new Map((await listObjects(BASE, bucket)).map((o) => [o.key, o]))
}

const tests: Array<{ name: string; fn: () => Promise<void> | void }> = []
const test = (name: string, fn: () => Promise<void> | void) => tests.push({ name, fn })

// ------------------------------------------------------------------ unit: ops parsing and store

test('parseOp: entries, both alphabets, padding, errors', () => {
  const e = encodeEntry('qiniuphotos', '012ts>a')
  assert.equal(e, 'cWluaXVwaG90b3M6MDEydHM-YQ==') // upstream vector
  assert.equal(encodeEntry('qiniuphotos', ''), 'cWluaXVwaG90b3M6')
  let p = parseOp(`/stat/${e}`)
  assert.ok(p.ok && p.cmd.op === 'stat' && p.cmd.entry.key === '012ts>a')
  p = parseOp(`/stat/${e.replace('-', '+')}`) // std alphabet
  assert.ok(p.ok && p.cmd.op === 'stat' && p.cmd.entry.key === '012ts>a')
  p = parseOp(`/stat/${e.replace(/=+$/, '')}`) // padding dropped
  assert.deepEqual(p.ok ? null : p.error, 'invalid op')
  p = parseOp(`/stat/${urlsafeB64('nocolon')}`)
  assert.equal(p.ok ? null : p.error, 'invalid op')
  p = parseOp('/frobnicate/abc')
  assert.equal(p.ok ? null : p.error, 'unknown op')
  p = parseOp(`/stat/${e}/extra`)
  assert.equal(p.ok ? null : p.error, 'invalid op')
  p = parseOp(`/copy/${e}/${e}/force/maybe`)
  assert.ok(!p.ok)
  p = parseOp(`/copy/${e}/${encodeEntry('b2', 'k')}/force/true`)
  assert.ok(p.ok && p.cmd.op === 'copy' && p.cmd.force && p.cmd.dest.bucket === 'b2')
  assert.deepEqual(p.targets.map((t) => t.bucket), ['qiniuphotos', 'b2'])
  p = parseOp(`/glb/stat/${e}`)
  assert.equal(p.ok ? null : p.error, 'unknown op')
  assert.ok(parseOp(`/glb/stat/${e}`, { allowGlb: true }).ok)
  // a bad parameter still reports the bucket it touches
  p = parseOp(`/restoreAr/${e}/freezeAfterDays/9`)
  assert.ok(!p.ok && p.error === 'invalid freezeAfterDays' && p.targets[0]?.bucket === 'qiniuphotos')
  // invalid UTF-8 inside the entry
  p = parseOp(`/stat/${Buffer.from([0x62, 0x3a, 0xff]).toString('base64')}`)
  assert.ok(!p.ok)
})

test('store: etag default, putTime monotonic and exact', () => {
  assert.equal(qiniuEtag('').length, 28)
  assert.equal(qiniuEtag(''), 'Fto5o-5ea0sNMlW_75VgGJCv2AcJ') // etag of empty content
  const s = new QiniuStore({ now: () => 1_700_000_000_000, subMs: () => 1 })
  const a = s.newPutTime()
  const b = s.newPutTime()
  assert.equal(a, 17_000_000_000_000_001n)
  assert.equal(b, 17_000_000_000_000_002n)
})

test('faults: registry consumption and precedence', () => {
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
  assert.throws(() => f.add({ bucket: 'a', kind: 'nope' }), /kind/)
  assert.throws(() => f.add({ bucket: 'a', kind: 'http' }), /status/)
  assert.throws(() => f.add({ kind: 'drop' }), /bucket/)
  assert.throws(() => f.add({ bucket: 'a', kind: 'drop', times: 0 }), /times/)
  assert.throws(() => f.add({ bucket: 'a', kind: 'drop', colour: 'red' }), /unknown field/)
})

// ------------------------------------------------------------------ authentication

test('auth: v2 with X-Qiniu-Date, v2 without date, QBox all accepted', async () => {
  const b = newBucket('auth')
  await seedBucket(BASE, b, [{ key: 'a' }])
  for (const o of [{ scheme: 'Qiniu' as const }, { scheme: 'Qiniu' as const, date: null }, { scheme: 'QBox' as const }, { scheme: 'QBox' as const, date: null }]) {
    const r = await batch([opPath.stat(b, 'a')], o)
    assert.equal(r.status, 200, `${JSON.stringify(o)} → ${r.status} ${r.text}`)
    assert.equal(r.json[0].code, 200)
  }
  // each access key of the fixtures works
  for (const ak of Object.keys(QINIU_CREDENTIALS)) {
    assert.equal((await batch([opPath.stat(b, 'a')], { ak })).status, 200)
  }
})

test('auth: bad tokens → 401 {"error":"bad token"} and nothing applied', async () => {
  const b = newBucket('auth401')
  await seedBucket(BASE, b, [{ key: 'a' }])
  const ops = [opPath.delete(b, 'a')]
  const body = formBody(ops)
  const good = sign({}, BASE + '/batch', 'POST', FORM, body).Authorization!
  const flipped = good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1)
  const cases: Array<[string, SendOpts]> = [
    ['tampered signature', { authorization: flipped }],
    ['unknown AK', { ak: 'nobody', sk: 'whatever' }],
    ['known AK, wrong SK', { ak: 'qn-other-ak', sk: 'qn-test-sk' }],
    ['no Authorization', { scheme: 'none' }],
    ['garbled header', { authorization: 'Qiniu nocolonhere' }],
    ['unknown scheme', { authorization: good.replace(/^Qiniu /, 'Bearer ') }],
    ['scheme swapped (v2 token as QBox)', { authorization: good.replace(/^Qiniu /, 'QBox ') }],
    ['lower-case scheme', { authorization: good.replace(/^Qiniu /, 'qiniu ') }],
    ['signed another body', { signBody: formBody([opPath.stat(b, 'a')]) }],
    ['signed another date', { date: qiniuDate(), signDate: qiniuDate(new Date(Date.now() - 1000)) }],
    ['date sent but not signed', { date: qiniuDate(), signDate: undefined, authorization: undefined, ...{ signDateOmit: true } } as SendOpts],
    ['signed another host', { signUrl: 'http://rs-z0.qiniuapi.com/batch' }],
    ['signed another host:port', { signUrl: `http://${HOST}:8080/batch` }],
    ['signed another path', { signUrl: BASE + '/glb/batch' }],
    ['QBox signed another body', { scheme: 'QBox', signBody: '' }],
    ['QBox signed with the body but Content-Type has a charset', { scheme: 'QBox', contentType: FORM + ';charset=UTF-8', signBody: body }],
  ]
  for (const [name, o] of cases) {
    let r: Res
    if (name === 'date sent but not signed') {
      const mac = new qiniu.auth.digest.Mac(AK, SK)
      const auth = qiniu.util.generateAccessTokenV2(mac, BASE + '/batch', 'POST', FORM, body, {})
      const fr = await fetch(BASE + '/batch', { method: 'POST', headers: { 'Content-Type': FORM, 'X-Qiniu-Date': qiniuDate(), Authorization: auth }, body })
      r = { status: fr.status, headers: fr.headers, text: await fr.text(), json: undefined }
      r.json = JSON.parse(r.text)
    } else if (name.startsWith('QBox signed with the body')) {
      // The QBox signer the gateway would use includes the body; the server leaves it out for a non-exact type.
      const mac = new qiniu.auth.digest.Mac(AK, SK)
      const auth = qiniu.util.generateAccessToken(mac, BASE + '/batch', body)
      r = await send('/batch', body, { ...o, authorization: auth })
    } else {
      r = await send('/batch', body, o)
    }
    assert.equal(r.status, 401, `${name}: ${r.status} ${r.text}`)
    assert.deepEqual(r.json, { error: 'bad token' }, name)
  }
  // v2 with a charset: the server signs without the body (Go incBodyV2 exact match), so a body-including token fails…
  const ctCharset = FORM + ';charset=UTF-8'
  let r = await send('/batch', body, { contentType: ctCharset })
  assert.equal(r.status, 401, 'v2 with charset content type and body signed')
  // …and the same request signed without the body passes auth (and the form is still parsed).
  r = await send('/batch', body, { contentType: ctCharset, signBody: '' })
  assert.equal(r.status, 200, `v2 charset, body not signed: ${r.text}`)
  // only the last request applied the delete
  assert.deepEqual(await listObjects(BASE, b), [])
})

test('auth: X-Qiniu-Date skew → 403, malformed → 403, 14 min ok', async () => {
  const b = newBucket('skew')
  await seedBucket(BASE, b, [{ key: 'a' }])
  const ops = [opPath.stat(b, 'a')]
  for (const [offsetMin, expect] of [
    [-20, 403],
    [20, 403],
    [-16, 403],
    [-14, 200],
    [14, 200],
  ] as const) {
    const r = await batch(ops, { date: qiniuDate(new Date(Date.now() + offsetMin * 60_000)) })
    assert.equal(r.status, expect, `offset ${offsetMin} min: ${r.text}`)
    if (expect === 403) assert.deepEqual(r.json, { error: 'request time too skewed' })
  }
  // QBox with a skewed X-Qiniu-Date is rejected too
  assert.equal((await batch(ops, { scheme: 'QBox', date: qiniuDate(new Date(Date.now() - 3_600_000)) })).status, 403)
  for (const bad of ['2024-01-01T00:00:00Z', '20240101T000000', '20241301T000000Z', '20240230T000000Z', 'yesterday', '']) {
    const r = await batch(ops, { date: bad })
    assert.equal(r.status, 403, `malformed date ${JSON.stringify(bad)}: ${r.status} ${r.text}`)
  }
  // upstream behaviour: the SDK test mocks the date to epoch 0 and expects 403
  assert.equal((await batch(ops, { date: qiniuDate(new Date(0)) })).status, 403)
})

test('auth: upstream/derived vectors (custom Host) are accepted', async () => {
  // Derived /batch vector of provider-protocols.md §1.6, AK "AK" / SK "SK", Host rs-z0.qiniuapi.com,
  // on an instance whose clock says 2024-01-01T00:00:00Z.
  const vec = await startQiniuEmulator({ host: '127.0.0.3', port: 80, credentials: { AK: 'SK', MY_ACCESS_KEY: 'MY_SECRET_KEY' }, now: () => Date.UTC(2024, 0, 1) })
  try {
    const vb = vec.url
    await seedBucket(vb, 'mybucket', [{ key: 'a.txt', mimeType: 'image/png' }, { key: 'dir/b c.txt' }])
    const body =
      'op=%2Fstat%2FbXlidWNrZXQ6YS50eHQ%3D&op=%2Fdelete%2FbXlidWNrZXQ6ZGlyL2IgYy50eHQ%3D&op=%2Fcopy%2FbXlidWNrZXQ6YS50eHQ%3D%2FbXlidWNrZXQ6YS1jb3B5LnR4dA%3D%3D%2Fforce%2Ftrue&op=%2Fchgm%2FbXlidWNrZXQ6YS50eHQ%3D%2Fmime%2FdGV4dC9wbGFpbg%3D%3D%2Fx-qn-meta-author%2FYWxpY2U%3D'
    const v2 = await rawRequest({
      host: '127.0.0.3',
      hostHeader: 'rs-z0.qiniuapi.com',
      method: 'POST',
      path: '/batch',
      headers: { 'Content-Type': FORM, 'X-Qiniu-Date': '20240101T000000Z', Authorization: 'Qiniu AK:NGlp7H0ZRyIXp0Fjve-okt20yYo=' },
      body,
    })
    assert.equal(v2.status, 200, v2.text)
    const res = JSON.parse(v2.text)
    assert.deepEqual(res.map((x: { code: number }) => x.code), [200, 200, 200, 200])
    assert.equal(res[0].data.mimeType, 'image/png')
    assert.equal(res[1].data, undefined)
    const objs = await listObjects(vb, 'mybucket')
    assert.deepEqual(objs.map((o) => o.key), ['a-copy.txt', 'a.txt'])
    assert.equal(objs[1]!.mimeType, 'text/plain')
    assert.deepEqual(objs[1]!.meta, { author: 'alice' })
    // the same token on another Host fails
    const other = await rawRequest({ host: '127.0.0.3', hostHeader: 'rs-z1.qiniuapi.com', method: 'POST', path: '/batch', headers: { 'Content-Type': FORM, 'X-Qiniu-Date': '20240101T000000Z', Authorization: 'Qiniu AK:NGlp7H0ZRyIXp0Fjve-okt20yYo=' }, body })
    assert.equal(other.status, 401)
    // QBox derived vector (no date header)
    await seedBucket(vb, 'mybucket', [{ key: 'a.txt' }, { key: 'dir/b c.txt' }])
    const qbox = await rawRequest({ host: '127.0.0.3', hostHeader: 'rs-z0.qiniuapi.com', method: 'POST', path: '/batch', headers: { 'Content-Type': FORM, Authorization: 'QBox AK:AM87q15Ye24EhjUFdkbizbOc3dY=' }, body })
    assert.equal(qbox.status, 200, qbox.text)
    // Upstream doc vector: a standalone move signed with QBox, no body.
    await seedBucket(vb, 'newdocs', [{ key: 'find_man.txt' }])
    const mv = await rawRequest({
      host: '127.0.0.3',
      hostHeader: 'rs.qiniu.com',
      method: 'POST',
      path: '/move/bmV3ZG9jczpmaW5kX21hbi50eHQ=/bmV3ZG9jczpmaW5kLm1hbi50eHQ=',
      headers: { Authorization: 'QBox MY_ACCESS_KEY:FXsYh0wKHYPEsIAgdPD9OfjkeEM=' },
      body: '',
    })
    assert.equal(mv.status, 200, mv.text)
    assert.deepEqual((await listObjects(vb, 'newdocs')).map((o) => o.key), ['find.man.txt'])
  } finally {
    await vec.close()
  }
})

// ------------------------------------------------------------------ /batch shape

test('batch: mixed ops → 298, codes in op order, data shapes', async () => {
  const b = newBucket('mixed')
  await seedBucket(BASE, b, [
    { key: 'a.txt', fsize: 5, mimeType: 'text/plain', md5: '5d41402abc4b2a76b9719d911017c592', meta: { author: 'alice' } },
    { key: 'b.txt' },
  ])
  const r = await batch([
    opPath.stat(b, 'a.txt'),
    opPath.stat(b, 'missing'),
    opPath.copy(b, 'a.txt', b, 'c.txt', false),
    opPath.copy(b, 'a.txt', b, 'b.txt'),
    opPath.stat('no-such-bucket-xyz', 'a'),
    '/frobnicate/' + encodeEntry(b, 'a.txt'),
    '/stat/notbase64!',
    opPath.delete(b, 'b.txt'),
  ])
  assert.equal(r.status, 298, r.text)
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/)
  assert.ok((r.headers.get('x-reqid') ?? '').length > 0)
  const codes = r.json.map((x: { code: number }) => x.code)
  assert.deepEqual(codes, [200, 612, 200, 614, 631, 400, 400, 200])
  const st = r.json[0].data
  assert.equal(st.fsize, 5)
  assert.equal(st.hash, qiniuEtag('a.txt'))
  assert.equal(st.mimeType, 'text/plain')
  assert.equal(st.md5, '5d41402abc4b2a76b9719d911017c592')
  assert.deepEqual(st['x-qn-meta'], { author: 'alice' })
  assert.ok(!('type' in st) && !('status' in st) && !('restoreStatus' in st) && !('expiration' in st))
  assert.deepEqual(r.json[1], { code: 612, data: { error: 'no such file or directory' } })
  assert.deepEqual(r.json[2], { code: 200 })
  assert.deepEqual(r.json[3], { code: 614, data: { error: 'file exists' } })
  assert.deepEqual(r.json[4], { code: 631, data: { error: 'no such bucket' } })
  assert.deepEqual(r.json[5], { code: 400, data: { error: 'unknown op' } })
  assert.deepEqual(r.json[6], { code: 400, data: { error: 'invalid op' } })
  assert.deepEqual(r.json[7], { code: 200 })
  // putTime is an exact integer in 100-ns units written without exponent or quotes
  const pt = /"putTime":(\d+)/.exec(r.text)?.[1]
  assert.ok(pt && pt.length === 17, `putTime ${pt}`)
  const objs = await objectsByKey(b)
  assert.equal(objs.get('a.txt')!.putTime, pt)
  assert.deepEqual([...objs.keys()], ['a.txt', 'c.txt'])
})

test('batch: all ok → 200; 1000 ops ok; 0 and 1001 ops → 400', async () => {
  const b = newBucket('limits')
  await seedBucket(BASE, b, [{ key: 'k' }])
  let r = await batch([opPath.stat(b, 'k'), opPath.stat(b, 'k')])
  assert.equal(r.status, 200)
  r = await batch(Array.from({ length: 1000 }, () => opPath.stat(b, 'k')))
  assert.equal(r.status, 200)
  assert.equal(r.json.length, 1000)
  r = await batch(Array.from({ length: 1001 }, () => opPath.stat(b, 'k')))
  assert.equal(r.status, 400)
  assert.equal(typeof r.json.error, 'string')
  r = await batch([])
  assert.equal(r.status, 400)
  assert.equal(typeof r.json.error, 'string')
  r = await send('/batch', 'foo=bar')
  assert.equal(r.status, 400, 'a form without op')
  // both QBox and v2 see the same limit
  r = await batch(Array.from({ length: 1001 }, () => opPath.stat(b, 'k')), { scheme: 'QBox' })
  assert.equal(r.status, 400)
})

test('batch: body and content-type problems', async () => {
  const b = newBucket('body')
  await seedBucket(BASE, b, [{ key: 'k' }])
  const op = opPath.stat(b, 'k')
  let r = await send('/batch', formBody([op]), { contentType: 'application/json' })
  assert.equal(r.status, 400, 'JSON content type')
  // (v2 leaves the body out of the signature for text/plain, Go incBodyV2 rule)
  r = await send('/batch', formBody([op]), { contentType: 'text/plain', signBody: '' })
  assert.equal(r.status, 400, 'text/plain content type')
  r = await send('/batch', formBody([op]), { contentType: 'text/plain' })
  assert.equal(r.status, 401, 'text/plain content type, body signed')
  r = await send('/batch', formBody([op]) + '&%zz=1')
  assert.equal(r.status, 400, 'undecodable parameter name')
  r = await send('/batch', `${formBody([op])}&op=%2Fstat%2F%zz&op=${encodeURIComponent(op)}`)
  assert.equal(r.status, 298, r.text)
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [200, 400, 200])
  // unencoded op values are fine as long as they decode to the same string
  r = await send('/batch', `op=${op}&op=${op}`)
  assert.equal(r.status, 200, r.text)
  // a std-alphabet '+' left unencoded in the form becomes a space → invalid op
  const plusEntry = encodeEntry(b, '~~~>') // contains '-' in urlsafe → '+' in std
  assert.ok(plusEntry.includes('-'))
  await seedBucket(BASE, b, [{ key: 'k' }, { key: '~~~>' }])
  r = await send('/batch', `op=/stat/${plusEntry.replace(/-/g, '+')}`)
  assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid op' } }])
  r = await send('/batch', `op=${encodeURIComponent('/stat/' + plusEntry.replace(/-/g, '+'))}`)
  assert.equal(r.status, 200, 'std alphabet, properly form-encoded')
  // missing padding
  r = await batch([`/stat/${encodeEntry(b, 'k').replace(/=+$/, '')}`])
  if (encodeEntry(b, 'k').endsWith('=')) assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid op' } }])
  // bucket-only entry
  r = await batch([`/stat/${encodeEntry(b)}`])
  assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid op' } }])
  // wrong method, unknown route
  assert.equal((await fetch(BASE + '/batch')).status, 405)
  assert.equal((await fetch(BASE + '/nothing-here', { method: 'POST' })).status, 404)
})

test('batch: /glb/batch takes /glb/ ops, /batch does not', async () => {
  const b = newBucket('glb')
  await seedBucket(BASE, b, [{ key: 'k' }])
  let r = await send('/glb/batch', formBody([`/glb${opPath.stat(b, 'k')}`, opPath.stat(b, 'k')]))
  assert.equal(r.status, 200, r.text)
  r = await batch([`/glb${opPath.stat(b, 'k')}`])
  assert.deepEqual(r.json, [{ code: 400, data: { error: 'unknown op' } }])
  r = await send('/glb/batch', formBody([opPath.stat(b, 'k')]), { scheme: 'QBox' })
  assert.equal(r.status, 200)
})

test('single-op endpoints: status = op code, body = data', async () => {
  const b = newBucket('single')
  await seedBucket(BASE, b, [{ key: 'a', fsize: 3 }])
  let r = await send(opPath.stat(b, 'a'), '', { method: 'GET' })
  assert.equal(r.status, 200, r.text)
  assert.equal(r.json.fsize, 3)
  r = await send(opPath.stat(b, 'a'), '')
  assert.equal(r.status, 200)
  r = await send(opPath.stat(b, 'zzz'), '')
  assert.equal(r.status, 612)
  assert.deepEqual(r.json, { error: 'no such file or directory' })
  r = await send(`/glb${opPath.stat(b, 'a')}`, '', { scheme: 'QBox' })
  assert.equal(r.status, 200)
  r = await send(opPath.copy(b, 'a', b, 'b'), '')
  assert.equal(r.status, 200)
  assert.equal(r.text, '')
  r = await send(opPath.delete(b, 'a'), '', { scheme: 'QBox' })
  assert.equal(r.status, 200)
  r = await send(opPath.delete(b, 'a'), '')
  assert.equal(r.status, 612)
  r = await send(`/stat/${encodeEntry(b, 'b')}/junk`, '')
  assert.equal(r.status, 400)
  r = await send(opPath.stat(b, 'b'), '', { scheme: 'none' })
  assert.equal(r.status, 401)
})

// ------------------------------------------------------------------ op semantics

test('stat: optional fields appear only when set', async () => {
  const b = newBucket('stat')
  await seedBucket(BASE, b, [
    { key: 'plain' },
    { key: 'full', type: 2, status: 1, restoreStatus: 2, md5: '0123456789abcdef0123456789abcdef', meta: { a: '1' }, expiration: 1_900_000_000, transitionToIA: 1_800_000_000, putTime: '17000000000000001' },
    { key: 'ia', type: 1 },
  ])
  const r = await batch([opPath.stat(b, 'plain'), opPath.stat(b, 'full'), opPath.stat(b, 'ia')])
  assert.equal(r.status, 200)
  assert.deepEqual(Object.keys(r.json[0].data).sort(), ['fsize', 'hash', 'mimeType', 'putTime'])
  assert.equal(r.json[0].data.mimeType, 'application/octet-stream')
  const full = r.json[1].data
  assert.equal(full.type, 2)
  assert.equal(full.status, 1)
  assert.equal(full.restoreStatus, 2)
  assert.equal(full.expiration, 1_900_000_000)
  assert.equal(full.transitionToIA, 1_800_000_000)
  assert.ok(!('transitionToARCHIVE' in full))
  assert.match(r.text, /"putTime":17000000000000001[,}]/, 'exact putTime beyond 2^53')
  assert.equal(r.json[2].data.type, 1)
})

test('copy / move / delete semantics', async () => {
  const b = newBucket('cm')
  const b2 = newBucket('cm2')
  await seedBucket(BASE, b, [
    { key: 'src', fsize: 10, hash: 'FhashSrc', mimeType: 'image/png', md5: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', meta: { x: 'y' }, type: 1, status: 1, expiration: 1_900_000_000, putTime: '15000000000000000', cacheControl: 'no-cache' },
    { key: 'exists' },
  ])
  await seedBucket(BASE, b2, [])
  let r = await batch([
    opPath.copy(b, 'src', b2, 'copy'),
    opPath.copy(b, 'src', b, 'exists'),
    opPath.copy(b, 'src', b, 'exists', false),
    opPath.copy(b, 'nope', b, 'x'),
    opPath.copy(b, 'src', 'no-bucket-zz', 'x'),
    opPath.copy('no-bucket-zz', 'src', b, 'x'),
  ])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [200, 614, 614, 612, 631, 631])
  const copy = (await objectsByKey(b2)).get('copy')!
  assert.equal(copy.fsize, 10)
  assert.equal(copy.hash, 'FhashSrc')
  assert.equal(copy.mimeType, 'image/png')
  assert.equal(copy.md5, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
  assert.deepEqual(copy.meta, { x: 'y' })
  assert.equal(copy.type, 1)
  assert.notEqual(copy.putTime, '15000000000000000')
  assert.ok(BigInt(copy.putTime) > 15000000000000000n)
  r = await batch([opPath.copy(b, 'src', b, 'exists', true)])
  assert.equal(r.status, 200)
  assert.equal((await objectsByKey(b)).get('exists')!.hash, 'FhashSrc')
  // move
  r = await batch([opPath.move(b, 'src', b, 'moved'), opPath.move(b, 'src', b, 'moved2')])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [200, 612])
  let objs = await objectsByKey(b)
  assert.ok(!objs.has('src') && objs.has('moved'))
  assert.equal(objs.get('moved')!.hash, 'FhashSrc')
  r = await batch([opPath.move(b, 'moved', b, 'exists')])
  assert.deepEqual(r.json, [{ code: 614, data: { error: 'file exists' } }])
  r = await batch([opPath.move(b, 'moved', b, 'moved', true)])
  assert.deepEqual(r.json, [{ code: 200 }])
  r = await batch([opPath.move(b, 'moved', b, 'moved')])
  assert.equal(r.json[0].code, 614)
  r = await batch([opPath.move(b, 'moved', b2, 'moved-across', true)])
  assert.equal(r.status, 200)
  assert.ok(!(await objectsByKey(b)).has('moved'))
  assert.ok((await objectsByKey(b2)).has('moved-across'))
  // delete
  r = await batch([opPath.delete(b, 'exists'), opPath.delete(b, 'exists'), opPath.delete('no-bucket-zz', 'a')])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [200, 612, 631])
  objs = await objectsByKey(b)
  assert.equal(objs.size, 0)
  // ops within one batch apply in order
  await seedBucket(BASE, b, [{ key: 'a' }])
  r = await batch([opPath.copy(b, 'a', b, 'b'), opPath.delete(b, 'a'), opPath.stat(b, 'b'), opPath.stat(b, 'a')])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [200, 200, 200, 612])
})

test('restoreAr semantics', async () => {
  const b = newBucket('restore')
  await seedBucket(BASE, b, [{ key: 'std' }, { key: 'ar', type: 2 }, { key: 'deep', type: 3 }, { key: 'ia', type: 1 }, { key: 'air', type: 4 }])
  let r = await batch([
    opPath.restoreAr(b, 'ar', 0),
    opPath.restoreAr(b, 'ar', 8),
    `/restoreAr/${encodeEntry(b, 'ar')}/freezeAfterDays/x`,
    `/restoreAr/${encodeEntry(b, 'ar')}`,
    opPath.restoreAr(b, 'std', 1),
    opPath.restoreAr(b, 'ia', 1),
    opPath.restoreAr(b, 'air', 1),
    opPath.restoreAr(b, 'nope', 1),
  ])
  assert.deepEqual(r.json.slice(0, 4), Array(4).fill({ code: 400, data: { error: 'invalid freezeAfterDays' } }))
  for (const i of [4, 5, 6]) assert.deepEqual(r.json[i], { code: 403, data: { error: 'operation only allowed for archive or deep archive' } })
  assert.equal(r.json[7].code, 612)
  r = await batch([opPath.restoreAr(b, 'ar', 1), opPath.restoreAr(b, 'deep', 7), opPath.restoreAr(b, 'ar', 3)])
  assert.equal(r.status, 200)
  assert.deepEqual(r.json, [{ code: 200 }, { code: 200 }, { code: 200 }])
  r = await batch([opPath.stat(b, 'ar'), opPath.stat(b, 'std')])
  assert.equal(r.json[0].data.restoreStatus, 1)
  assert.ok(!('restoreStatus' in r.json[1].data))
  await markRestored(BASE, b, 'ar')
  r = await batch([opPath.stat(b, 'ar'), opPath.restoreAr(b, 'ar', 2), opPath.stat(b, 'ar')])
  assert.equal(r.json[0].data.restoreStatus, 2)
  assert.equal(r.json[1].code, 200)
  assert.equal(r.json[2].data.restoreStatus, 2)
  // a change of storage class freezes again
  r = await batch([opPath.chtype(b, 'ar', 3), opPath.stat(b, 'ar')])
  assert.equal(r.json[1].data.type, 3)
  assert.ok(!('restoreStatus' in r.json[1].data))
  // the control API refuses restoreStatus on a non-archive object
  await assert.rejects(markRestored(BASE, b, 'std'), /400/)
})

test('chgm semantics and limits', async () => {
  const b = newBucket('chgm')
  await seedBucket(BASE, b, [{ key: 'k', mimeType: 'text/plain', meta: { old: 'x', keep: 'y' }, fsize: 7 }])
  const E = encodeEntry(b, 'k')
  const B = urlsafeB64
  let r = await batch([`/chgm/${E}/mime/${B('image/jpeg')}`])
  assert.equal(r.status, 200)
  let o = (await objectsByKey(b)).get('k')!
  assert.equal(o.mimeType, 'image/jpeg')
  assert.deepEqual(o.meta, { old: 'x', keep: 'y' }, 'meta kept when no x-qn-meta segment')
  r = await batch([`/chgm/${E}/x-qn-meta-author/${B('alice')}/x-qn-meta-Lang/${B('中文')}`])
  assert.equal(r.status, 200)
  o = (await objectsByKey(b)).get('k')!
  assert.deepEqual(o.meta, { author: 'alice', Lang: '中文' }, 'meta replaced as a whole')
  assert.equal(o.mimeType, 'image/jpeg', 'mime kept')
  r = await batch([`/chgm/${E}/cacheControl/${B('max-age=60')}/contentDisposition/${B('attachment')}/contentLanguage/${B('zh')}/contentEncoding/${B('gzip')}/expires/${B('Wed, 21 Oct 2015 07:28:00 GMT')}`])
  assert.equal(r.status, 200, r.text)
  o = (await objectsByKey(b)).get('k')!
  assert.equal(o.cacheControl, 'max-age=60')
  assert.equal(o.contentEncoding, 'gzip')
  assert.equal(o.expires, 'Wed, 21 Oct 2015 07:28:00 GMT')
  // cond
  const goodCond = `hash=${o.hash}&mime=image/jpeg&fsize=7&putTime=${o.putTime}`
  r = await batch([`/chgm/${E}/mime/${B('text/html')}/cond/${B('fsize=8')}`, `/chgm/${E}/mime/${B('text/html')}/cond/${B(`hash=${o.hash}&putTime=${BigInt(o.putTime) + 1n}`)}`])
  assert.deepEqual(r.json, [{ code: 608, data: { error: 'file modified' } }, { code: 608, data: { error: 'file modified' } }])
  assert.equal((await objectsByKey(b)).get('k')!.mimeType, 'image/jpeg')
  r = await batch([`/chgm/${E}/mime/${B('text/html')}/cond/${B(goodCond)}`])
  assert.equal(r.status, 200, r.text)
  assert.equal((await objectsByKey(b)).get('k')!.mimeType, 'text/html')
  // limits → 400
  const bad: Array<[string, string]> = [
    [`/chgm/${E}/mime/${B('a/' + 'b'.repeat(199))}`, 'invalid mime'],
    [`/chgm/${E}/mime/${B('text/plain;%20x')}`, 'invalid mime'],
    [`/chgm/${E}/x-qn-meta-bad.key/${B('v')}`, 'invalid meta key'],
    [`/chgm/${E}/x-qn-meta-${'k'.repeat(51)}/${B('v')}`, 'invalid meta key'],
    [`/chgm/${E}/x-qn-meta-a/${B('v'.repeat(1000))}/x-qn-meta-b/${B('v'.repeat(30))}`, 'meta too large'],
    [`/chgm/${E}/cond/${B('size=1')}/mime/${B('a/b')}`, 'invalid cond'],
    [`/chgm/${E}/bogus/${B('x')}`, 'invalid op'],
    [`/chgm/${E}/mime`, 'invalid op'],
    [`/chgm/${E}`, 'nothing to change'],
  ]
  r = await batch(bad.map(([op]) => op))
  assert.deepEqual(
    r.json,
    bad.map(([, error]) => ({ code: 400, data: { error } })),
  )
  // exactly at the limits is fine
  r = await batch([`/chgm/${E}/mime/${B('a/' + 'b'.repeat(198))}/x-qn-meta-${'k'.repeat(50)}/${B('v'.repeat(974))}`])
  assert.equal(r.status, 200, r.text)
  r = await batch([`/chgm/${encodeEntry(b, 'nope')}/mime/${B('a/b')}`, `/chgm/${encodeEntry('no-bucket-zz', 'k')}/mime/${B('a/b')}`])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [612, 631])
})

test('chtype / chstatus semantics', async () => {
  const b = newBucket('chx')
  await seedBucket(BASE, b, [{ key: 'k' }])
  let r = await batch([opPath.chtype(b, 'k', 5), opPath.chtype(b, 'k', -1), `/chtype/${encodeEntry(b, 'k')}/type/x`, `/chtype/${encodeEntry(b, 'k')}/typ/1`])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [400, 400, 400, 400])
  r = await batch([opPath.chtype(b, 'k', 4), opPath.stat(b, 'k'), opPath.chtype(b, 'k', 0), opPath.stat(b, 'k')])
  assert.equal(r.status, 200)
  assert.equal(r.json[1].data.type, 4)
  assert.ok(!('type' in r.json[3].data))
  r = await batch([opPath.chstatus(b, 'k', 0)])
  assert.deepEqual(r.json, [{ code: 400, data: { error: 'already enabled' } }])
  assert.equal(r.status, 298)
  r = await batch([opPath.chstatus(b, 'k', 1), opPath.stat(b, 'k'), opPath.chstatus(b, 'k', 1), opPath.chstatus(b, 'k', 2)])
  assert.deepEqual(r.json[0], { code: 200 })
  assert.equal(r.json[1].data.status, 1)
  assert.deepEqual(r.json[2], { code: 400, data: { error: 'already disabled' } })
  assert.equal(r.json[3].code, 400)
  r = await batch([opPath.chstatus(b, 'k', 0), opPath.stat(b, 'k'), opPath.chstatus(b, 'nope', 1)])
  assert.ok(!('status' in r.json[1].data))
  assert.equal(r.json[2].code, 612)
})

test('deleteAfterDays / lifecycle semantics', async () => {
  const b = newBucket('life')
  await seedBucket(BASE, b, [{ key: 'k' }])
  const E = encodeEntry(b, 'k')
  const nowS = Math.floor(Date.now() / 1000)
  let r = await batch([opPath.deleteAfterDays(b, 'k', 3), opPath.stat(b, 'k')])
  assert.equal(r.status, 200)
  const exp = r.json[1].data.expiration
  assert.ok(Number.isInteger(exp) && exp % 86400 === 0 && exp >= nowS + 3 * 86400 && exp <= nowS + 4 * 86400, `expiration ${exp}`)
  r = await batch([opPath.deleteAfterDays(b, 'k', -1), `/deleteAfterDays/${E}/x`, `/deleteAfterDays/${E}`, opPath.deleteAfterDays(b, 'nope', 1)])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [400, 400, 400, 612])
  r = await batch([opPath.deleteAfterDays(b, 'k', 0), opPath.stat(b, 'k')])
  assert.ok(!('expiration' in r.json[1].data))
  // lifecycle: any order, optional segments, 0 unchanged, -1 cancel
  r = await batch([`/lifecycle/${E}/toArchiveAfterDays/20/toIAAfterDays/10/deleteAfterDays/30`, opPath.stat(b, 'k')])
  assert.equal(r.status, 200, r.text)
  let st = r.json[1].data
  assert.ok(st.transitionToIA >= nowS + 10 * 86400 && st.transitionToIA % 86400 === 0)
  assert.ok(st.transitionToARCHIVE >= nowS + 20 * 86400)
  assert.ok(st.expiration >= nowS + 30 * 86400)
  assert.ok(!('transitionToDeepArchive' in st) && !('transitionToArchiveIR' in st))
  r = await batch([`/lifecycle/${E}/toIAAfterDays/-1/toArchiveIRAfterDays/0/toArchiveAfterDays/0/toDeepArchiveAfterDays/40/deleteAfterDays/0`, opPath.stat(b, 'k')])
  assert.equal(r.status, 200)
  const st2 = r.json[1].data
  assert.ok(!('transitionToIA' in st2))
  assert.equal(st2.transitionToARCHIVE, st.transitionToARCHIVE)
  assert.equal(st2.expiration, st.expiration)
  assert.ok(st2.transitionToDeepArchive >= nowS + 40 * 86400)
  r = await batch([
    `/lifecycle/${E}/toIAAfterDays/-2`,
    `/lifecycle/${E}/toIAAfterDays/1.5`,
    `/lifecycle/${E}/toIAAfterDays/abc`,
    `/lifecycle/${E}/toColdAfterDays/1`,
    `/lifecycle/${E}/toIAAfterDays/1/toIAAfterDays/2`,
    `/lifecycle/${E}/toIAAfterDays`,
  ])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [400, 400, 400, 400, 400, 400])
  const o = (await objectsByKey(b)).get('k')!
  r = await batch([`/lifecycle/${E}/toIAAfterDays/5/cond/${urlsafeB64('fsize=99')}`, `/lifecycle/${E}/toIAAfterDays/5/cond/${urlsafeB64(`hash=${o.hash}&fsize=0`)}`])
  assert.deepEqual(r.json.map((x: { code: number }) => x.code), [608, 200])
  st = (await batch([opPath.stat(b, 'k')])).json[0].data
  assert.ok(st.transitionToIA >= nowS + 5 * 86400)
})

// ------------------------------------------------------------------ faults

test('fault http: status, Retry-After, JSON body, not applied, consumed', async () => {
  const b = newBucket('fhttp')
  await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }])
  const rule = await addFault(BASE, { bucket: b, kind: 'http', status: 573, retryAfter: 2 })
  assert.equal(rule.times, 1)
  assert.match(rule.id, /\S/)
  let r = await batch([opPath.delete(b, 'a')])
  assert.equal(r.status, 573)
  assert.equal(r.headers.get('retry-after'), '2')
  assert.equal(typeof r.json.error, 'string')
  assert.ok((await objectsByKey(b)).has('a'), 'ops not applied')
  assert.deepEqual(await listFaults(BASE, b), [])
  r = await batch([opPath.delete(b, 'a')])
  assert.equal(r.status, 200)
  await addFault(BASE, { bucket: b, kind: 'http', status: 599, times: 2, body: 'raw body' })
  for (let i = 0; i < 2; i++) {
    r = await batch([opPath.delete(b, 'b')])
    assert.equal(r.status, 599)
    assert.equal(r.text, 'raw body')
    assert.equal(r.headers.get('retry-after'), null)
  }
  r = await batch([opPath.delete(b, 'b')])
  assert.equal(r.status, 200)
  // it fires when ANY op touches the bucket (also as a copy destination), even if other buckets are involved
  const other = newBucket('fhttp-other')
  await seedBucket(BASE, other, [{ key: 'x' }])
  await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
  r = await batch([opPath.stat(other, 'x')])
  assert.equal(r.status, 200, 'other bucket unaffected')
  r = await batch([opPath.stat(other, 'x'), opPath.copy(other, 'x', b, 'x')])
  assert.equal(r.status, 503)
  assert.ok(!(await objectsByKey(b)).has('x'))
  // unlimited
  await addFault(BASE, { bucket: b, kind: 'http', status: 502, times: -1 })
  for (let i = 0; i < 3; i++) assert.equal((await batch([opPath.stat(b, 'z')])).status, 502)
  assert.equal((await listFaults(BASE, b))[0]!.times, -1)
  assert.equal(await clearFaults(BASE, b), 1)
  assert.equal((await batch([opPath.stat(b, 'z')])).status, 298)
})

test('fault op: with key / without key, others applied, 298', async () => {
  const b = newBucket('fop')
  const other = newBucket('fop-other')
  await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }, { key: 'c' }])
  await seedBucket(BASE, other, [{ key: 'o' }])
  await addFault(BASE, { bucket: b, kind: 'op', key: 'b', code: 573 })
  let r = await batch([opPath.delete(b, 'a'), opPath.delete(b, 'b'), opPath.delete(b, 'c')])
  assert.equal(r.status, 298)
  assert.deepEqual(r.json[0], { code: 200 })
  assert.equal(r.json[1].code, 573)
  assert.equal(typeof r.json[1].data.error, 'string')
  assert.deepEqual(r.json[2], { code: 200 })
  assert.deepEqual([...(await objectsByKey(b)).keys()], ['b'])
  // consumed: a retry of the failed op succeeds
  r = await batch([opPath.delete(b, 'b')])
  assert.equal(r.status, 200)
  await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }])
  await addFault(BASE, { bucket: b, kind: 'op', code: 599, error: 'custom failure', times: 2 })
  r = await batch([opPath.delete(b, 'a'), opPath.delete(other, 'o'), opPath.stat(b, 'b')])
  assert.deepEqual(r.json, [{ code: 599, data: { error: 'custom failure' } }, { code: 200 }, { code: 599, data: { error: 'custom failure' } }])
  assert.equal((await listFaults(BASE, b))[0]!.times, 1, 'one request consumed one firing')
  r = await batch([opPath.delete(b, 'a')])
  assert.equal(r.json[0].code, 599)
  r = await batch([opPath.delete(b, 'a')])
  assert.equal(r.status, 200)
  // key matches copy destinations too
  await seedBucket(BASE, b, [{ key: 'src' }])
  await addFault(BASE, { bucket: b, kind: 'op', key: 'dst', code: 573 })
  r = await batch([opPath.copy(b, 'src', b, 'dst')])
  assert.equal(r.json[0].code, 573)
  assert.ok(!(await objectsByKey(b)).has('dst'))
  // an op that fails to parse answers 400 and does not consume the rule
  await addFault(BASE, { bucket: b, kind: 'op', code: 599 })
  r = await batch([opPath.restoreAr(b, 'src', 9)])
  assert.deepEqual(r.json, [{ code: 400, data: { error: 'invalid freezeAfterDays' } }])
  assert.equal((await listFaults(BASE, b)).length, 1)
  assert.equal(await clearFaults(BASE, b), 1)
  // single-op endpoint: the fault code becomes the HTTP status
  await addFault(BASE, { bucket: b, kind: 'op', code: 573 })
  r = await send(opPath.stat(b, 'src'), '')
  assert.equal(r.status, 573)
  assert.equal(typeof r.json.error, 'string')
})

test('fault delay: waits, then applies; applies even when the client gave up', async () => {
  const b = newBucket('fdelay')
  await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }])
  await addFault(BASE, { bucket: b, kind: 'delay', ms: 300 })
  let t = Date.now()
  let r = await batch([opPath.delete(b, 'a')])
  assert.ok(Date.now() - t >= 290, `waited ${Date.now() - t} ms`)
  assert.equal(r.status, 200)
  assert.ok(!(await objectsByKey(b)).has('a'))
  t = Date.now()
  await batch([opPath.stat(b, 'b')])
  assert.ok(Date.now() - t < 250, 'consumed')
  await addFault(BASE, { bucket: b, kind: 'delay', ms: 400 })
  await assert.rejects(batch([opPath.delete(b, 'b')], { signal: AbortSignal.timeout(100) }))
  assert.ok((await objectsByKey(b)).has('b'), 'not yet applied')
  await new Promise((res) => setTimeout(res, 450))
  assert.ok(!(await objectsByKey(b)).has('b'), 'applied after the wait although the client left')
  // delay combines with a terminal fault: wait, then the status
  await addFault(BASE, { bucket: b, kind: 'delay', ms: 200 })
  await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
  t = Date.now()
  r = await batch([opPath.stat(b, 'b')])
  assert.equal(r.status, 503)
  assert.ok(Date.now() - t >= 190)
})

test('fault drop: connection destroyed; apply false/true', async () => {
  const b = newBucket('fdrop')
  await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b' }])
  await addFault(BASE, { bucket: b, kind: 'drop' })
  await assert.rejects(batch([opPath.delete(b, 'a')]), TypeError)
  assert.ok((await objectsByKey(b)).has('a'), 'not applied')
  await addFault(BASE, { bucket: b, kind: 'drop', apply: true })
  await assert.rejects(batch([opPath.delete(b, 'a')]), TypeError)
  assert.ok(!(await objectsByKey(b)).has('a'), 'applied, answer lost')
  const r = await batch([opPath.delete(b, 'b')])
  assert.equal(r.status, 200, 'consumed')
})

test('fault garbage: 200 with a non-JSON body, not applied', async () => {
  const b = newBucket('fgarbage')
  await seedBucket(BASE, b, [{ key: 'a' }])
  await addFault(BASE, { bucket: b, kind: 'garbage' })
  const r = await batch([opPath.delete(b, 'a')])
  assert.equal(r.status, 200)
  assert.throws(() => JSON.parse(r.text))
  assert.ok((await objectsByKey(b)).has('a'))
  assert.equal((await batch([opPath.delete(b, 'a')])).status, 200)
})

test('faults: not consumed by requests that fail auth or validation; bad rules → 400', async () => {
  const b = newBucket('fauth')
  await seedBucket(BASE, b, [{ key: 'a' }])
  await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
  assert.equal((await batch([opPath.stat(b, 'a')], { scheme: 'none' })).status, 401)
  assert.equal((await batch(Array(1001).fill(opPath.stat(b, 'a')))).status, 400)
  assert.equal((await listFaults(BASE, b)).length, 1)
  assert.equal((await batch([opPath.stat(b, 'a')])).status, 503)
  for (const bad of [{ bucket: b, kind: 'http' }, { bucket: b, kind: 'delay', ms: -1 }, { kind: 'garbage' }, { bucket: b, kind: 'op', code: 'x' }]) {
    await assert.rejects(addFault(BASE, bad as never), /400/)
  }
  const r = await fetch(BASE + '/__emulator/faults', { method: 'POST', body: '{not json' })
  assert.equal(r.status, 400)
  assert.equal((await fetch(BASE + '/__emulator/faults', { method: 'DELETE' })).status, 400, 'bucket is required')
})

// ------------------------------------------------------------------ control API

const WEIRD_KEYS = [
  'plain.txt',
  'dir/sub dir/file name.txt',
  '中文/文件 名.txt',
  'emoji 😀🎉.png',
  'a+b=c&d=e?f#g',
  '100% real %2F %zz',
  '<script>alert("x")</script>',
  `quotes "double" 'single' \`back\``,
  'line1\nline2\r\nline3',
  'tab\there\u0000nul\u0001\u001f\u007f',
  'colon:in:key',
  '\ufeffbom-start',
  ' leading and trailing ',
  '\\back\\slash',
  '',
  '\u{10ffff}',
]

test('keys: weird UTF-8 round-trips through seeding, listing, ops and stat', async () => {
  const b = newBucket('keys')
  await seedBucket(BASE, b, WEIRD_KEYS.map((key, i) => ({ key, fsize: i })))
  const listed = await listObjects(BASE, b)
  assert.deepEqual(
    listed.map((o) => o.key),
    [...WEIRD_KEYS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
  )
  const r = await batch(WEIRD_KEYS.map((k) => opPath.stat(b, k)))
  assert.equal(r.status, 200, r.text)
  assert.deepEqual(r.json.map((x: { data: { fsize: number } }) => x.data.fsize), WEIRD_KEYS.map((_, i) => i))
  const r2 = await batch(WEIRD_KEYS.map((k) => opPath.copy(b, k, b, k + ' (copy)')))
  assert.equal(r2.status, 200, r2.text)
  const keys = new Set((await listObjects(BASE, b)).map((o) => o.key))
  for (const k of WEIRD_KEYS) assert.ok(keys.has(k) && keys.has(k + ' (copy)'), JSON.stringify(k))
  // QBox too (body included in the signature)
  const r3 = await batch(WEIRD_KEYS.map((k) => opPath.delete(b, k)), { scheme: 'QBox' })
  assert.equal(r3.status, 200)
  assert.equal((await listObjects(BASE, b)).length, WEIRD_KEYS.length)
  // lone surrogates cannot be stored
  await assert.rejects(seedBucket(BASE, b, [{ key: 'bad\ud800' }]), /400/)
})

test('control: seed validation, replace, patch, delete, 404', async () => {
  const b = newBucket('ctl')
  for (const objects of [[{ key: 1 }], [{ key: 'a' }, { key: 'a' }], [{ key: 'a', type: 9 }], [{ key: 'a', md5: 'XYZ' }], [{ key: 'a', restoreStatus: 2 }], [{ key: 'a', putTime: -1 }], [{ key: 'a', colour: 'red' }]]) {
    await assert.rejects(seedBucket(BASE, b, objects as never), /400/, JSON.stringify(objects))
  }
  await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b', putTime: 17000000000000000 }])
  let objs = await listObjects(BASE, b)
  assert.equal(objs.length, 2)
  assert.equal(objs[0]!.fsize, 0)
  assert.equal(objs[0]!.mimeType, 'application/octet-stream')
  assert.equal(objs[0]!.hash, qiniuEtag('a'))
  assert.match(objs[0]!.putTime, /^\d{17}$/)
  assert.equal(objs[1]!.putTime, '17000000000000000')
  await seedBucket(BASE, b, [{ key: 'c' }])
  assert.deepEqual((await listObjects(BASE, b)).map((o) => o.key), ['c'], 'PUT replaces')
  await patchBucket(BASE, b, { upsert: [{ key: 'd', fsize: 4 }], update: [{ key: 'c', mimeType: 'text/plain', meta: { m: '1' } }], delete: ['nope'] })
  objs = await listObjects(BASE, b)
  assert.deepEqual(objs.map((o) => [o.key, o.mimeType, o.fsize]), [['c', 'text/plain', 0], ['d', 'application/octet-stream', 4]])
  await patchBucket(BASE, b, { update: [{ key: 'c', meta: null, expiration: 1_900_000_000 }], delete: ['d'] })
  objs = await listObjects(BASE, b)
  assert.deepEqual(objs.map((o) => o.key), ['c'])
  assert.deepEqual(objs[0]!.meta, {})
  assert.equal(objs[0]!.expiration, 1_900_000_000)
  await assert.rejects(patchBucket(BASE, b, { update: [{ key: 'zz', fsize: 1 }] }), /400/)
  await assert.rejects(patchBucket(BASE, 'no-bucket-zz', {}), /404/)
  assert.equal(await deleteBucket(BASE, b), true)
  assert.equal(await deleteBucket(BASE, b), false)
  await assert.rejects(listObjects(BASE, b), /404/)
  assert.equal((await batch([opPath.stat(b, 'c')])).json[0].code, 631)
  // empty bucket
  await seedBucket(BASE, b)
  assert.deepEqual(await listObjects(BASE, b), [])
  assert.equal((await fetch(BASE + '/__emulator/nope')).status, 404)
})

test('control: request log per bucket, no secrets', async () => {
  const b = newBucket('log')
  const other = newBucket('log-other')
  await seedBucket(BASE, b, [{ key: 'a' }])
  await seedBucket(BASE, other, [{ key: 'o' }])
  const before = Date.now()
  const ok = await batch([opPath.stat(b, 'a'), opPath.stat(b, 'zz')], { ak: 'qn-other-ak' })
  await batch([opPath.stat(b, 'a')], { scheme: 'QBox', ak: 'qn-qbox-ak' })
  await batch([opPath.stat(b, 'a')], { scheme: 'none' })
  await batch([opPath.stat(b, 'a')], { ak: 'qn-test-ak', sk: 'wrong' })
  await batch([opPath.stat(other, 'o'), opPath.copy(other, 'o', b, 'from-other')])
  await send(opPath.stat(b, 'a'), '')
  await addFault(BASE, { bucket: b, kind: 'drop' })
  await batch([opPath.stat(b, 'a')]).catch(() => undefined)
  await addFault(BASE, { bucket: b, kind: 'http', status: 503 })
  await batch([opPath.stat(b, 'a')])
  const log = await requestLog(BASE, b)
  assert.equal(ok.status, 298)
  assert.deepEqual(
    log.map((e) => [e.method, e.path, e.auth, e.accessKey, e.ops, e.httpStatus, e.fault]),
    [
      ['POST', '/batch', 'Qiniu', 'qn-other-ak', 2, 298, undefined],
      ['POST', '/batch', 'QBox', 'qn-qbox-ak', 1, 200, undefined],
      ['POST', '/batch', 'none', null, 1, 401, undefined],
      ['POST', '/batch', 'Qiniu', 'qn-test-ak', 1, 401, undefined],
      ['POST', '/batch', 'Qiniu', 'qn-test-ak', 2, 200, undefined],
      ['POST', opPath.stat(b, 'a'), 'Qiniu', 'qn-test-ak', 1, 200, undefined],
      ['POST', '/batch', 'Qiniu', 'qn-test-ak', 1, 0, 'drop'],
      ['POST', '/batch', 'Qiniu', 'qn-test-ak', 1, 503, 'http'],
    ],
  )
  for (const e of log) assert.ok(e.at >= before - 1000 && e.at <= Date.now())
  const text = JSON.stringify(log)
  for (const sk of Object.values(QINIU_CREDENTIALS)) assert.ok(!text.includes(sk))
  assert.ok(!/:[A-Za-z0-9_-]{27}=/.test(text), 'no signatures')
  assert.equal((await requestLog(BASE, other)).length, 1)
  assert.equal(await clearRequestLog(BASE, b), 8)
  assert.deepEqual(await requestLog(BASE, b), [])
  assert.equal((await fetch(BASE + '/__emulator/log')).status, 400, 'bucket is required')
})

test('concurrency: parallel batches on one bucket are each atomic', async () => {
  const b = newBucket('par')
  await seedBucket(BASE, b, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}` })))
  const rs = await Promise.all(Array.from({ length: 20 }, (_, j) => batch(Array.from({ length: 10 }, (_, i) => opPath.delete(b, `k${j * 10 + i}`)), { scheme: j % 2 ? 'QBox' : 'Qiniu' })))
  assert.ok(rs.every((r) => r.status === 200))
  assert.deepEqual(await listObjects(BASE, b), [])
})

// ------------------------------------------------------------------ run

async function main(): Promise<void> {
  emu = await startQiniuEmulator({ host: HOST, port: 80, credentials: QINIU_CREDENTIALS })
  BASE = emu.url
  assert.equal(BASE, `http://${HOST}`)
  let failed = 0
  for (const t of tests) {
    const start = Date.now()
    try {
      await t.fn()
      console.log(`  ok    ${t.name} (${Date.now() - start} ms)`)
    } catch (e) {
      failed++
      console.log(`  FAIL  ${t.name}\n${String((e as Error).stack ?? e).replace(/^/gm, '        ')}`)
    }
  }
  await emu.close()
  console.log(`\n${tests.length - failed}/${tests.length} passed`)
  process.exitCode = failed ? 1 : 0
}

await main()
