import { createApp } from './api/app.ts'
import { handleScheduled } from './cron/scheduled.ts'
import { handleChunkBatch } from './queue/chunk-consumer.ts'
import { handleOpsBatch } from './queue/ops-consumer.ts'

export { AccountScheduler } from './durable-objects/account-scheduler.ts'
export { BatchJob } from './durable-objects/batch-job.ts'
export { IdempotencyStore } from './durable-objects/idempotency-store.ts'
export { JobTokens } from './durable-objects/job-tokens.ts'
export { TenantJobs } from './durable-objects/tenant-jobs.ts'
export { TenantSchedules } from './durable-objects/tenant-schedules.ts'

const app = createApp()

// The queues this Worker consumes (wrangler.toml [[queues.consumers]]); another queue is a wiring mistake.
const consumers: Record<string, (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>> = {
  'batchgate-chunks': handleChunkBatch,
  'batchgate-ops': handleOpsBatch,
}

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => {
    const consume = consumers[batch.queue]
    if (!consume) throw new Error(`no consumer for queue "${batch.queue}"`)
    return consume(batch, env, ctx)
  },
  scheduled: (controller, env, ctx) => handleScheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>
