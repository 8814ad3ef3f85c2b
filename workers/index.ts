import { createApp } from './api/app.ts'

export { IdempotencyStore } from './durable-objects/idempotency-store.ts'

const app = createApp()

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>
