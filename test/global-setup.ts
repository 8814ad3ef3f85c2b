import { startObjectStoreEmulator, type ObjectStoreEmulator } from './emulators/objectstore/server.ts'
import { startPdsEmulator } from './emulators/pds/pds-emulator.ts'
import { startQiniuEmulator } from './emulators/qiniu/qiniu-emulator.ts'
import { QiniuRegions } from './emulators/qiniu/qiniu-regions.ts'
import { QiniuStore } from './emulators/qiniu/qiniu-store.ts'
import { OSS_EMULATOR_HOST, OSS_EMULATOR_PORT, S3_EMULATOR_HOST, S3_EMULATOR_PORT } from './fixtures/emulator-ports.ts'
import { OSS_CREDENTIALS, S3_CREDENTIALS } from './fixtures/objectstore-credentials.ts'
import { PDS_EMULATOR_URL, PDS_TOKENS } from './fixtures/pds.ts'
import { QINIU_CREDENTIALS, QINIU_EMULATOR_URL } from './fixtures/qiniu-credentials.ts'
import { QINIU_Z1_HOST } from './fixtures/qiniu-regions.ts'
import { startSecretsCollector } from './security/secrets-collector.ts'

/**
 * Starts the provider emulators on loopback for the whole test run (one instance shared by all
 * test files: tests isolate themselves by using their own bucket names; fault rules and request
 * logs are scoped per bucket): Qiniu on 127.0.0.1:80, PDS (fixtures/pds.ts), S3 on
 * 127.0.0.1:9000 and OSS on 127.0.0.1:9100 (fixtures/emulator-ports.ts). Returns the teardown.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const { hostname } = new URL(QINIU_EMULATOR_URL)
  let qiniu: Awaited<ReturnType<typeof startQiniuEmulator>>
  // Qiniu region z0 on the test host, z1 on a second address (fixtures/qiniu-regions.ts).
  const regions = new QiniuRegions({ store: new QiniuStore() })
  try {
    qiniu = await startQiniuEmulator({ host: hostname, port: 80, credentials: QINIU_CREDENTIALS, regions: { directory: regions, id: 'z0' } })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why =
      code === 'EADDRINUSE'
        ? `port 80 on ${hostname} is already taken. Stop whatever listens there (for example a standalone ` +
          `"node scripts/emulator.ts" or another test run; see "ss -ltnp 'sport = :80'") and run the tests again.`
        : (e as Error).message
    throw new Error(`globalSetup: cannot start the Qiniu emulator at ${QINIU_EMULATOR_URL}: ${why}`, { cause: e })
  }
  let qiniuZ1: Awaited<ReturnType<typeof startQiniuEmulator>>
  try {
    qiniuZ1 = await startQiniuEmulator({ host: QINIU_Z1_HOST, port: 80, credentials: QINIU_CREDENTIALS, regions: { directory: regions, id: 'z1' } })
  } catch (e) {
    await qiniu.close()
    throw new Error(`globalSetup: cannot start the second Qiniu region's emulator on ${QINIU_Z1_HOST}:80: ${(e as Error).message}`, { cause: e })
  }
  const pdsUrl = new URL(PDS_EMULATOR_URL)
  let pds: Awaited<ReturnType<typeof startPdsEmulator>>
  try {
    pds = await startPdsEmulator({ host: pdsUrl.hostname, port: Number(pdsUrl.port), tokens: PDS_TOKENS })
  } catch (e) {
    await Promise.allSettled([qiniu.close(), qiniuZ1.close()])
    throw new Error(`globalSetup: cannot start the PDS emulator at ${PDS_EMULATOR_URL}: ${(e as Error).message}`, { cause: e })
  }
  const objectStores: ObjectStoreEmulator[] = []
  const closeAll = async () => {
    await Promise.allSettled([qiniu.close(), qiniuZ1.close(), pds.close(), ...objectStores.map((e) => e.close())])
  }
  const stores = [
    { dialect: 's3', host: S3_EMULATOR_HOST, port: S3_EMULATOR_PORT, credentials: S3_CREDENTIALS },
    { dialect: 'oss', host: OSS_EMULATOR_HOST, port: OSS_EMULATOR_PORT, credentials: OSS_CREDENTIALS },
  ] as const
  for (const s of stores) {
    try {
      objectStores.push(await startObjectStoreEmulator(s))
    } catch (e) {
      await closeAll()
      const code = (e as NodeJS.ErrnoException).code
      const where = `${s.host}:${s.port}`
      const why =
        code === 'EADDRINUSE'
          ? `${where} is already taken (another test run?). Stop whatever listens there (see "ss -ltnp 'sport = :${s.port}'") and run the tests again.`
          : (e as Error).message
      throw new Error(`globalSetup: cannot start the ${s.dialect.toUpperCase()} emulator at ${where}: ${why}`, { cause: e })
    }
  }
  // Every Worker answer and log line of the run is scanned for secrets (test/security/record-setup.ts);
  // the teardown fails the run if one was seen.
  let collector: Awaited<ReturnType<typeof startSecretsCollector>>
  try {
    collector = await startSecretsCollector()
  } catch (e) {
    await closeAll()
    throw new Error(`globalSetup: cannot start the secrets collector: ${(e as Error).message}`, { cause: e })
  }
  return async () => {
    await closeAll()
    await collector.finish()
  }
}
