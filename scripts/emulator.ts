/**
 * Starts the Qiniu Kodo emulator standalone (manual checks, benchmark):
 *   node scripts/emulator.ts [--host 127.0.0.1] [--port 80]
 * Credentials are those of test/fixtures/qiniu-credentials.ts. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util'
import { startQiniuEmulator } from '../test/emulators/qiniu/qiniu-emulator.ts'
import { QINIU_CREDENTIALS } from '../test/fixtures/qiniu-credentials.ts'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '80' },
  },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${values.port}`)
  process.exit(2)
}
if (port !== 80) {
  console.warn('warning: on a port other than 80, "Qiniu" (v2) tokens signed for this Host cannot verify (SDK bug); QBox tokens still work')
}

try {
  const emu = await startQiniuEmulator({ host: values.host, port, credentials: QINIU_CREDENTIALS })
  console.log(`Qiniu emulator listening on ${emu.url}  (access keys: ${Object.keys(QINIU_CREDENTIALS).join(', ')}; Ctrl-C to stop)`)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
} catch (e) {
  console.error((e as Error).message)
  process.exit(1)
}
