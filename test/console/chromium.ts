import { chromium, type Browser } from 'playwright-core'

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it) driven by playwright-core,
 * which downloads no browser of its own. The flags keep Chromium off the network: without them it
 * reaches for update, sync and field-trial servers that a sandbox cannot reach.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}
