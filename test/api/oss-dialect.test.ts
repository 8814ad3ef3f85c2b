import { exports } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { fromOssJobId, toOssJobId } from '../../shared/dialects/oss-job-id.ts'
import { createXmlParser } from '../../shared/xml/xml.ts'
import { listObjectStoreObjects, seedObjectStoreBucket } from '../emulators/control.ts'
import { OSS_EMULATOR_URL as OSS } from '../fixtures/emulator-ports.ts'
import { KEYS } from '../fixtures/keys.ts'
import { call, unique } from '../helpers.ts'

// The OSS CreateJob dialect (§6 "Dialects of the seeds") over the same jobs as /v1/jobs, through
// the Worker's real fetch handler, jobs driven by their real alarms and queue against the OSS emulator.

const xmlParser = createXmlParser(['Job', 'Tag', 'JobFailure'])
const XML_HEADERS = { 'Content-Type': 'application/xml', 'X-Batchgate-Account': 'oss' }

async function oss(query: string, { method, xml, key, headers }: { method?: string; xml?: string; key?: string | null; headers?: Record<string, string> } = {}) {
  const r = await call(`/oss/?${query}`, { method: method ?? (xml !== undefined ? 'POST' : 'GET'), ...(xml !== undefined ? { raw: xml } : {}), key: key === undefined ? KEYS.all : key, headers: { ...XML_HEADERS, ...headers } })
  return { ...r, doc: r.text.startsWith('<?xml') ? xmlParser.parse(r.text) : undefined }
}

/** An OSS error answer: status, `application/xml`, and `<Error>` with the code. */
function expectOssError(r: Awaited<ReturnType<typeof oss>>, status: number, code: string) {
  expect(r.status, r.text).toBe(status)
  expect(r.headers.get('Content-Type')).toBe('application/xml')
  expect(r.doc.Error).toMatchObject({ Code: code, Message: expect.any(String), RequestId: r.headers.get('x-oss-request-id') })
  return r.doc.Error.Message as string
}

/** An OSS emulator bucket with `keys`, a manifest object listing them and an empty report bucket. */
async function fixture(keys: string[], tags: Record<string, string> = {}) {
  const bucket = unique('ossd')
  const reports = unique('ossd-r')
  const manifest = keys.map((k) => `${bucket},${encodeURIComponent(k)}\n`).join('')
  await seedObjectStoreBucket(OSS, bucket, [...keys.map((key) => ({ key, body: 'x', tags })), { key: 'manifests/m.csv', body: manifest, contentType: 'text/csv' }])
  await seedObjectStoreBucket(OSS, reports, [])
  // As OSS shows it: upper-case hex.
  const etag = (await listObjectStoreObjects(OSS, bucket)).find((o) => o.key === 'manifests/m.csv')!.etag.toUpperCase()
  return { bucket, reports, etag }
}

function createJobXml(fx: { bucket: string; reports: string; etag: string }, { token = unique('tok'), operation = '<DeleteObjectTagging/>', confirm = false, description = 'oss dialect' } = {}) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<CreateJobRequest>
  <ConfirmationRequired>${confirm}</ConfirmationRequired>
  <Operation>${operation}</Operation>
  <Report><Bucket>${fx.reports}</Bucket><Enabled>true</Enabled><Prefix>r/</Prefix><ReportScope>AllTasks</ReportScope></Report>
  <ClientRequestToken>${token}</ClientRequestToken>
  <Manifest>
    <Location><ETag>${fx.etag}</ETag><Bucket>${fx.bucket}</Bucket><Object>manifests/m.csv</Object></Location>
    <Spec><Fields>Bucket,Key</Fields><Format>OSS_BatchOperations_CSV_20250611</Format></Spec>
  </Manifest>
  <Description>${description}</Description>
  <Priority>10</Priority>
  <RoleArn>acs:ram::1234:role/BatchOperationRole</RoleArn>
