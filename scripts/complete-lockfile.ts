/**
 * Completes package-lock.json with workerd's per-platform optional packages.
 *
 * Why: the npm registry this project is installed from serves workerd's Linux builds only, so
 * `npm install` records workerd's optional darwin/windows packages nowhere, and `npm ci` then
 * refuses the lockfile ("Missing: @cloudflare/workerd-darwin-64@ from lock file"). Listing them
 * as optional, platform-bound entries is what npm writes on a full registry; npm ci skips them on
 * Linux. Run after every dependency change: `npm run lockfile`.
 */
import { readFileSync, writeFileSync } from 'node:fs'

const PLATFORMS: Record<string, { os: string[]; cpu: string[] }> = {
  'darwin-64': { os: ['darwin'], cpu: ['x64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'windows-64': { os: ['win32'], cpu: ['x64'] },
  'linux-64': { os: ['linux'], cpu: ['x64'] },
  'linux-arm64': { os: ['linux'], cpu: ['arm64'] },
}

type Entry = { version?: string; optionalDependencies?: Record<string, string>; [k: string]: unknown }
const path = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, Entry> }
const packages = lock.packages
let added = 0

for (const [where, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const platform = dep.startsWith('@cloudflare/workerd-') ? PLATFORMS[dep.slice('@cloudflare/workerd-'.length)] : undefined
    if (!platform) continue
    // npm resolves a dependency next to its parent first, then hoisted at the top.
    const nested = `${where}/node_modules/${dep}`
    const top = `node_modules/${dep}`
    if (packages[nested]?.version === version || packages[top]?.version === version) continue
    const slot = packages[top] === undefined ? top : nested
    packages[slot] = { version, dev: true, license: 'Apache-2.0', optional: true, ...platform, engines: { node: '>=16' } }
    added++
  }
}

writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`package-lock.json: ${added} platform entr${added === 1 ? 'y' : 'ies'} added`)
