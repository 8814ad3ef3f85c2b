/**
 * The soak's count check: the job's counts, its report read back through the API (every shard's
 * MD5, every manifest key exactly once, each row's status) and the emulator's leftovers, which
 * must be exactly the keys of the failed rows (but see "failed rows' keys still there").
 */
import { createHash } from 'node:crypto'
import type { MixProvider } from '../../test/api/jobs-faults-mix.ts'
import { parseReportCsv } from '../../test/api/report-csv.ts'
import { indexOf } from './fixture.ts'

export interface Check {
  name: string
  ok: boolean
  detail: string
}

interface Api {
  api(method: string, path: string): Promise<{ status: number; json: unknown; text: string }>
}

export interface CountResult {
  checks: Check[]
  rows: number
  failedRows: Array<{ key: string; errorCode: string; message: string }>
  shards: number
}

export async function countCheck(o: {
  gateway: Api
  jobId: string
  provider: MixProvider
  keys: number
  bucket: string
  job: { status: string; progressSummary: { totalNumberOfTasks: number; numberOfTasksSucceeded: number; numberOfTasksFailed: number } }
  remaining: string[]
  /** Calls whose deletes may have run though their answer was lost (drops with apply, timeouts). */
  lostAnswers: number
}): Promise<CountResult> {
  const checks: Check[] = []
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail })
  const { totalNumberOfTasks: total, numberOfTasksSucceeded: ok, numberOfTasksFailed: failed } = o.job.progressSummary
  const n = (x: number) => x.toLocaleString('en-US')
  check('job Complete', o.job.status === 'Complete', o.job.status)
  check('total = succeeded + failed = keys', total === ok + failed && total === o.keys, `${n(total)} = ${n(ok)} + ${n(failed)} (keys ${n(o.keys)})`)

  const manifest = await o.gateway.api('GET', `/v1/jobs/${o.jobId}/report`)
  const results = manifest.status === 200 ? ((manifest.json as { results?: Array<{ taskExecutionStatus: string; md5Checksum: string }> }).results ?? []) : []
  check('report written', manifest.status === 200 && results.length > 0, `GET /report ${manifest.status}, ${results.length} shards`)
  const seen = new Uint8Array(o.keys)
  let rows = 0
  let twice = 0
  let strangers = 0
  let badShards = 0
  let wrongStatus = 0
  const statusCount = { succeeded: 0, failed: 0 }
  const failedRows: CountResult['failedRows'] = []
  for (let s = 0; s < results.length; s++) {
    const entry = results[s]!
    const shard = await o.gateway.api('GET', `/v1/jobs/${o.jobId}/report/${s}`)
    if (shard.status !== 200 || createHash('md5').update(shard.text).digest('hex') !== entry.md5Checksum) badShards++
    for (const f of parseReportCsv(shard.text)) {
      rows++
      const key = decodeURIComponent(f[1] ?? '')
      const i = f[0] === o.bucket ? indexOf(o.provider, key) : -1
      if (i < 0 || i >= o.keys) strangers++
      else if (seen[i]! > 0) twice++
      else seen[i] = 1
      const status = f[3]
      if (status !== entry.taskExecutionStatus || (status !== 'succeeded' && status !== 'failed')) wrongStatus++
      else statusCount[status]++
      if (status === 'failed') failedRows.push({ key, errorCode: f[4] ?? '', message: f[6] ?? '' })
    }
  }
  const missing = seen.reduce((m, x) => m + (x === 0 ? 1 : 0), 0)
  check('report shards intact', badShards === 0, `${results.length} shards, ${badShards} with a wrong MD5 or answer`)
  check('report rows = keys, each key once', rows === o.keys && twice === 0 && missing === 0 && strangers === 0, `${n(rows)} rows: ${n(missing)} keys missing, ${n(twice)} twice, ${n(strangers)} not in the manifest`)
  check('report statuses = counts', wrongStatus === 0 && statusCount.succeeded === ok && statusCount.failed === failed, `${n(statusCount.succeeded)} succeeded, ${n(statusCount.failed)} failed rows; ${wrongStatus} in the wrong shard`)

  const failedKeys = new Set(failedRows.map((r) => r.key))
  const left = new Set(o.remaining)
  const leftNotFailed = o.remaining.filter((k) => !failedKeys.has(k)).length
  const failedGone = [...failedKeys].filter((k) => !left.has(k)).length
  check("emulator's remaining keys are failed rows", leftNotFailed === 0, `${n(left.size)} keys left, ${leftNotFailed} of them reported succeeded`)
  // A failed row's key may be gone when a call deleted it but its answer was lost (a dropped
  // connection after the deletes, a timeout) and every later try met a fault: the gateway reports
  // what it could confirm, and a delete is safe to run again. Without such faults it is an error.
  check(
    "failed rows' keys still there (or deleted by a call whose answer was lost)",
    failedGone === 0 || o.lostAnswers > 0,
    failedGone === 0
      ? `${n(failed)} failed rows, all still there`
      : `${n(failedGone)} of ${n(failed)} failed rows' keys are gone` +
          (o.lostAnswers > 0 ? ` — deleted by one of the ${n(o.lostAnswers)} calls whose answer was lost, then refused on every later try` : ' though no call lost its answer'),
  )
  return { checks, rows, failedRows, shards: results.length }
}
