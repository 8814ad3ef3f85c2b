import { MAX_CREATE_JOB_XML_BYTES } from '../dialects/oss-job-request.ts'
import { DEFAULT_LIST_MAX_KEYS } from '../dialects/oss-job-query.ts'
import { JOB_STATUSES } from '../jobs/job-status.ts'

/**
 * The OpenAPI paths of the OSS CreateJob dialect (workers/api/routes/oss-dialect.ts). OSS tells its
 * five actions apart by query sub-resource on one path, and OpenAPI keys operations by path and
 * method only, so `/oss/` has one GET (DescribeJob or ListJobs) and one POST (CreateJob,
 * UpdateJobStatus or UpdateJobPriority), each naming every parameter it may take.
 */

const xml = (description: string, example?: string) => ({
  description,
  content: { 'application/xml': { schema: { type: 'string' }, ...(example ? { example } : {}) } },
})
const ossError = (description: string) => xml(`${description}; <Error><Code/><Message/><RequestId/></Error>`)
const query = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema, allowEmptyValue: true })

const jobId = query('batchJobId', 'The job: its OSS id (44 characters, base64 of the UUID\'s hex digits) or its UUID.')
const common = {
  security: [{ apiKey: [] }],
  parameters: [
    { name: 'X-Batchgate-Account', in: 'header', required: false, description: 'The account of a CreateJob; optional when the API key may use exactly one account.', schema: { type: 'string', minLength: 1, maxLength: 128 } },
  ],
}
const errors = {
  401: ossError('InvalidAccessKeyId: missing or unknown API key'),
  403: ossError('AccessDenied: the key may not use this account'),
  404: ossError('NoSuchJob (also another tenant\'s job)'),
  405: ossError('MethodNotAllowed: the sub-resource takes another method'),
}

const createExample =
  '<?xml version="1.0" encoding="UTF-8"?><CreateJobRequest><ConfirmationRequired>false</ConfirmationRequired>' +
  '<Operation><PutObjectTagging><TagSet><Tag><Key>Environment</Key><Value>Production</Value></Tag></TagSet></PutObjectTagging></Operation>' +
  '<Report><Bucket>reports</Bucket><Enabled>true</Enabled><Prefix>batch-reports/</Prefix><ReportScope>AllTasks</ReportScope></Report>' +
  '<ClientRequestToken>unique-token-123</ClientRequestToken>' +
  '<Manifest><Location><Bucket>manifests</Bucket><Object>manifest.csv</Object></Location><Spec><Fields>Bucket,Key</Fields><Format>OSS_BatchOperations_CSV_20250611</Format></Spec></Manifest>' +
  '<Description>tag production objects</Description><Priority>10</Priority></CreateJobRequest>'

const root = {
  get: {
    ...common,
    summary: 'OSS DescribeJob (?batchJob&batchJobId=…) or ListJobs (?batchJob[&batchJobStatuses=…&max-keys=…&continuation-token=…])',
    parameters: [
      ...common.parameters,
      query('batchJob', 'The sub-resource (no value).'),
      jobId,
      query('batchJobStatuses', `ListJobs: comma-separated statuses (${JOB_STATUSES.join(', ')}).`),
      query('max-keys', `ListJobs: page size, default ${DEFAULT_LIST_MAX_KEYS}.`, { type: 'integer', minimum: 1, maximum: 1000 }),
      query('continuation-token', 'ListJobs: the NextToken of the previous page.'),
    ],
    responses: {
      200: xml('DescribeJobResult{Job{…}} or ListJobsResult{Jobs{Job…}, NextToken}'),
      400: ossError('InvalidArgument naming the parameter'),
      ...errors,
    },
  },
  post: {
    ...common,
    summary: 'OSS CreateJob (?batchJob), UpdateJobStatus (?batchJobStatus&…) or UpdateJobPriority (?batchJobPriority&…) over the /v1/jobs jobs',
    description:
      'The same jobs as /v1/jobs: a job made in one is described, listed and controlled in the other. CreateJob reads the ' +
      `CreateJobRequest document (UTF-8, at most ${MAX_CREATE_JOB_XML_BYTES} bytes, no DOCTYPE) into the JSON request and validates it with the same rules. ` +
      'RoleArn is accepted and ignored (batchgate acts with the account\'s credentials); AddObjectTagging is refused (NotImplemented).',
    parameters: [
      ...common.parameters,
      query('batchJob', 'CreateJob (no value).'),
      query('batchJobStatus', 'UpdateJobStatus (no value).'),
      query('batchJobPriority', 'UpdateJobPriority (no value).'),
      jobId,
      query('requestedJobStatus', 'UpdateJobStatus: Ready (confirm) or Cancelled; Paused and Active as in /v1/jobs.', { type: 'string', enum: ['Ready', 'Cancelled', 'Paused', 'Active'] }),
      query('statusUpdateReason', 'UpdateJobStatus: why (at most 256 characters).'),
      query('targetPriority', 'UpdateJobPriority: 0 to 2147483647.', { type: 'integer', minimum: 0, maximum: 2147483647 }),
    ],
    requestBody: { required: false, content: { 'application/xml': { schema: { type: 'string' }, example: createExample } } },
    responses: {
      200: xml('CreateJobResult{JobId}, UpdateJobStatusResult{JobId, Status, StatusUpdateReason} or UpdateJobPriorityResult{JobId, Priority}'),
      400: ossError('MalformedXML, EntityTooLarge, InvalidArgument naming the element path or parameter, or NotImplemented'),
      ...errors,
      409: ossError('IdempotencyConflict (ClientRequestToken reused for another request) or InvalidJobState'),
      413: ossError('EntityTooLarge: body over the gateway limit'),
    },
  },
}

export const ossDialectPaths = { '/oss/': root }
