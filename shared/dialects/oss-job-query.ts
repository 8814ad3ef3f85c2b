import { JOB_STATUSES, type RequestedStatus } from '../jobs/job-status.ts'
import { parseWith, type FieldError } from '../schemas/issues.ts'
import { UpdateJobPriorityRequest, UpdateJobStatusRequest } from '../schemas/job.ts'
import { ossQueryFieldError } from './oss-job-paths.ts'
import { fromOssJobId } from './oss-job-id.ts'

/** What an OSS batch-job request asks for. `jobId` is null when no job can have the id given (NoSuchJob). */
export type OssJobAction =
  | { action: 'CreateJob' }
  | { action: 'DescribeJob'; jobId: string | null }
  | { action: 'ListJobs'; statuses: string[]; maxKeys: number; continuationToken?: string }
  | { action: 'UpdateJobStatus'; jobId: string | null; requestedStatus: RequestedStatus; reason?: string }
  | { action: 'UpdateJobPriority'; jobId: string | null; priority: number }

export type OssQueryError =
  | { status: 400; code: 'InvalidArgument'; message: string; errors: FieldError[] }
  | { status: 405; code: 'MethodNotAllowed'; message: string; allow: string[] }

export type OssQueryRead = { ok: true; value: OssJobAction } | { ok: false; error: OssQueryError }

const SUBRESOURCES = { batchJob: ['GET', 'POST'], batchJobStatus: ['POST'], batchJobPriority: ['POST'] } as const
type SubResource = keyof typeof SUBRESOURCES

/** The parameters each action takes besides its sub-resource; anything else is refused by name. */
const PARAMS: Record<OssJobAction['action'], readonly string[]> = {
  CreateJob: [],
  DescribeJob: ['batchJobId'],
  ListJobs: ['batchJobStatuses', 'max-keys', 'continuation-token'],
  UpdateJobStatus: ['batchJobId', 'requestedJobStatus', 'statusUpdateReason'],
  UpdateJobPriority: ['batchJobId', 'targetPriority'],
}
export const DEFAULT_LIST_MAX_KEYS = 100

const invalid = (errors: FieldError[]): OssQueryRead => ({
  ok: false,
  error: { status: 400, code: 'InvalidArgument', message: errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors },
})

function actionOf(sub: SubResource, method: string, params: URLSearchParams): OssJobAction['action'] {
  if (sub === 'batchJobStatus') return 'UpdateJobStatus'
  if (sub === 'batchJobPriority') return 'UpdateJobPriority'
  if (method === 'POST') return 'CreateJob'
  return params.has('batchJobId') ? 'DescribeJob' : 'ListJobs'
}

/**
 * Reads the sub-resource and parameters of `/?batchJob…` (provider-protocols §3.5): exactly one
 * sub-resource, the method it takes (405 otherwise), only the parameters of that action, each once.
 */
export function readOssJobQuery(method: string, params: URLSearchParams): OssQueryRead {
  const keys = [...params.keys()]
  const subs = [...new Set(keys.filter((k): k is SubResource => Object.hasOwn(SUBRESOURCES, k)))]
  if (subs.length !== 1) {
    const message = subs.length === 0 ? 'name one sub-resource: batchJob, batchJobStatus or batchJobPriority' : `name only one sub-resource, not ${subs.join(' and ')}`
    return invalid([{ path: 'query', message }])
  }
  const sub = subs[0] as SubResource
  const allow = SUBRESOURCES[sub] as readonly string[]
  if (!allow.includes(method))
    return { ok: false, error: { status: 405, code: 'MethodNotAllowed', message: `?${sub} takes ${allow.join(' or ')}, not ${method}`, allow: [...allow] } }

  const action = actionOf(sub, method, params)
  const errors: FieldError[] = []
  const seen = new Set<string>()
  for (const k of keys) {
    if (k !== sub && !PARAMS[action].includes(k)) errors.push({ path: k, message: `unknown parameter for ${action}` })
    else if (seen.has(k)) errors.push({ path: k, message: 'must appear once' })
    seen.add(k)
  }
  if (errors.length > 0) return invalid(errors)

  const jobId = (): string | null | undefined => {
    const raw = params.get('batchJobId')
    if (raw === null || raw === '') {
      errors.push({ path: 'batchJobId', message: 'required' })
      return undefined
    }
    return fromOssJobId(raw)
  }

  switch (action) {
    case 'CreateJob':
      return { ok: true, value: { action } }
    case 'DescribeJob': {
      const id = jobId()
      return id === undefined ? invalid(errors) : { ok: true, value: { action, jobId: id } }
    }
    case 'ListJobs': {
      const statuses = (params.get('batchJobStatuses') ?? '').split(',').map((s) => s.trim()).filter(Boolean)
      const bad = statuses.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s))
      if (bad.length) errors.push({ path: 'batchJobStatuses', message: `unknown status ${bad.join(', ')}; one of ${JOB_STATUSES.join(', ')}` })
      const rawMax = params.get('max-keys')
      const maxKeys = rawMax === null ? DEFAULT_LIST_MAX_KEYS : /^[0-9]+$/.test(rawMax) ? Number(rawMax) : Number.NaN
      if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > 1000) errors.push({ path: 'max-keys', message: 'must be an integer from 1 to 1000' })
      const token = params.get('continuation-token')
      if (errors.length > 0) return invalid(errors)
      return { ok: true, value: { action, statuses, maxKeys, ...(token ? { continuationToken: token } : {}) } }
    }
    case 'UpdateJobStatus': {
      const id = jobId()
      const reason = params.get('statusUpdateReason')
      const body = { requestedStatus: params.get('requestedJobStatus') ?? undefined, ...(reason !== null ? { reason } : {}) }
      const parsed = parseWith(UpdateJobStatusRequest, body)
      if (!parsed.success) errors.push(...parsed.errors.map(ossQueryFieldError))
      if (id === undefined || !parsed.success) return invalid(errors)
      return { ok: true, value: { action, jobId: id, requestedStatus: parsed.data.requestedStatus, ...(parsed.data.reason ? { reason: parsed.data.reason } : {}) } }
    }
    case 'UpdateJobPriority': {
      const id = jobId()
      const raw = params.get('targetPriority')
      let priority: number | undefined
      if (raw === null) errors.push({ path: 'targetPriority', message: 'required' })
      else if (!/^[+-]?[0-9]+$/.test(raw.trim())) errors.push({ path: 'targetPriority', message: 'must be an integer' })
      else {
        const parsed = parseWith(UpdateJobPriorityRequest, { priority: Number(raw) })
        if (parsed.success) priority = parsed.data.priority
        else errors.push(...parsed.errors.map(ossQueryFieldError))
      }
      if (id === undefined || priority === undefined) return invalid(errors)
      return { ok: true, value: { action, jobId: id, priority } }
    }
  }
}
