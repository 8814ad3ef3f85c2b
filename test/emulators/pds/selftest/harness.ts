/**
 * Shared helpers of the PDS emulator self-tests (Node side, node:test).
 *
 * The *.node-test.ts files next to this one run under Node's own test runner, not vitest:
 *
 *   node --test 'test/emulators/pds/selftest/*.node-test.ts'
 *
 * (`npm test` runs them after vitest.) Every file starts its own emulator on 127.0.0.1 on a free
 * port in `before` and closes it in `after` (see useEmulator), so they run beside a vitest run or
 * another self-test without clashing. Nothing here connects anywhere but 127.0.0.1.
 */
import { startPdsEmulator, type PdsEmulator, type PdsEmulatorOptions } from '../pds-emulator.ts'
import { listDriveFiles, type PdsFile } from '../../control.ts'
import { fetchJson, uniqueName, useServer, type JsonRes } from '../../selftest-harness.ts'
import { PDS_ACCESS_TOKEN } from '../../../fixtures/pds.ts'

export const TOKEN = PDS_ACCESS_TOKEN
export const OTHER_TOKEN = 'pds-other-token'

/** The running emulator's base URL (set in `before`). */
export let BASE = ''
export let emulator: PdsEmulator

/** Registers hooks that start an emulator on a free loopback port before the file's tests and close it after. */
export function useEmulator(opts: Partial<Omit<PdsEmulatorOptions, 'host' | 'port'>> = {}): void {
  useServer('the PDS emulator', async () => {
    emulator = await startPdsEmulator({ tokens: [TOKEN, OTHER_TOKEN], ...opts, host: '127.0.0.1', port: 0 })
    BASE = emulator.url
    return emulator
  })
}

export type Res = JsonRes

export interface SendOpts {
  /** Bearer token; null sends no Authorization header. Default the test token. */
  token?: string | null
  /** Replace the Authorization header entirely. */
  authorization?: string
  contentType?: string
  method?: string
  signal?: AbortSignal
}

/** A raw request to /v2/batch (or `path`) with `body` sent as is. */
export async function send(body: string, o: SendOpts & { path?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { 'Content-Type': o.contentType ?? 'application/json' }
  const token = o.token === undefined ? TOKEN : o.token
  if (o.authorization !== undefined) headers.Authorization = o.authorization
  else if (token !== null) headers.Authorization = `Bearer ${token}`
  const method = o.method ?? 'POST'
  return fetchJson(BASE + (o.path ?? '/v2/batch'), { method, headers, body: method === 'GET' ? undefined : body, signal: o.signal })
}

/** One child request; ids default to the position. */
export interface Child {
  id?: string
  url: string
  body?: Record<string, unknown>
  method?: string
  headers?: Record<string, string>
}

/** POST /v2/batch with these child requests (resource "file"). */
export function batch(children: Child[], o: SendOpts = {}): Promise<Res> {
  const requests = children.map((c, i) => ({
    id: c.id ?? String(i),
    method: c.method ?? 'POST',
    url: c.url,
    headers: c.headers ?? { 'Content-Type': 'application/json' },
    ...(c.body !== undefined ? { body: c.body } : {}),
  }))
  return send(JSON.stringify({ resource: 'file', requests }), o)
}

/** The child responses of a batch answer by id. */
export function byId(r: Res): Map<string, { status: number; body?: any }> {
  return new Map(r.json.responses.map((x: { id: string; status: number; body?: unknown }) => [x.id, { status: x.status, body: x.body }]))
}

/** The statuses of a batch answer in REQUEST order (ids are the positions). */
export function statuses(r: Res): number[] {
  const m = byId(r)
  return [...m.keys()].sort((a, b) => Number(a) - Number(b)).map((k) => m.get(k)!.status)
}

/** Child-request builders. */
export const sub = {
  get: (drive: string, file: string): Child => ({ url: '/file/get', body: { drive_id: drive, file_id: file } }),
  del: (drive: string, file: string): Child => ({ url: '/file/delete', body: { drive_id: drive, file_id: file } }),
  copy: (drive: string, file: string, parent: string, extra: Record<string, unknown> = {}): Child => ({
    url: '/file/copy',
    body: { drive_id: drive, file_id: file, to_parent_file_id: parent, ...extra },
  }),
  move: (drive: string, file: string, parent: string, extra: Record<string, unknown> = {}): Child => ({
    url: '/file/move',
    body: { drive_id: drive, file_id: file, to_parent_file_id: parent, ...extra },
  }),
  update: (drive: string, file: string, extra: Record<string, unknown>): Child => ({ url: '/file/update', body: { drive_id: drive, file_id: file, ...extra } }),
  putTags: (drive: string, file: string, tags: Record<string, string>): Child => ({
    url: '/file/put_usertags',
    body: { drive_id: drive, file_id: file, user_tags: Object.entries(tags).map(([key, value]) => ({ key, value })) },
  }),
  delTags: (drive: string, file: string, keys: string[]): Child => ({ url: '/file/delete_usertags', body: { drive_id: drive, file_id: file, key_list: keys } }),
}

/** A drive id not used before in this process. */
export const newDrive = uniqueName

export async function filesById(drive: string): Promise<Map<string, PdsFile>> {
  return new Map((await listDriveFiles(BASE, drive)).map((f) => [f.fileId, f]))
}

export async function filesByName(drive: string): Promise<Map<string, PdsFile>> {
  return new Map((await listDriveFiles(BASE, drive)).map((f) => [f.name, f]))
}
