import { describe, expect, it } from 'vitest'
import { ObjectIOError, type ListedObject, type ObjectLister } from '../../../../shared/engine/types.ts'
import { AccountSettings, createAdapter } from '../../../../shared/providers/accounts.ts'
import { PDS_CALLS_PER_PAGE } from '../../../../shared/providers/pds/pds-list.ts'
import { addFault, patchDrive, pdsRequestLog, seedDrive, type PdsSeedFile } from '../../../emulators/control.ts'
import { TEST_ACCOUNTS } from '../../../fixtures/accounts.ts'
import { PDS_EMULATOR_URL } from '../../../fixtures/pds.ts'
import { unique } from '../../../helpers.ts'
import { listAll, thrown } from '../object-io-helpers.ts'

const listerOf = (settings: unknown): ObjectLister => {
  const adapter = createAdapter(AccountSettings.parse(settings), { fetch, r2Binding: () => undefined })
  return adapter.lister!
}
const lister = listerOf(TEST_ACCOUNTS.pds)

const file = (fileId: string, parentFileId: string, name = `${fileId}.txt`, size = 1): PdsSeedFile => ({ fileId, name, parentFileId, size, updatedAt: '2024-03-04T05:06:07Z' })
const folder = (fileId: string, parentFileId: string): PdsSeedFile => ({ fileId, name: `dir-${fileId}`, parentFileId, type: 'folder' })

/**
 * A tree under folder `top`: 150 files at its top, three levels of sub-folders with files, an
 * empty folder, and files elsewhere in the drive that must not be listed.
 */
function tree(): { seeds: PdsSeedFile[]; expected: string[] } {
  const seeds: PdsSeedFile[] = [folder('top', 'root'), file('outside', 'root'), folder('elsewhere', 'root'), file('else-1', 'elsewhere')]
  const expected: string[] = []
  const add = (f: PdsSeedFile) => {
    seeds.push(f)
    expected.push(f.fileId)
  }
  for (let i = 0; i < 150; i++) add(file(`t${i}`, 'top', `报告 ${i} +%.csv`, i))
  seeds.push(folder('dA', 'top'), folder('dA1', 'dA'), folder('dA11', 'dA1'), folder('dEmpty', 'top'), folder('dB', 'top'))
  for (let i = 0; i < 30; i++) add(file(`a${i}`, 'dA'))
  for (let i = 0; i < 120; i++) add(file(`a1-${i}`, 'dA1'))
  for (let i = 0; i < 5; i++) add(file(`a11-${i}`, 'dA11'))
  for (let i = 0; i < 101; i++) add(file(`b${i}`, 'dB'))
  return { seeds, expected }
}

