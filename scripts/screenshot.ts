/**
 * npm run screenshot — a picture of the console's job page for the README: starts the real Worker
 * in workerd (test/console/gateway.ts, with the test bindings), runs a demo copy job with a few
 * failures of three kinds through the JSON API, signs in with Chromium and writes
 * docs/console-job.png.
 *
 *   npm run screenshot -- [--out docs/console-job.png] [--host 127.0.0.1]
 */
import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { launchChromium } from '../test/console/chromium.ts'
import { startTestGateway } from '../test/console/gateway.ts'
import { KEYS } from '../test/fixtures/keys.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'docs/console-job.png') }, host: { type: 'string', default: process.env.BG_TEST_HOST ?? '127.0.0.1' } } })

const gateway = await startTestGateway({ root: ROOT, host: values.host! })
const browser = await launchChromium()
try {
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${gateway.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${KEYS.all}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as any
  }

  // 1,200 photos to back up: 1,150 copy, 30 are missing (NoSuchKey), 13 are already in the backup
  // bucket (DestinationExists: overwrite is off), 8 manifest rows are broken (InvalidManifestRow).
  const demo = await gateway.mf.getR2Bucket('DEMO_BUCKET')
  const backup = await gateway.mf.getR2Bucket('BACKUP_BUCKET')
  const keys = Array.from({ length: 1200 }, (_, i) => `photos/2024/img-${String(i).padStart(4, '0')}.jpg`)
  const missing = new Set(keys.filter((_, i) => i % 40 === 7))
  const present = keys.filter((k) => !missing.has(k))
  for (let i = 0; i < present.length; i += 100) await Promise.all(present.slice(i, i + 100).map((k) => demo.put(k, `jpeg bytes of ${k}`)))
  await Promise.all(present.filter((_, i) => i % 97 === 3).map((k) => backup.put(`backup/${k}`, 'older copy')))
  const rows = keys.map((k) => `demo,${encodeURIComponent(k)}`)
  for (let i = 0; i < 8; i++) rows.splice(150 * i + 20, 0, i % 2 ? 'demo' : 'demo,broken%zzrow')
  const created = await api('/v1/jobs', {
    clientRequestToken: `screenshot-${Date.now()}`,
    account: 'local',
    operation: { op: 'copy', destination: { bucket: 'backup', prefix: 'backup/' } },
    manifest: { inline: rows.join('\n') + '\n' },
    report: { enabled: true, bucket: 'backup', prefix: 'reports/', scope: 'AllTasks' },
    priority: 10,
    description: 'Back up 2024 photos',
  })
  for (let job = await api(`/v1/jobs/${created.jobId}`); !['Complete', 'Failed', 'Cancelled'].includes(job.status) || !job.reportLocation; job = await api(`/v1/jobs/${created.jobId}`))
    await new Promise((r) => setTimeout(r, 200))

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 })
  await page.goto(`${gateway.url}/console/sign-in`)
  await page.fill('#apiKey', KEYS.all)
  await Promise.all([page.waitForURL(`${gateway.url}/`), page.click('button[type=submit]')])
  await page.goto(`${gateway.url}/console/jobs/${created.jobId}`)
  await mkdir(dirname(values.out!), { recursive: true })
  await page.screenshot({ path: values.out!, fullPage: true })
  console.log(`wrote ${values.out} (job ${created.jobId})`)
} finally {
  await browser.close()
  await gateway.close()
}
