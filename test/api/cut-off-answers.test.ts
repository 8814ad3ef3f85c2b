import { describe, expect, it } from 'vitest'
import { addFault, listObjectStoreObjects, seedObjectStoreBucket } from '../emulators/control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { batch, unique } from '../helpers.ts'

// A 200 whose XML is cut short parses leniently (a DeleteResult without its closing tag reads as
// "no key failed"): such an answer must count as unknown and be retried, never as deleted.

const CUT = [
  '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
  '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult><Error><Key>a</Key><Code>InternalError</Code></Error><Error><Key>b</Ke',
]

describe('cut-off provider answers', () => {
  for (const [account, url] of [['s3', S3_EMULATOR_URL], ['oss', OSS_EMULATOR_URL]] as const) {
    it(`never reports keys deleted from a cut-off DeleteObjects answer on ${account}`, async () => {
      for (const body of CUT) {
        const bucket = unique(`cut-${account}`)
        await seedObjectStoreBucket(url, bucket, [{ key: 'a', body: 'x' }, { key: 'b', body: 'x' }])
        // Every try meets the cut answer (nothing applied), so the keys must end failed and still there.
        await addFault(url, { bucket, kind: 'garbage', body, times: -1 })
        const r = await batch(account, [{ op: 'delete', bucket, key: 'a' }, { op: 'delete', bucket, key: 'b' }])
        expect(r.status).toBe(207)
        expect(r.json.results.map((x: { status: number; error?: { code: string } }) => [x.status, x.error?.code])).toEqual([[502, 'ProviderError'], [502, 'ProviderError']])
        expect((await listObjectStoreObjects(url, bucket)).map((o) => o.key).sort()).toEqual(['a', 'b'])
      }
    })
  }
})