describe('PDS lister (/v2/file/list, recursive)', () => {
  it('lists every file under a folder and its sub-folders exactly once, across page boundaries inside folders', async () => {
    const drive = unique('pl')
    const { seeds, expected } = tree()
    await seedDrive(PDS_EMULATOR_URL, drive, seeds)
    for (const limit of [7, 100, undefined]) {
      const pages = await listAll(lister, drive, 'top', limit)
      const ids = pages.flat().map((o) => o.key)
      expect(ids.slice().sort()).toEqual(expected.slice().sort())
      expect(new Set(ids).size).toBe(ids.length)
      if (limit !== undefined) expect(pages.every((p) => p.length <= limit)).toBe(true)
    }
    const first = (await lister.list(drive, 'top', null, { limit: 2 })).objects
    expect(first[0]).toEqual({ key: 't0', name: '报告 0 +%.csv', size: 0, lastModified: '2024-03-04T05:06:07.000Z', etag: expect.stringMatching(/^[0-9A-F]{40}$/) })
  })

  it("lists the drive's root for an empty prefix, and asks for at most 100 items a call", async () => {
    const drive = unique('pl-root')
    const { seeds, expected } = tree()
    await seedDrive(PDS_EMULATOR_URL, drive, seeds)
    const ids = (await listAll(lister, drive, '')).flat().map((o) => o.key)
    expect(ids.slice().sort()).toEqual([...expected, 'outside', 'else-1'].sort())
    const log = await pdsRequestLog(PDS_EMULATOR_URL, drive)
    expect(log.every((e) => e.path === '/v2/file/list' && e.httpStatus === 200 && e.tokenValid)).toBe(true)
  })

  it('ends a page early (with a cursor) rather than make unbounded calls through many empty folders', async () => {
    const drive = unique('pl-empty')
    const empties = Array.from({ length: PDS_CALLS_PER_PAGE + 10 }, (_, i) => folder(`e${i}`, 'root'))
    await seedDrive(PDS_EMULATOR_URL, drive, [...empties, file('last', `e${PDS_CALLS_PER_PAGE + 9}`), file('first', 'root')])
    const page = await lister.list(drive, '', null)
    expect(page.next).not.toBeNull()
    const rest = await listAll(lister, drive, '')
    expect(rest.flat().map((o) => o.key).sort()).toEqual(['first', 'last'])
  })

  it('skips a sub-folder deleted between pages, but names a missing top folder NoSuchKey and a missing drive NoSuchBucket', async () => {
    const drive = unique('pl-gone')
    const { seeds } = tree()
    await seedDrive(PDS_EMULATOR_URL, drive, seeds)
    const page = await lister.list(drive, 'top', null, { limit: 160 })
    await patchDrive(PDS_EMULATOR_URL, drive, { delete: ['dA', 'dB'] })
    let cursor = page.next
    const later: string[] = []
    while (cursor !== null) {
      const p = await lister.list(drive, 'top', cursor)
      later.push(...p.objects.map((o) => o.key))
      cursor = p.next
    }
    expect(later.filter((k) => /^[ab]/.test(k))).toEqual([])
    const topFiles = [...page.objects.map((o) => o.key), ...later].filter((k) => k.startsWith('t'))
    expect(topFiles).toHaveLength(150)
    const noFolder = await thrown(lister.list(drive, 'no-such-folder', null))
    expect([noFolder.code, noFolder.retriable]).toEqual(['NoSuchKey', false])
    const noDrive = await thrown(lister.list(unique('pl-none'), '', null))
    expect(noDrive.code).toBe('NoSuchBucket')
    await expect(lister.list(drive, 'top', 'not-a-cursor')).rejects.toMatchObject({ code: 'InvalidArgument', retriable: false })
  })

  it('surfaces throttling and server faults as retriable errors and resumes from the same cursor; a wrong token is AccessDenied', async () => {
    const drive = unique('pl-fault')
    const { seeds, expected } = tree()
    await seedDrive(PDS_EMULATOR_URL, drive, seeds)
    const first = await lister.list(drive, 'top', null, { limit: 120 })
    await addFault(PDS_EMULATOR_URL, { bucket: drive, kind: 'http', status: 429, retryAfter: 1 })
    const throttled = await thrown(lister.list(drive, 'top', first.next, { limit: 120 }))
    expect([throttled.code, throttled.retriable]).toEqual(['Throttled', true])
    await addFault(PDS_EMULATOR_URL, { bucket: drive, kind: 'op', key: 'dA1', code: 500 })
    await addFault(PDS_EMULATOR_URL, { bucket: drive, kind: 'garbage' })
    expect((await thrown(lister.list(drive, 'top', first.next, { limit: 120 }))).retriable).toBe(true)
    const ids = [...first.objects.map((o) => o.key)]
    let cursor = first.next
    let failures = 0
    while (cursor !== null) {
      try {
        const p = await lister.list(drive, 'top', cursor, { limit: 120 })
        ids.push(...p.objects.map((o) => o.key))
        cursor = p.next
      } catch (e) {
        expect((e as ObjectIOError).retriable).toBe(true)
        failures++
      }
    }
    expect(failures).toBe(1)
    expect(ids.slice().sort()).toEqual(expected.slice().sort())
    const denied = await thrown(listerOf(TEST_ACCOUNTS['pds-wrong-token']).list(drive, 'top', null))
    expect([denied.code, denied.retriable]).toEqual(['AccessDenied', false])
  })
})
