/**
 * The real Worker for browser tests and the screenshot: bundled by wrangler as it would deploy
 * (scripts/bench/gateway.ts), run in workerd by Miniflare with wrangler.toml's Durable Objects,
 * queues and R2 buckets, listening on real HTTP for Chromium. The test bindings
 * (test/fixtures/bindings.ts) replace `.dev.vars`; nothing is persisted.
 */
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { bundleModules, bundleWorker } from '../../scripts/bench/gateway.ts'
import { TEST_BINDINGS } from '../fixtures/bindings.ts'

type V4Options = Parameters<typeof convertV4MiniflareOptions>[0]

export interface TestGateway {
  url: string
  /** Every line the Worker logged (its access log, errors), to check what never reaches a log. */
  logs: string[]
  mf: Miniflare
  close(): Promise<void>
}

/** Wrangler prints to stdout while reading its config; keep it quiet. */
function wranglerOptions(root: string) {
  const prev = process.env.WRANGLER_LOG
  process.env.WRANGLER_LOG = 'error'
  try {
    return unstable_getMiniflareWorkerOptions(join(root, 'wrangler.toml')).workerOptions
  } finally {
    if (prev === undefined) delete process.env.WRANGLER_LOG
    else process.env.WRANGLER_LOG = prev
  }
}

class QuietLog extends Log {
  private readonly sink: (line: string) => void
  constructor(sink: (line: string) => void) {
    super(LogLevel.WARN)
    this.sink = sink
  }
  protected override log(message: string): void {
    this.sink(message)
  }
}

export async function startTestGateway(opts: { root: string; host: string; bindings?: Record<string, string> }): Promise<TestGateway> {
  const bundle = await bundleWorker(opts.root)
  const w = wranglerOptions(opts.root)
  const logs: string[] = []
  const queueConsumers = Object.fromEntries(
    // Chunk messages delivered at once, as vitest.config.ts does.
    Object.entries((w.queueConsumers ?? {}) as Record<string, object>).map(([q, c]) => [q, { ...c, maxBatchTimeout: 0.05 }]),
  )
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: 'batchgate',
      host: opts.host,
      port: 0,
      modules: bundleModules(bundle.script),
      modulesRoot: dirname(bundle.script),
      compatibilityDate: w.compatibilityDate as string,
      durableObjects: (w.durableObjects ?? {}) as NonNullable<V4Options['durableObjects']>,
      queueProducers: (w.queueProducers ?? {}) as NonNullable<V4Options['queueProducers']>,
      queueConsumers: queueConsumers as NonNullable<V4Options['queueConsumers']>,
      r2Buckets: Object.keys(w.r2Buckets ?? {}),
      ratelimits: (w.ratelimits ?? {}) as NonNullable<V4Options['ratelimits']>,
      bindings: { ...(w.bindings as Record<string, string>), ...TEST_BINDINGS, ...opts.bindings },
      log: new QuietLog((line) => logs.push(line)),
      handleStructuredLogs: ({ message }) => {
        logs.push(message)
      },
    }),
  )
  const url = (await mf.ready).href.replace(/\/+$/, '')
  return {
    url,
    logs,
    mf,
    close: async () => {
      await mf.dispose()
      await rm(bundle.dir, { recursive: true, force: true })
    },
  }
}
