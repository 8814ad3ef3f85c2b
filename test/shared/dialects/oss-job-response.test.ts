import { describe, expect, it } from 'vitest'
import { ossErrorCode, ossErrorMessage, ossErrorXml } from '../../../shared/dialects/oss-errors.ts'
import {
  createJobResultXml,
  describeJobResultXml,
  listJobsResultXml,
  updateJobPriorityResultXml,
  updateJobStatusResultXml,
  type JobDescriptionJson,
} from '../../../shared/dialects/oss-job-response.ts'
import { createXmlParser } from '../../../shared/xml/xml.ts'

const UUID = '34cde64d-7a69-4da1-91ff-ac69939a71ae'
const OSS_ID = 'MzRjZGU2NGQ3YTY5NGRhMTkxZmZhYzY5OTM5YTcxYWU='
const DECL = '<?xml version="1.0" encoding="UTF-8"?>'
const parse = (xml: string) => createXmlParser(['Tag', 'JobFailure']).parse(xml)
const parseList = (xml: string) => createXmlParser(['Job']).parse(xml)

const description: JobDescriptionJson = {
  jobId: UUID,
  status: 'Failed',
  priority: 10,
  confirmationRequired: true,
  description: 'tags <&> "quoted"',
  operation: { op: 'putTagging', tags: { Environment: 'Production', 'a&b': '<x>' } },
  manifest: { location: { bucket: 'manifests', key: 'm.csv', etag: 'abc' }, format: 'OSS_BatchOperations_CSV_20250611', fields: ['Bucket', 'Key'] },
  report: { enabled: true, bucket: 'reports', prefix: 'r/', scope: 'AllTasks' },
  progressSummary: { totalNumberOfTasks: 3, numberOfTasksSucceeded: 1, numberOfTasksFailed: 2, timers: { elapsedTimeInActiveSeconds: 7 } },
  failureReasons: [{ failureCode: 'ManifestEtagMismatch', failureReason: 'etag "x" != "y"' }],
  statusUpdateReason: 'cancelled by ops',
  creationTime: '2024-01-01T00:00:00.500Z',
  terminationDate: '2024-01-01T00:01:00.000Z',
}

