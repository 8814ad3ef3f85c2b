import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../app-env.ts'

/** What a fresh `npm start` shows in the local account's `demo` bucket, so the README's examples work. */
export const DEMO_OBJECTS: { key: string; body: string; contentType: string; metadata?: Record<string, string> }[] = [
  { key: 'photos/2024/cat.jpg', body: 'not really a cat', contentType: 'image/jpeg', metadata: { author: 'alice' } },
  { key: 'photos/2024/dog.jpg', body: 'not really a dog either', contentType: 'image/jpeg' },
  { key: 'docs/readme.txt', body: 'batchgate demo object\n', contentType: 'text/plain' },
  { key: 'tmp/scratch-1.txt', body: 'scratch 1\n', contentType: 'text/plain' },
  { key: 'tmp/scratch-2.txt', body: 'scratch 2\n', contentType: 'text/plain' },
]

let seeded: Promise<void> | undefined

/** With `DEMO_SEED=true` (set in `.dev.vars` only), fills an empty `demo` bucket once per isolate. */
export const demoSeed = () =>
  createMiddleware<AppEnv>(async function demoSeed(c, next) {
    if (c.env.DEMO_SEED === 'true') {
      const bucket = c.env.DEMO_BUCKET
      seeded ??= (async () => {
        const listing = await bucket.list({ limit: 1 })
        if (listing.objects.length > 0) return
        await Promise.all(
          DEMO_OBJECTS.map((o) =>
            bucket.put(o.key, o.body, { httpMetadata: { contentType: o.contentType }, ...(o.metadata ? { customMetadata: o.metadata } : {}) }),
          ),
        )
      })().catch((err) => {
        seeded = undefined
        throw err
      })
      await seeded
    }
    await next()
  })
