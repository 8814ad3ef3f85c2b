import { describeJobText, jobOf } from '../api/services/job-service.ts'
import type { JobDescription, ReportManifest } from './pages/job-page.tsx'

/** A job's description and, once written, its report manifest; another tenant's job is a 404. */
export async function loadJob(env: Env, tenant: string, id: string): Promise<{ job: JobDescription; report: ReportManifest | null }> {
  const job = JSON.parse(await describeJobText(env, tenant, id)) as JobDescription
  if (!job.reportLocation) return { job, report: null }
  const manifest = await jobOf(env, id).reportManifest(tenant)
  return { job, report: manifest === null ? null : (JSON.parse(manifest) as ReportManifest) }
}