</CreateJobRequest>`
}

async function createOssJob(xml: string) {
  const r = await oss('batchJob', { xml })
  expect(r.status, r.text).toBe(200)
  expect(r.headers.get('Content-Type')).toBe('application/xml')
  const ossId = r.doc.CreateJobResult.JobId as string
  expect(ossId).toMatch(/^[A-Za-z0-9]{43}=$/)
  return { ossId, jobId: fromOssJobId(ossId) as string }
}

/** Polls the JSON description until the job reaches one of `statuses`. */
const until = (jobId: string, statuses: string[], timeout = 30_000) =>
  vi.waitFor(
    async () => {
      const r = await call(`/v1/jobs/${jobId}`)
      if (!statuses.includes(r.json.status)) throw new Error(`still ${r.json.status}`)
      return r.json
    },
    { timeout, interval: 50 },
  )

const jobCount = async () => (await call('/v1/jobs?limit=1000')).json.jobs.length as number

describe('OSS CreateJob dialect', () => {
  it('creates a PutObjectTagging job in XML that runs to Complete, described alike in XML and JSON', async () => {
    const keys = ['a.txt', 'dir/b c.txt', 'ünï.txt']
    const fx = await fixture(keys, { old: '1' })
    const token = unique('tok')
    const xml = createJobXml(fx, { token, operation: '<PutObjectTagging><TagSet><Tag><Key>Environment</Key><Value>Production</Value></Tag><Tag><Key>team</Key><Value>data ops</Value></Tag></TagSet></PutObjectTagging>' })
    const { ossId, jobId } = await createOssJob(xml)

    const json = await until(jobId, ['Complete', 'Failed'])
    expect(json.status).toBe('Complete')
    expect(json.progressSummary).toMatchObject({ totalNumberOfTasks: 3, numberOfTasksSucceeded: 3, numberOfTasksFailed: 0 })
    expect(json).toMatchObject({ account: 'oss', priority: 10, description: 'oss dialect', operation: { op: 'putTagging', tags: { Environment: 'Production', team: 'data ops' } } })
    for (const o of (await listObjectStoreObjects(OSS, fx.bucket)).filter((o) => keys.includes(o.key))) expect(o.tags).toEqual({ Environment: 'Production', team: 'data ops' })

    const described = await oss(`batchJob&batchJobId=${encodeURIComponent(ossId)}`)
    expect(described.status).toBe(200)
    expect(described.headers.get('Content-Type')).toBe('application/xml')
    expect(described.doc.DescribeJobResult.Job[0]).toEqual({
      ConfirmationRequired: 'false',
      CreationTime: String(Math.floor(Date.parse(json.creationTime) / 1000)),
      FailureReasons: '',
      JobId: ossId,
      Operation: { PutObjectTagging: { TagSet: { Tag: [{ Key: 'Environment', Value: 'Production' }, { Key: 'team', Value: 'data ops' }] } } },
      Report: { Bucket: fx.reports, Enabled: 'true', Prefix: 'r/', ReportScope: 'AllTasks' },
      Manifest: { Location: { ETag: fx.etag, Bucket: fx.bucket, Object: 'manifests/m.csv' }, Spec: { Format: 'OSS_BatchOperations_CSV_20250611', Fields: 'Bucket,Key' } },
      Description: 'oss dialect',
      Priority: '10',
      ProgressSummary: {
        TotalNumberOfTasks: '3', NumberOfTasksSucceeded: '3', NumberOfTasksFailed: '0',
        Timers: { ElapsedTimeInActiveSeconds: String(json.progressSummary.timers.elapsedTimeInActiveSeconds) },
      },
      Status: 'Complete',
      StatusUpdateReason: json.statusUpdateReason,
      TerminationDate: String(Math.floor(Date.parse(json.terminationDate) / 1000)),
    })
    // The plain UUID names the same job.
    expect((await oss(`batchJob&batchJobId=${jobId}`)).doc.DescribeJobResult.Job[0].JobId).toBe(ossId)

    // The token: the same document (however indented) and the same request in JSON find the job;
    // another request under it is a conflict, in OSS's shape.
    expect((await createOssJob(xml.replace(/\n\s*/g, ''))).ossId).toBe(ossId)
    const asJson = await call('/v1/jobs', {
      body: {
        clientRequestToken: token, account: 'oss', priority: 10, description: 'oss dialect',
        operation: { op: 'putTagging', tags: { Environment: 'Production', team: 'data ops' } },
        manifest: { location: { bucket: fx.bucket, key: 'manifests/m.csv', etag: fx.etag }, format: 'OSS_BatchOperations_CSV_20250611', fields: ['Bucket', 'Key'] },
        report: { enabled: true, bucket: fx.reports, prefix: 'r/', scope: 'AllTasks' },
      },
    })
    expect([asJson.status, asJson.json.jobId]).toEqual([200, jobId])
    const before = await jobCount()
    expectOssError(await oss('batchJob', { xml: xml.replace('oss dialect', 'another') }), 409, 'IdempotencyConflict')
    expect(await jobCount()).toBe(before)
  })

  it('lists a KeyPrefixManifestGenerator job\'s objects and shows the generator in DescribeJob', async () => {
    const bucket = unique('ossd-gen')
    await seedObjectStoreBucket(OSS, bucket, ['p/1', 'p/2', 'q/3'].map((key) => ({ key, body: 'x', tags: { t: '1' } })))
    const xml = `<CreateJobRequest><ClientRequestToken>${unique('tok')}</ClientRequestToken><Operation><DeleteObjectTagging/></Operation>` +
      `<Report><Enabled>false</Enabled></Report><KeyPrefixManifestGenerator><SourceBucket>${bucket}</SourceBucket><Prefix>p/</Prefix></KeyPrefixManifestGenerator></CreateJobRequest>`
    const { ossId, jobId } = await createOssJob(xml)
    expect(await until(jobId, ['Complete', 'Failed'])).toMatchObject({ status: 'Complete', progressSummary: { totalNumberOfTasks: 2, numberOfTasksSucceeded: 2 } })
    expect((await listObjectStoreObjects(OSS, bucket)).map((o) => [o.key, o.tags])).toEqual([['p/1', {}], ['p/2', {}], ['q/3', { t: '1' }]])
    const job = (await oss(`batchJob&batchJobId=${ossId}`)).doc.DescribeJobResult.Job[0]
    expect(job.KeyPrefixManifestGenerator).toEqual({ SourceBucket: bucket, Prefix: 'p/' })
    expect(job).not.toHaveProperty('Manifest')
    expect(job.Operation).toEqual({ DeleteObjectTagging: '' })
  })

  it('lists jobs made through /v1/jobs, filtered by status and paged by continuation-token', async () => {
    const made = await call('/v1/jobs', { body: { clientRequestToken: unique('tok'), account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false } } })
    expect(made.status).toBe(201)
    await until(made.json.jobId, ['Complete'])
    const all = await oss('batchJob&max-keys=1000')
    expect(all.status, all.text).toBe(200)
    const listed = all.doc.ListJobsResult.Jobs.Job.find((j: { JobId: string }) => j.JobId === toOssJobId(made.json.jobId))
    expect(listed).toMatchObject({ Operation: 'stat', Status: 'Complete', Priority: '0', ProgressSummary: { TotalNumberOfTasks: '1' } })
    expect(all.doc.ListJobsResult.NextToken).toBeUndefined()

    const first = await oss('batchJob&batchJobStatuses=Complete&max-keys=1')
    expect(first.doc.ListJobsResult.Jobs.Job).toHaveLength(1)
    const token = first.doc.ListJobsResult.NextToken as string
    const second = await oss(`batchJob&batchJobStatuses=Complete&max-keys=1&continuation-token=${encodeURIComponent(token)}`)
    expect(second.doc.ListJobsResult.Jobs.Job[0].JobId).not.toBe(first.doc.ListJobsResult.Jobs.Job[0].JobId)
    expect(expectOssError(await oss('batchJob&continuation-token=bogus'), 400, 'InvalidArgument')).toMatch(/^continuation-token: /)
    expect(expectOssError(await oss('batchJob&batchJobStatuses=Done'), 400, 'InvalidArgument')).toMatch(/^batchJobStatuses: unknown status Done/)
  })

  it('confirms, reprioritises and cancels through XML, seen in JSON, and the other way round', async () => {
    const fx = await fixture(['c1', 'c2'])
    const confirmed = await createOssJob(createJobXml(fx, { confirm: true }))
    await until(confirmed.jobId, ['Suspended'])
    const priority = await oss(`batchJobPriority&batchJobId=${confirmed.ossId}&targetPriority=77`, { method: 'POST' })
    expect(priority.doc).toEqual({ UpdateJobPriorityResult: { JobId: confirmed.ossId, Priority: '77' } })
    expect((await call(`/v1/jobs/${confirmed.jobId}`)).json.priority).toBe(77)
    const ready = await oss(`batchJobStatus&batchJobId=${confirmed.ossId}&requestedJobStatus=Ready&statusUpdateReason=${encodeURIComponent('checked <ok>')}`, { method: 'POST' })
    expect(ready.status, ready.text).toBe(200)
    expect(ready.doc.UpdateJobStatusResult).toMatchObject({ JobId: confirmed.ossId, StatusUpdateReason: 'checked <ok>' })
    // (The job's own reason replaces the caller's once it completes.)
    expect(await until(confirmed.jobId, ['Complete'])).toMatchObject({ priority: 77, progressSummary: { numberOfTasksSucceeded: 2 } })

    const cancelled = await createOssJob(createJobXml(fx, { confirm: true }))
    await until(cancelled.jobId, ['Suspended'])
    expect((await call(`/v1/jobs/${cancelled.jobId}/priority`, { body: { priority: 3 } })).status).toBe(200)
    expect((await oss(`batchJob&batchJobId=${cancelled.ossId}`)).doc.DescribeJobResult.Job[0].Priority).toBe('3')
    const cancel = await oss(`batchJobStatus&batchJobId=${cancelled.ossId}&requestedJobStatus=Cancelled`, { method: 'POST' })
    expect(cancel.doc.UpdateJobStatusResult).toMatchObject({ JobId: cancelled.ossId, Status: expect.stringMatching(/^Cancel/) })
    await until(cancelled.jobId, ['Cancelled'])
    const again = await oss(`batchJobStatus&batchJobId=${cancelled.ossId}&requestedJobStatus=Cancelled`, { method: 'POST' })
    expect(expectOssError(again, 409, 'InvalidJobState')).toBe('The job cannot make that transition: the job is Cancelled')
  })

  it('refuses bad documents with 400 in OSS XML and creates nothing', async () => {
    const fx = await fixture(['x'])
    const before = await jobCount()
    const lol = '<!DOCTYPE CreateJobRequest [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]>'
    const cases: [string, string, RegExp][] = [
      [createJobXml(fx).replace('</Operation>', ''), 'MalformedXML', /Expected closing tag/],
      [createJobXml(fx, { description: '&g;' }).replace('?>', `?>${lol}`), 'MalformedXML', /DOCTYPE and entity declarations are not accepted/],
      [createJobXml(fx, { description: 'x'.repeat(70_000) }), 'EntityTooLarge', /at most 65536 bytes/],
      [createJobXml(fx).replace(/<ClientRequestToken>.*<\/ClientRequestToken>/, '').replace(/<Report>.*<\/Report>/, ''), 'InvalidArgument', /^ClientRequestToken: required; Report: required$/],
      [createJobXml(fx, { operation: '<PutObjectAcl><ObjectAcl>everyone</ObjectAcl></PutObjectAcl>' }).replace('AllTasks', 'SomeTasks'), 'InvalidArgument', /Operation\/PutObjectAcl\/ObjectAcl: must be one of .*Report\/ReportScope: /],
      [createJobXml(fx, { operation: '<PutObjectTagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key></Key><Value>2</Value></Tag></TagSet></PutObjectTagging>' }), 'InvalidArgument', /^Operation\/PutObjectTagging\/TagSet\/Tag\[2\]\/Key: tag keys must not be empty$/],
      [createJobXml(fx, { operation: '<AddObjectTagging><TagSet/></AddObjectTagging>' }), 'NotImplemented', /AddObjectTagging is not supported/],
    ]
    for (const [xml, code, message] of cases) expect(expectOssError(await oss('batchJob', { xml }), 400, code)).toMatch(message)
    expect(await jobCount()).toBe(before)
  })

  it('resolves the account from the header or the key, answering auth and account errors in OSS XML', async () => {
    const fx = await fixture(['y'])
    const before = await jobCount()
    const xml = createJobXml(fx)
    expectOssError(await oss('batchJob', { xml, key: null }), 401, 'InvalidAccessKeyId')
    expectOssError(await oss('batchJob', { xml, key: 'bg_not_a_key' }), 401, 'InvalidAccessKeyId')
    expectOssError(await oss('batchJob', { xml, key: KEYS.localOnly }), 403, 'AccessDenied')
    expect(expectOssError(await oss('batchJob', { xml, headers: { 'X-Batchgate-Account': 'nope' } }), 400, 'InvalidArgument')).toBe('X-Batchgate-Account (header): unknown account "nope"')
    // A key with every account must name one; a key with only `local` (R2) gets it, which cannot tag.
    const anyAccount = await call('/oss/?batchJob', { raw: xml, headers: { 'Content-Type': 'application/xml' } })
    expect(anyAccount.text).toContain('<Message>X-Batchgate-Account (header): required: this API key may use more than one account</Message>')
    const localOnly = await call('/oss/?batchJob', { raw: xml, key: KEYS.localOnly, headers: { 'Content-Type': 'application/xml' } })
    expect([localOnly.status, localOnly.text]).toEqual([400, expect.stringContaining('<Code>NotImplemented</Code><Message>Operation: r2 cannot deleteTagging</Message>')])
    expect(await jobCount()).toBe(before)
  })

  it('answers unknown jobs, sub-resources, methods and paths in OSS XML', async () => {
    expectOssError(await oss(`batchJob&batchJobId=${toOssJobId(crypto.randomUUID())}`), 404, 'NoSuchJob')
    expectOssError(await oss('batchJob&batchJobId=not-an-id'), 404, 'NoSuchJob')
    expectOssError(await oss(`batchJobPriority&batchJobId=${crypto.randomUUID()}&targetPriority=1`, { method: 'POST' }), 404, 'NoSuchJob')
    const theirs = await call('/v1/jobs', { key: KEYS.otherTenant, body: { clientRequestToken: unique('tok'), account: 'local', operation: { op: 'stat' }, manifest: { inline: 'demo,a\n' }, report: { enabled: false } } })
    expectOssError(await oss(`batchJob&batchJobId=${toOssJobId(theirs.json.jobId)}`), 404, 'NoSuchJob')
    expectOssError(await oss(`batchJobStatus&batchJobId=${toOssJobId(theirs.json.jobId)}&requestedJobStatus=Cancelled`, { method: 'POST' }), 404, 'NoSuchJob')

    expect(expectOssError(await oss('acl'), 400, 'InvalidArgument')).toMatch(/^query: name one sub-resource/)
    expect(expectOssError(await oss('batchJob&prefix=a'), 400, 'InvalidArgument')).toBe('prefix: unknown parameter for ListJobs')
    const wrongMethod = await oss('batchJobStatus', { method: 'GET' })
    expectOssError(wrongMethod, 405, 'MethodNotAllowed')
    expect(wrongMethod.headers.get('Allow')).toBe('POST')
    expect((await oss('batchJob', { method: 'PUT' })).headers.get('Allow')).toBe('GET, POST')
    const path = await call('/oss/some-bucket?batchJob')
    expect([path.status, path.headers.get('Content-Type')]).toEqual([400, 'application/xml'])
    const noSlash = await call('/oss?batchJob&max-keys=1')
    expect([noSlash.status, noSlash.headers.get('Content-Type')]).toEqual([200, 'application/xml'])
  })

  it('refuses an oversized document sent without Content-Length while streaming it', async () => {
    const before = await jobCount()
    const chunk = new TextEncoder().encode(`<CreateJobRequest><Description>${'x'.repeat(16_000)}`)
    const body = new ReadableStream({
      pull(controller) {
        controller.enqueue(chunk)
      },
    })
    const r = await exports.default.fetch('https://batchgate.test/oss/?batchJob', {
      method: 'POST', body, headers: { Authorization: `Bearer ${KEYS.all}`, 'X-Batchgate-Account': 'oss' },
    })
    expect([r.status, r.headers.get('Content-Type')]).toEqual([400, 'application/xml'])
    expect(await r.text()).toContain('<Code>EntityTooLarge</Code>')
    expect(await jobCount()).toBe(before)
  })

  it('is in the OpenAPI document', async () => {
    const doc = (await call('/openapi.json', { key: null })).json
    expect(Object.keys(doc.paths['/oss/'])).toEqual(['get', 'post'])
    expect(doc.paths['/oss/'].post.requestBody.content['application/xml'].example).toMatch(/^<\?xml/)
  })
})
