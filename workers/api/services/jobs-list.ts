import { fromBase64Url, toBase64Url, utf8, utf8Decode } from '../../../shared/crypto/encoding.ts'
import { problems } from '../problem.ts'

type Cursor = { createdAt: number; jobId: string }

const encodeCursor = (c: Cursor) => toBase64Url(utf8(JSON.stringify(c)))
function decodeCursor(raw: string | undefined): Cursor | null {
  if (raw === undefined) return null
  try {
    const c = JSON.parse(utf8Decode(fromBase64Url(raw))) as Cursor
    if (Number.isFinite(c.createdAt) && typeof c.jobId === 'string') return c
  } catch {
    // falls through to the 400 below
  }
  throw problems.validation([{ path: 'query.cursor', message: 'is not a cursor this API gave' }])
}

/** `GET /v1/jobs`: the tenant's index gives the page; each job object gives its live summary. */
export async function listJobs(env: Env, tenant: string, statuses: string[], limit: number, cursor: string | undefined) {
  const page = await env.TENANT_JOBS.getByName(tenant).list(statuses, limit + 1, decodeCursor(cursor))
  const more = page.length > limit
  const entries = page.slice(0, limit)
  const summaries = await Promise.all(entries.map((e) => env.JOBS.getByName(e.jobId).summary(tenant)))
  const last = entries[entries.length - 1]
  return {
    jobs: summaries.filter((s) => s !== null),
    nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, jobId: last.jobId }) : null,
  }
}
