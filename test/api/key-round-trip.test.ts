import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { addFault, listDriveFiles, listObjectStoreObjects, seedDrive, seedObjectStoreBucket } from '../emulators/control.ts'
import { OSS_EMULATOR_URL, S3_EMULATOR_URL } from '../fixtures/emulator-ports.ts'
import { PDS_EMULATOR_URL } from '../fixtures/pds.ts'
import { batch, unique } from '../helpers.ts'

/** Keys (and PDS names) every provider must carry unchanged, to the provider and back. */
const KEYS = ['a b.txt', 'ünï/çødé 文件.txt', 'plus+sign', '100%', 'a&b=c', '<tag>', `"quoted" 'single'`, 'line\nbreak', 'cr\rhere', 'tab\there\u0001\u001f', '?#[]@!$()*,;', 'trailing space ']

describe('keys round-trip in both directions', () => {
  it('through the embedded R2 account', async () => {
    const prefix = `${unique('keys')}/`
    await Promise.all(KEYS.map((k) => env.DEMO_BUCKET.put(prefix + k, k)))
    // Operations of one batch run concurrently, so the stats of the copies go in a second batch.
    const copied = await batch('local', KEYS.map((k) => ({ op: 'copy', bucket: 'demo', key: prefix + k, destination: { bucket: 'backup', key: prefix + k } })))
    expect(copied.json.summary.failed).toBe(0)
    const stats = await batch('local', KEYS.map((k) => ({ op: 'stat', bucket: 'backup', key: prefix + k })))
    expect(stats.json.results.map((x: any) => x.data.size)).toEqual(KEYS.map((k) => new TextEncoder().encode(k).length))
    const listed = (await env.BACKUP_BUCKET.list({ prefix })).objects.map((o) => o.key.slice(prefix.length))
    expect(listed.sort()).toEqual([...KEYS].sort())
  })

  // A per-key error names the key in the provider's answer: the gateway must match it back to
  // the right operation however the key is spelt (XML references on S3, URL encoding on OSS).
  it.each([
    ['s3', S3_EMULATOR_URL],
    ['oss', OSS_EMULATOR_URL],
  ])('through %s, with the provider naming each key in a per-key error', async (account, emu) => {
    for (const failing of KEYS) {
      const b = unique(`${account}-keyerr`)
      await seedObjectStoreBucket(emu, b, KEYS.map((key) => ({ key })))
      await addFault(emu, { bucket: b, kind: 'op', key: failing, code: 403, errorCode: 'AccessDenied', times: -1 })
      const r = await batch(account, KEYS.map((key) => ({ op: 'delete', bucket: b, key })))
      const denied = r.json.results.filter((x: any) => x.status === 403).map((x: any) => KEYS[Number(x.id)])
      expect(denied, JSON.stringify(failing)).toEqual([failing])
      expect((await listObjectStoreObjects(emu, b)).map((o) => o.key)).toEqual([failing])
    }
  })

  it('through PDS, whose file names carry the characters', async () => {
    const drive = unique('drive')
    // A PDS file name cannot hold '/', which separates folders there.
    const NAMES = KEYS.map((k) => k.replaceAll('/', '∕'))
    await seedDrive(PDS_EMULATOR_URL, drive, NAMES.map((name, i) => ({ fileId: `f${i}`, name, parentFileId: 'root' })))
    const r = await batch('pds', [
      ...NAMES.map((_, i) => ({ op: 'stat', bucket: drive, key: `f${i}` })),
      ...NAMES.map((name, i) => ({ op: 'copy', bucket: drive, key: `f${i}`, destination: { bucket: drive, parentFileId: 'root', name: `copy ${name}` } })),
    ])
    expect(r.json.summary.failed).toBe(0)
    expect(r.json.results.slice(0, NAMES.length).map((x: any) => x.data.name)).toEqual(NAMES)
    const names = (await listDriveFiles(PDS_EMULATOR_URL, drive)).map((f) => f.name)
    for (const name of NAMES) expect(names).toContain(`copy ${name}`)
  })
})