describe('OSS batch-job answers', () => {
  it('answers CreateJob, UpdateJobStatus and UpdateJobPriority with the OSS job id', () => {
    expect(createJobResultXml(UUID)).toBe(`${DECL}<CreateJobResult><JobId>${OSS_ID}</JobId></CreateJobResult>`)
    expect(updateJobStatusResultXml({ jobId: UUID, status: 'Cancelling', statusUpdateReason: 'r' })).toBe(
      `${DECL}<UpdateJobStatusResult><JobId>${OSS_ID}</JobId><Status>Cancelling</Status><StatusUpdateReason>r</StatusUpdateReason></UpdateJobStatusResult>`,
    )
    expect(updateJobPriorityResultXml({ jobId: UUID, priority: 5 })).toBe(`${DECL}<UpdateJobPriorityResult><JobId>${OSS_ID}</JobId><Priority>5</Priority></UpdateJobPriorityResult>`)
  })

  it('describes a job in OSS elements, unix-second times, everything escaped', () => {
    const xml = describeJobResultXml(description)
    expect(xml).toContain('<Description>tags &lt;&amp;&gt; &quot;quoted&quot;</Description>')
    expect(parse(xml).DescribeJobResult.Job).toEqual({
      ConfirmationRequired: 'true',
      CreationTime: '1704067200',
      FailureReasons: { JobFailure: [{ FailureCode: 'ManifestEtagMismatch', FailureReason: 'etag "x" != "y"' }] },
      JobId: OSS_ID,
      Operation: { PutObjectTagging: { TagSet: { Tag: [{ Key: 'Environment', Value: 'Production' }, { Key: 'a&b', Value: '<x>' }] } } },
      Report: { Bucket: 'reports', Enabled: 'true', Prefix: 'r/', ReportScope: 'AllTasks' },
      Manifest: { Location: { ETag: 'abc', Bucket: 'manifests', Object: 'm.csv' }, Spec: { Format: 'OSS_BatchOperations_CSV_20250611', Fields: 'Bucket,Key' } },
      Description: 'tags <&> "quoted"',
      Priority: '10',
      StatusUpdateReason: 'cancelled by ops',
      ProgressSummary: { TotalNumberOfTasks: '3', NumberOfTasksSucceeded: '1', NumberOfTasksFailed: '2', Timers: { ElapsedTimeInActiveSeconds: '7' } },
      Status: 'Failed',
      TerminationDate: '1704067260',
    })
  })

  it('shows each operation, a generator, an inline manifest, and leaves out what a job does not have yet', () => {
    const job = (over: Partial<JobDescriptionJson>) =>
      parse(describeJobResultXml({ ...description, statusUpdateReason: null, terminationDate: null, failureReasons: [], ...over })).DescribeJobResult.Job
    expect(job({ operation: { op: 'deleteTagging' } }).Operation).toEqual({ DeleteObjectTagging: '' })
    expect(job({ operation: { op: 'putAcl', acl: 'private' } }).Operation).toEqual({ PutObjectAcl: { ObjectAcl: 'private' } })
    expect(job({ operation: { op: 'restore', days: 3 } }).Operation).toEqual({ RestoreObject: { Days: '3' } })
    expect(job({ operation: { op: 'copy', destination: { bucket: 'b' } } }).Operation).toEqual({ BatchgateOperation: { Op: 'copy', Json: '{"op":"copy","destination":{"bucket":"b"}}' } })
    const { manifest: _m, ...withoutManifest } = description
    const generated = parse(describeJobResultXml({ ...withoutManifest, manifestGenerator: { sourceBucket: 'src', prefix: 'p/' } })).DescribeJobResult.Job
    expect(generated.KeyPrefixManifestGenerator).toEqual({ SourceBucket: 'src', Prefix: 'p/' })
    expect(generated.Manifest).toBeUndefined()
    const inline = job({ manifest: { format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key', 'VersionId'], inline: { bytes: 10 } } })
    expect(inline.Manifest).toEqual({ Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: 'Bucket,Key,VersionId' } })
    expect(inline).not.toHaveProperty('TerminationDate')
    expect(inline).not.toHaveProperty('StatusUpdateReason')
    expect(inline.FailureReasons).toBe('')
  })

  it('lists jobs with OSS operation names and a NextToken only when there is a next page', () => {
    const summary = { jobId: UUID, status: 'Active', priority: 1, operation: 'putTagging', creationTime: '2024-01-01T00:00:00.000Z', terminationDate: null, progressSummary: description.progressSummary }
    const page = parseList(listJobsResultXml([summary, { ...summary, operation: 'delete', description: 'd' }], 'next-1')).ListJobsResult
    expect(page.NextToken).toBe('next-1')
    expect(page.Jobs.Job.map((j: Record<string, unknown>) => [j.JobId, j.Operation, j.CreationTime])).toEqual([
      [OSS_ID, 'PutObjectTagging', '1704067200'],
      [OSS_ID, 'delete', '1704067200'],
    ])
    expect(listJobsResultXml([], null)).toBe(`${DECL}<ListJobsResult><Jobs></Jobs></ListJobsResult>`)
  })

  it('renders errors as OSS <Error> documents with codes from one table', () => {
    expect(ossErrorXml({ code: 'InvalidArgument', message: 'a <b>', requestId: 'r-1' })).toBe(
      `${DECL}<Error><Code>InvalidArgument</Code><Message>a &lt;b&gt;</Message><RequestId>r-1</RequestId></Error>`,
    )
    expect(['ValidationFailed', 'Unauthorized', 'AccountForbidden', 'NotFound', 'PayloadTooLarge', 'NotSupported', 'InvalidJobState', 'InternalError', 'MalformedXML'].map(ossErrorCode)).toEqual([
      'InvalidArgument', 'InvalidAccessKeyId', 'AccessDenied', 'NoSuchJob', 'EntityTooLarge', 'NotImplemented', 'InvalidJobState', 'InternalError', 'MalformedXML',
    ])
    expect(ossErrorMessage('The request is invalid', '2 field(s)', [{ path: 'Report/Bucket', message: 'required' }, { path: 'Priority', message: 'must be an integer' }])).toBe(
      'Report/Bucket: required; Priority: must be an integer',
    )
    expect(ossErrorMessage('The job cannot make that transition', 'the job is Suspended', undefined)).toBe('The job cannot make that transition: the job is Suspended')
  })
})
