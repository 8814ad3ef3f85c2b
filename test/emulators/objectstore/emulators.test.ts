import { AwsClient } from 'aws4fetch'
import { describe, expect, it } from 'vitest'
import {
  addFault,
  getObjectStoreBucket,
  listFaults,
  objectStoreRequestLog,
  seedObjectStoreBucket,
} from '../control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../../fixtures/emulator-ports.ts'
import { S3_CREDENTIALS } from '../../fixtures/objectstore-credentials.ts'
import { unique } from '../../helpers.ts'

// Runs inside workerd: the globalSetup instances are reachable with fetch, path-style, and the
// control client works from here (the gateway's S3/OSS tests rely on both).
describe('the object-store emulators from workerd', () => {
  const s3 = new AwsClient({ accessKeyId: 's3-test-ak', secretAccessKey: S3_CREDENTIALS['s3-test-ak']!, service: 's3', region: 'us-east-1', retries: 0 })

  it('S3: seeds through the control API, accepts a SigV4 request, logs it, and refuses a wrong secret', async () => {
    const b = unique('os-s3')
    await seedObjectStoreBucket(S3_EMULATOR_URL, b, [{ key: 'dir/a b.txt', body: 'from workerd' }])
    const res = await s3.fetch(`${S3_EMULATOR_URL}/${b}/dir/a%20b.txt`, { headers: { range: 'bytes=5-11' } })
    expect(res.status).toBe(206)
    expect(await res.text()).toBe('workerd')
    const wrong = new AwsClient({ accessKeyId: 's3-test-ak', secretAccessKey: 'nope', service: 's3', region: 'us-east-1', retries: 0 })
    const denied = await wrong.fetch(`${S3_EMULATOR_URL}/${b}/dir/a%20b.txt`)
    expect(denied.status).toBe(403)
    expect(await denied.text()).toContain('<Code>SignatureDoesNotMatch</Code>')
    const log = await objectStoreRequestLog(S3_EMULATOR_URL, b)
    expect(log.map((e) => [e.operation, e.auth, e.httpStatus])).toEqual([
      ['GetObject', 'AWS4-HMAC-SHA256', 206],
      ['GetObject', 'AWS4-HMAC-SHA256', 403],
    ])
  })

  it('S3: DeleteObjects with a fault rule answering a per-key error', async () => {
    const b = unique('os-s3-del')
    await seedObjectStoreBucket(S3_EMULATOR_URL, b, [{ key: 'a' }, { key: 'b' }])
    await addFault(S3_EMULATOR_URL, { bucket: b, kind: 'op', key: 'b', code: 500 })
    const body = '<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>'
    const md5 = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('MD5', new TextEncoder().encode(body)))))
    const res = await s3.fetch(`${S3_EMULATOR_URL}/${b}?delete`, { method: 'POST', body, headers: { 'content-md5': md5, 'content-type': 'application/xml' } })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('<Deleted><Key>a</Key></Deleted>')
    expect(text).toContain('<Error><Key>b</Key><Code>InternalError</Code>')
    expect((await getObjectStoreBucket(S3_EMULATOR_URL, b)).objects.map((o) => o.key)).toEqual(['b'])
    expect(await listFaults(S3_EMULATOR_URL, b)).toEqual([])
  })

  it('OSS: answers an unsigned request with the OSS error document', async () => {
    const b = unique('os-oss')
    await seedObjectStoreBucket(OSS_EMULATOR_URL, b, [{ key: 'k' }])
    const res = await fetch(`${OSS_EMULATOR_URL}/${b}/k`)
    expect(res.status).toBe(403)
    expect(res.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/)
    expect(await res.text()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>AccessDenied<\/Code><Message>.*<\/Message><RequestId>[0-9A-F]{24}<\/RequestId><HostId>/)
    expect((await objectStoreRequestLog(OSS_EMULATOR_URL, b))[0]).toMatchObject({ operation: 'GetObject', auth: 'none', httpStatus: 403, errorCode: 'AccessDenied' })
  })
})
