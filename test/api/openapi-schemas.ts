import Ajv2020 from 'ajv/dist/2020.js'
import type * as z from 'zod'
import {
  CreateJobResponse, Health, JobDescription, JobList, JobPriorityResponse, JobStatusResponse, ReportManifest,
} from '../../shared/openapi/job-responses.ts'
import { openApiDocument } from '../../shared/openapi/document.ts'
import { BatchRequest, BatchResponse } from '../../shared/schemas/batch.ts'
import { CreateJobRequest, UpdateJobPriorityRequest, UpdateJobStatusRequest } from '../../shared/schemas/job.ts'
import { Problem } from '../../shared/schemas/problem.ts'
import { CreateScheduleRequest, Schedule, ScheduleList } from '../../shared/schemas/schedule.ts'

/** Helpers of the OpenAPI tests: the zod schema behind each component, and the document's JSON Schemas compiled by ajv. */

/** The zod schema each component schema of the document is generated from. */
export const ZOD: Record<string, z.ZodType> = {
  BatchRequest, BatchResponse, CreateJobRequest, CreateJobResponse, JobDescription, JobList, UpdateJobStatusRequest, JobStatusResponse,
  UpdateJobPriorityRequest, JobPriorityResponse, ReportManifest, CreateScheduleRequest, Schedule, ScheduleList, Health, Problem,
}

export const doc = openApiDocument()

// zod's JSON Schema carries its own patterns; formats are annotations here, as OpenAPI 3.1 allows.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true })
const compiled = new Map<unknown, ReturnType<typeof ajv.compile>>()

/** Validates a value with a schema of the document (a component `$ref` or an inline schema); returns ajv's errors. */
export function jsonSchemaErrors(schema: Record<string, unknown>, value: unknown): string[] {
  const resolved = typeof schema.$ref === 'string' ? (doc.components.schemas as Record<string, object>)[schema.$ref.replace('#/components/schemas/', '')] : schema
  if (!resolved) return [`unknown ${String(schema.$ref)}`]
  let validate = compiled.get(resolved)
  if (!validate) compiled.set(resolved, (validate = ajv.compile(resolved)))
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
}

/** Validates a real answer's body against the document's schema for a path, method and status, and its zod schema. */
export function documentedErrors(path: string, method: string, status: number, contentType: string, body: unknown): string[] {
  const op = (doc.paths as Record<string, Record<string, any>>)[path]?.[method]
  const response = op?.responses?.[String(status)]
  if (!response) return [`${method.toUpperCase()} ${path} documents no ${status}`]
  // The content type as sent (`text/csv; charset=utf-8`), else without its parameters (`application/json; charset=UTF-8`).
  const media = response.content?.[contentType] ?? response.content?.[contentType.split(';')[0]!.trim()]
  if (!media) return [`${method.toUpperCase()} ${path} ${status} documents no ${contentType}: ${Object.keys(response.content ?? {}).join(', ')}`]
  const errors = jsonSchemaErrors(media.schema, body)
  const name = typeof media.schema.$ref === 'string' ? media.schema.$ref.split('/').pop() : undefined
  if (name && ZOD[name]) {
    const parsed = ZOD[name].safeParse(body)
    if (!parsed.success) errors.push(...parsed.error.issues.map((i) => `zod ${i.path.join('.')}: ${i.message}`))
  }
  return errors
}
