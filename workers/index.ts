import { createApp } from './api/app.ts'
import { handleScheduled } from './cron/scheduled.ts'
import { handleChunkBatch } from './queue/chunk-consumer.ts'

export { AccountScheduler } from './durable-objects/account-scheduler.ts'
export { BatchJob } from './durable-objects/batch-job.ts'
export { IdempotencyStore } from './durable-objects/idempotency-store.ts'
export { JobTokens } from './durable-objects/job-tokens.ts'
export { TenantJobs } from './durable-objects/tenant-jobs.ts'

const app = createApp()

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => handleChunkBatch(batch, env, ctx),
  scheduled: (controller, env, ctx) => handleScheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>
