import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { TEST_BINDINGS } from './test/fixtures/bindings.ts'
import { TEST_RATE_LIMIT_TIERS, TEST_RATE_LIMITS } from './test/security/rate-limit-tiers.ts'
import { PRODUCER } from './test/fixtures/producer.ts'
import { producerWorker } from './test/fixtures/producer-worker.ts'

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      // Test-only bindings: accounts point at the emulators that globalSetup starts on loopback.
      // Chunk and ops messages are delivered at once in tests instead of after wrangler.toml's batch timeout.
      // The example producer (examples/producer) runs beside the gateway, reachable through PRODUCER.
      miniflare: {
        bindings: { ...TEST_BINDINGS, RATE_LIMIT_TIERS: JSON.stringify(TEST_RATE_LIMIT_TIERS) },
        // The suite's keys share the default tier's counter across all files: lift it so no test is
        // throttled by another's calls; test/security/rate-limit.test.ts uses its own tiny tier.
        ratelimits: TEST_RATE_LIMITS,
        queueConsumers: { 'batchgate-chunks': { maxBatchTimeout: 0.05 }, 'batchgate-ops': { maxBatchTimeout: 0.05 } },
        serviceBindings: { [PRODUCER.binding]: PRODUCER.name },
        workers: [producerWorker()],
      },
    }),
  ],
  // See test/fixtures/loopback.ts: lets two runs on one machine use different loopback addresses.
  define: { __BG_TEST_HOST__: JSON.stringify(process.env.BG_TEST_HOST ?? '127.0.0.1') },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // Records every Worker answer and log line for the secrets check (test/security/secrets-collector.ts).
    setupFiles: ['./test/security/record-setup.ts'],
    testTimeout: 30_000,
  },
})
