/**
 * The provider emulators the bench needs, started in this process on the test suite's ports
 * (Qiniu :80, S3-compatible :9000, OSS :9100, PDS :9200, as test/global-setup.ts starts them) with
 * the test fixtures' credentials, on one loopback address (default 127.0.0.1).
 */
import { startObjectStoreEmulator } from '../../test/emulators/objectstore/server.ts'
import { startPdsEmulator } from '../../test/emulators/pds/pds-emulator.ts'
import { startQiniuEmulator } from '../../test/emulators/qiniu/qiniu-emulator.ts'
import { OSS_EMULATOR_PORT, S3_EMULATOR_PORT } from '../../test/fixtures/emulator-ports.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from '../../test/fixtures/objectstore-credentials.ts'
import { PDS_EMULATOR_URL, PDS_TOKENS } from '../../test/fixtures/pds.ts'
import { QINIU_CREDENTIALS } from '../../test/fixtures/qiniu-credentials.ts'

export type EmulatorKind = 'qiniu' | 's3' | 'oss' | 'pds'

const LABEL: Record<EmulatorKind, string> = { qiniu: 'Qiniu', s3: 'S3-compatible', oss: 'OSS', pds: 'PDS' }

/** The fixed port of each emulator (the test suite's). */
export const EMULATOR_PORTS: Record<EmulatorKind, number> = {
  qiniu: 80, // the qiniu SDK's v2 verifier mishandles other ports
  s3: S3_EMULATOR_PORT,
  oss: OSS_EMULATOR_PORT,
  pds: Number(new URL(PDS_EMULATOR_URL).port),
}

export interface Emulators {
  /** Base URL of each started emulator. */
  urls: Partial<Record<EmulatorKind, string>>
  close(): Promise<void>
}

export class PortBusyError extends Error {}

/**
 * Starts `kinds` on `host`. When a port is taken, closes what it started and throws a
 * PortBusyError whose message says who usually holds it and what to do.
 */
export async function startEmulators(
  host: string,
  kinds: ReadonlySet<EmulatorKind>,
  opts: { /** Largest request body of the object stores (default theirs, 16 MiB): the jobs section uploads big manifests. */ objectStoreMaxBodyBytes?: number } = {},
): Promise<Emulators> {
  const closers: Array<() => Promise<void>> = []
  const urls: Partial<Record<EmulatorKind, string>> = {}
  const close = async () => {
    await Promise.allSettled(closers.map((c) => c()))
  }
  for (const kind of (['qiniu', 's3', 'oss', 'pds'] as const).filter((k) => kinds.has(k))) {
    const port = EMULATOR_PORTS[kind]
    try {
      const emu =
        kind === 'qiniu'
          ? await startQiniuEmulator({ host, port, credentials: QINIU_CREDENTIALS })
          : kind === 'pds'
            ? await startPdsEmulator({ host, port, tokens: PDS_TOKENS })
            : await startObjectStoreEmulator({
                dialect: kind,
                host,
                port,
                credentials: kind === 's3' ? S3_CREDENTIALS : OSS_CREDENTIALS,
                ...(opts.objectStoreMaxBodyBytes !== undefined ? { maxBodyBytes: opts.objectStoreMaxBodyBytes } : {}),
              })
      closers.push(() => emu.close())
      urls[kind] = emu.url
    } catch (e) {
      await close()
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        const held = Object.values(EMULATOR_PORTS).map((p) => `:${p}`).join(', ')
        throw new PortBusyError(
          `${host}:${port} is ${code === 'EADDRINUSE' ? 'already in use' : 'not open to this user'}, so the ${LABEL[kind]} emulator cannot start there.\n` +
            `  The test suite (npm test) listens on 127.0.0.1 ${held} (and "node scripts/emulator.ts" on :80); the bench must not run while they do.\n` +
            `  Stop them (see: ss -ltnp 'sport = :${port}'), or run on another loopback address: npm run bench -- --host ${host === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2'}`,
        )
      }
      throw new Error(`cannot start the ${LABEL[kind]} emulator on ${host}:${port}: ${(e as Error).message}`, { cause: e })
    }
  }
  return { urls, close }
}
