/**
 * The control API (/__emulator/...): seeding, patching, deleting and listing buckets with any
 * UTF-8 key, the per-bucket request log, and atomicity of concurrent batches.
 * (Node side; see harness.ts for how these files run.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { opPath } from '../qiniu-ops.ts'
import { qiniuEtag } from '../qiniu-store.ts'
import { addFault, clearRequestLog, deleteBucket, listObjects, patchBucket, requestLog, seedBucket } from '../../control.ts'
import { QINIU_CREDENTIALS } from '../../../fixtures/qiniu-credentials.ts'
import { BASE, batch, newBucket, send, useEmulator } from './harness.ts'

useEmulator()

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

describe('keys', () => {
  it('round-trips weird UTF-8 keys through seeding, listing (in byte order), stat, copy and delete', async () => {
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
  })

  it('refuses to seed a key with a lone surrogate (400)', async () => {
    await assert.rejects(seedBucket(BASE, newBucket('keys-bad'), [{ key: 'bad\ud800' }]), /400/)
  })
})

describe('buckets', () => {
  it('refuses invalid seed objects with 400', async () => {
    const b = newBucket('ctl-invalid')
    for (const objects of [[{ key: 1 }], [{ key: 'a' }, { key: 'a' }], [{ key: 'a', type: 9 }], [{ key: 'a', md5: 'XYZ' }], [{ key: 'a', restoreStatus: 2 }], [{ key: 'a', putTime: -1 }], [{ key: 'a', colour: 'red' }]]) {
      await assert.rejects(seedBucket(BASE, b, objects as never), /400/, JSON.stringify(objects))
    }
  })

  it('fills defaults when seeding and replaces the whole bucket on a second seed', async () => {
    const b = newBucket('ctl-seed')
    await seedBucket(BASE, b, [{ key: 'a' }, { key: 'b', putTime: 17000000000000000 }])
    const objs = await listObjects(BASE, b)
    assert.equal(objs.length, 2)
    assert.equal(objs[0]!.fsize, 0)
    assert.equal(objs[0]!.mimeType, 'application/octet-stream')
    assert.equal(objs[0]!.hash, qiniuEtag('a'))
    assert.match(objs[0]!.putTime, /^\d{17}$/)
    assert.equal(objs[1]!.putTime, '17000000000000000')
    await seedBucket(BASE, b, [{ key: 'c' }])
    assert.deepEqual((await listObjects(BASE, b)).map((o) => o.key), ['c'], 'PUT replaces')
  })

  it('patches with upserts, updates (null removes a field) and deletes, and answers 400/404 to bad patches', async () => {
    const b = newBucket('ctl-patch')
    await seedBucket(BASE, b, [{ key: 'c' }])
    await patchBucket(BASE, b, { upsert: [{ key: 'd', fsize: 4 }], update: [{ key: 'c', mimeType: 'text/plain', meta: { m: '1' } }], delete: ['nope'] })
    let objs = await listObjects(BASE, b)
    assert.deepEqual(objs.map((o) => [o.key, o.mimeType, o.fsize]), [['c', 'text/plain', 0], ['d', 'application/octet-stream', 4]])
    await patchBucket(BASE, b, { update: [{ key: 'c', meta: null, expiration: 1_900_000_000 }], delete: ['d'] })
    objs = await listObjects(BASE, b)
    assert.deepEqual(objs.map((o) => o.key), ['c'])
    assert.deepEqual(objs[0]!.meta, {})
    assert.equal(objs[0]!.expiration, 1_900_000_000)
    await assert.rejects(patchBucket(BASE, b, { update: [{ key: 'zz', fsize: 1 }] }), /400/)
    await assert.rejects(patchBucket(BASE, 'no-bucket-zz', {}), /404/)
  })

  it('deletes a bucket once, after which it is 404 to the control API and 631 to ops, until seeded empty', async () => {
    const b = newBucket('ctl-delete')
    await seedBucket(BASE, b, [{ key: 'c' }])
    assert.equal(await deleteBucket(BASE, b), true)
    assert.equal(await deleteBucket(BASE, b), false)
    await assert.rejects(listObjects(BASE, b), /404/)
    assert.equal((await batch([opPath.stat(b, 'c')])).json[0].code, 631)
    await seedBucket(BASE, b)
    assert.deepEqual(await listObjects(BASE, b), [])
  })

  it('answers 404 to an unknown control route', async () => {
    assert.equal((await fetch(BASE + '/__emulator/nope')).status, 404)
  })
})

describe('request log', () => {
  it('records every request touching the bucket with scheme, access key, op count, status and fault, and no secret', async () => {
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
  })

  it('answers 400 when no bucket is given', async () => {
    assert.equal((await fetch(BASE + '/__emulator/log')).status, 400, 'bucket is required')
  })
})

describe('concurrency', () => {
  it('applies parallel batches on one bucket each atomically', async () => {
    const b = newBucket('par')
    await seedBucket(BASE, b, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}` })))
    const rs = await Promise.all(Array.from({ length: 20 }, (_, j) => batch(Array.from({ length: 10 }, (_, i) => opPath.delete(b, `k${j * 10 + i}`)), { scheme: j % 2 ? 'QBox' : 'Qiniu' })))
    assert.ok(rs.every((r) => r.status === 200))
    assert.deepEqual(await listObjects(BASE, b), [])
  })
})
