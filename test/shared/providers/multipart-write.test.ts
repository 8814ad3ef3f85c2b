import { describe, expect, it } from 'vitest'
import { md5 } from '../../../shared/crypto/hash.ts'
import { toHex } from '../../../shared/crypto/encoding.ts'
import { ObjectIOError, type ProviderAdapter } from '../../../shared/engine/types.ts'
import { AccountSettings, createAdapter } from '../../../shared/providers/accounts.ts'
import { addFault, getObjectStoreBucket, objectStoreRequestLog, seedObjectStoreBucket } from '../../emulators/control.ts'
import { TEST_ACCOUNTS } from '../../fixtures/accounts.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../../fixtures/emulator-ports.ts'
import { unique } from '../../helpers.ts'

const MiB = 1024 * 1024
const adapterOf = (settings: unknown): ProviderAdapter => createAdapter(AccountSettings.parse(settings), { fetch: (input, init) => fetch(input, init), r2Binding: () => undefined })

/** About 11 MiB that no two parts share, so a part sent twice or out of order shows. */
const BODY = Uint8Array.from({ length: 11 * MiB + 12_345 }, (_, i) => (i * 131 + (i >> 16)) & 0xff)

/** S3's multipart ETag, computed independently: MD5 of the parts' MD5s, then `-<parts>`. */
async function expectedEtag(body: Uint8Array, partBytes: number): Promise<string> {
  const digests: Uint8Array[] = []
  for (let at = 0; at < body.length; at += partBytes) digests.push(new Uint8Array(await md5(body.subarray(at, at + partBytes))))
  const joined = new Uint8Array(digests.length * 16)
  digests.forEach((d, i) => joined.set(d, i * 16))
  return `${toHex(await md5(joined))}-${digests.length}`
}


const TARGETS = [
  { name: 's3 (V4, default 8 MiB parts)', account: TEST_ACCOUNTS.s3, emulator: S3_EMULATOR_URL, partBytes: 8 * MiB },
  { name: 's3-v2 (5 MiB parts)', account: { ...TEST_ACCOUNTS['s3-v2'], multipartPartBytes: 5 * MiB }, emulator: S3_EMULATOR_URL, partBytes: 5 * MiB },
  { name: 'oss (V4, 4 MiB parts)', account: { ...TEST_ACCOUNTS.oss, multipartPartBytes: 4 * MiB }, emulator: OSS_EMULATOR_URL, partBytes: 4 * MiB },
  { name: 'oss-v1 (default 8 MiB parts)', account: TEST_ACCOUNTS['oss-v1'], emulator: OSS_EMULATOR_URL, partBytes: 8 * MiB },
]

describe.each(TARGETS)('multipart writes on $name', (t) => {
  const adapter = adapterOf(t.account)
  const objects = adapter.objects!
  const lister = adapter.lister!

  it('writes an 11 MiB report in parts: create, each part once in order, complete; the multipart ETag comes back', async () => {
    const bucket = unique('mpw')
    await seedObjectStoreBucket(t.emulator, bucket, [])
    const { etag } = await objects.write(bucket, 'reports/job 1/results.csv', BODY, 'text/csv')
    const parts = Math.ceil(BODY.length / t.partBytes)
    expect(etag.toLowerCase()).toBe(await expectedEtag(BODY, t.partBytes))

    const log = await objectStoreRequestLog(t.emulator, bucket)
    expect(log.map((e) => [e.operation, e.httpStatus])).toEqual([
      ['CreateMultipartUpload', 200],
      ...Array.from({ length: parts }, () => ['UploadPart', 200]),
      ['CompleteMultipartUpload', 200],
    ])
    expect(log.filter((e) => e.operation === 'UploadPart').map((e) => new URLSearchParams(e.query).get('partNumber'))).toEqual(Array.from({ length: parts }, (_, i) => String(i + 1)))
    // The emulator computed that ETag from the MD5s of the parts it stored, so it vouches for every
    // byte and the parts' order; the listing shows the object as the store keeps it (reading the
    // whole bucket state through the control API would cost seconds for 11 MiB).
    const listed = await lister.list(bucket, '', null)
    expect(listed.objects).toEqual([{ key: 'reports/job 1/results.csv', size: BODY.length, lastModified: expect.any(String), etag }])
    expect(await objects.head(bucket, 'reports/job 1/results.csv')).toEqual({ size: BODY.length, etag })
    // The content type went with CreateMultipartUpload.
    const [stat] = adapter.plan([{ index: 0, attempt: 1, op: { op: 'stat', bucket, key: 'reports/job 1/results.csv' } }])
    const [outcome] = await stat!.run({ signal: AbortSignal.timeout(5000), now: () => new Date() })
    expect(outcome).toMatchObject({ kind: 'done', data: { contentType: 'text/csv', size: BODY.length } })
    expect(await objects.readRange(bucket, 'reports/job 1/results.csv', t.partBytes - 3, t.partBytes + 3)).toEqual(BODY.subarray(t.partBytes - 3, t.partBytes + 3))
  })

  it('writes a body up to the part size with one PUT, its content type kept', async () => {
    const bucket = unique('mpw-one')
    await seedObjectStoreBucket(t.emulator, bucket, [])
    await objects.write(bucket, 'small.csv', BODY.subarray(0, 1000), 'text/csv')
    expect((await objectStoreRequestLog(t.emulator, bucket)).map((e) => e.operation)).toEqual(['PutObject'])
    expect((await getObjectStoreBucket(t.emulator, bucket)).objects.map((o) => [o.key, o.contentType, o.size])).toEqual([['small.csv', 'text/csv', 1000]])
  })

  it('aborts the upload when completing fails, and reports the failure as retriable', async () => {
    const bucket = unique('mpw-fail')
    await seedObjectStoreBucket(t.emulator, bucket, [])
    await addFault(t.emulator, { bucket, kind: 'inner-error', errorCode: 'InternalError' })
    const err = await objects.write(bucket, 'r.csv', BODY, 'text/csv').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ObjectIOError)
    expect([(err as ObjectIOError).code, (err as ObjectIOError).retriable]).toEqual(['ProviderError', true])
    const log = await objectStoreRequestLog(t.emulator, bucket)
    expect(log.slice(-2).map((e) => [e.operation, e.httpStatus])).toEqual([['CompleteMultipartUpload', 200], ['AbortMultipartUpload', 204]])
    const state = await getObjectStoreBucket(t.emulator, bucket)
    expect([state.uploads, state.objects]).toEqual([[], []])
  })
})

describe('multipartPartBytes', () => {
  it("is refused below the provider's smallest part (S3 5 MiB, OSS 100 KiB)", () => {
    const s3 = AccountSettings.safeParse({ ...TEST_ACCOUNTS.s3, multipartPartBytes: 5 * MiB - 1 })
    expect(s3.success).toBe(false)
    expect(JSON.stringify(s3.error?.issues)).toContain('multipartPartBytes')
    expect(AccountSettings.safeParse({ ...TEST_ACCOUNTS.oss, multipartPartBytes: 100 * 1024 }).success).toBe(true)
    expect(AccountSettings.safeParse({ ...TEST_ACCOUNTS.oss, multipartPartBytes: 100 * 1024 - 1 }).success).toBe(false)
  })
})
