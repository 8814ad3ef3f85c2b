import type { ManifestTask } from '../manifest/manifest-csv.ts'
import type { JobOperation } from '../schemas/job.ts'
import type { Operation } from '../schemas/operation.ts'

/** One manifest row + the job's operation → the unified operation the engine runs for that task. */
export function taskOperation(job: JobOperation, task: ManifestTask): Operation {
  const { destination, ...args } = job
  const op: Record<string, unknown> = { ...args, id: String(task.row), bucket: task.bucket, key: task.key }
  if (task.versionId) op.versionId = task.versionId
  if (destination) {
    op.destination = destination.parentFileId
      ? { bucket: destination.bucket, parentFileId: destination.parentFileId }
      : { bucket: destination.bucket, key: `${destination.prefix ?? ''}${task.key}` }
  }
  return op as Operation
}
