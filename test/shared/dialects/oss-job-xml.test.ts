import { describe, expect, it } from 'vitest'
import { fromOssJobId, toOssJobId } from '../../../shared/dialects/oss-job-id.ts'
import { MAX_CREATE_JOB_XML_BYTES, parseCreateJobXml } from '../../../shared/dialects/oss-job-request.ts'
import { utf8 } from '../../../shared/crypto/encoding.ts'

/** The request example of the OSS CreateJob page (seed 004), byte for byte. */
const SEED_EXAMPLE =
  '<?xml version="1.0" encoding="UTF-8"?> <CreateJobRequest> <ConfirmationRequired>false</ConfirmationRequired> <Operation> <PutObjectTagging> <TagSet> <Tag> <Key>Environment</Key> <Value>Production</Value> </Tag> </TagSet> </PutObjectTagging> </Operation> <Report> <Bucket>report-bucket</Bucket> <Enabled>true</Enabled> <Prefix>batch-reports/</Prefix> <ReportScope>AllTasks</ReportScope> </Report> <ClientRequestToken>unique-token-123</ClientRequestToken> <Manifest> <Location> <ETag>d41d8cd98f00b204e9800998ecf8427e</ETag> <Bucket>manifest-bucket</Bucket> <Object>manifest.csv</Object> </Location> <Spec> <Fields>Bucket,Key</Fields> <Format>OSS_BatchOperations_CSV_20250611</Format> </Spec> </Manifest> <Description>批量设置对象标签任务</Description> <Priority>10</Priority> <RoleArn>arn:acs:ram::uid:role/BatchOperationRole</RoleArn> </CreateJobRequest>'

const MANIFEST = '<Manifest><Location><Bucket>m</Bucket><Object>m.csv</Object></Location></Manifest>'
const REPORT = '<Report><Enabled>false</Enabled></Report>'

/** A CreateJobRequest with the given operation and overrides of the other top-level parts. */
function doc(operation: string, { token = '<ClientRequestToken>t-1</ClientRequestToken>', manifest = MANIFEST, report = REPORT, extra = '' } = {}) {
  return `<?xml version="1.0" encoding="UTF-8"?><CreateJobRequest>${token}<Operation>${operation}</Operation>${report}${manifest}${extra}</CreateJobRequest>`
}
const TAG = (k: string, v: string) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`
/** `account` null: no X-Batchgate-Account header and a key with several accounts. */
const parse = (xml: string, account: string | null = 'oss') => parseCreateJobXml(utf8(xml), account ?? undefined)

function expectError(xml: string, code: string, account: string | null = 'oss') {
  const r = parse(xml, account)
  if (r.ok) throw new Error('expected an error')
  expect(r.error.code).toBe(code)
  return r.error
}

describe('OSS CreateJobRequest documents', () => {
  it('reads the seed example into the JSON CreateJobRequest, RoleArn ignored', () => {
    const r = parse(SEED_EXAMPLE)
    if (!r.ok) throw new Error(r.error.message)
    expect(r.request).toEqual({
      account: 'oss',
      clientRequestToken: 'unique-token-123',
      confirmationRequired: false,
      operation: { op: 'putTagging', tags: { Environment: 'Production' } },
      report: { enabled: true, bucket: 'report-bucket', prefix: 'batch-reports/', scope: 'AllTasks' },
      manifest: {
        location: { bucket: 'manifest-bucket', key: 'manifest.csv', etag: 'd41d8cd98f00b204e9800998ecf8427e' },
        format: 'OSS_BatchOperations_CSV_20250611',
        fields: ['Bucket', 'Key'],
      },
      description: '批量设置对象标签任务',
      priority: 10,
    })
  })

  it('maps every OSS operation to its unified operation', () => {
    const op = (xml: string) => {
      const r = parse(doc(xml))
      if (!r.ok) throw new Error(r.error.message)
      return r.request.operation
    }
    expect(op(`<PutObjectTagging><TagSet>${TAG('a', '1')}${TAG('b', '')}</TagSet></PutObjectTagging>`)).toEqual({ op: 'putTagging', tags: { a: '1', b: '' } })
    expect(op('<PutObjectTagging><TagSet/></PutObjectTagging>')).toEqual({ op: 'putTagging', tags: {} })
    expect(op('<DeleteObjectTagging>\n</DeleteObjectTagging>')).toEqual({ op: 'deleteTagging' })
    expect(op('<DeleteObjectTagging/>')).toEqual({ op: 'deleteTagging' })
    expect(op('<PutObjectAcl><ObjectAcl>public-read</ObjectAcl></PutObjectAcl>')).toEqual({ op: 'putAcl', acl: 'public-read' })
    expect(op('<RestoreObject><Days>7</Days><Tier>Bulk</Tier></RestoreObject>')).toEqual({ op: 'restore', days: 7, tier: 'Bulk' })
    expect(op('<RestoreObject></RestoreObject>')).toEqual({ op: 'restore', days: 1 })
  })

  it('refuses AddObjectTagging as not implemented: merging tags is not a unified operation', () => {
    const e = expectError(doc(`<AddObjectTagging><TagSet>${TAG('a', '1')}</TagSet></AddObjectTagging>`), 'NotImplemented')
    expect(e.message).toMatch(/^Operation\/AddObjectTagging is not supported.*PutObjectTagging/)
  })

  it('reads a KeyPrefixManifestGenerator, defaults and XML Schema booleans and integers', () => {
    const r = parse(doc('<DeleteObjectTagging/>', {
      manifest: '<KeyPrefixManifestGenerator><SourceBucket>src</SourceBucket><Prefix>logs/</Prefix></KeyPrefixManifestGenerator>',
      extra: '<ConfirmationRequired> 1 </ConfirmationRequired><Priority>+42</Priority>',
    }))
    if (!r.ok) throw new Error(r.error.message)
    expect(r.request).toMatchObject({ manifestGenerator: { sourceBucket: 'src', prefix: 'logs/' }, confirmationRequired: true, priority: 42 })
    expect(r.request.manifest).toBeUndefined()
    const defaults = parse(doc('<DeleteObjectTagging/>'))
    if (!defaults.ok) throw new Error(defaults.error.message)
    expect(defaults.request).toMatchObject({ priority: 0, confirmationRequired: false, manifest: { format: 'OSS_BatchOperations_CSV_20250611', fields: ['Bucket', 'Key'] } })
  })

  it('decodes entities and character references in values and keeps CDATA literal', () => {
    const r = parse(doc(`<PutObjectTagging><TagSet>${TAG('a&amp;b', '&lt;x&gt; &#x41;&#66;')}<Tag><Key><![CDATA[c&amp;<d>]]></Key><Value>v</Value></Tag></TagSet></PutObjectTagging>`))
    if (!r.ok) throw new Error(r.error.message)
    expect(r.request.operation).toEqual({ op: 'putTagging', tags: { 'a&b': '<x> AB', 'c&amp;<d>': 'v' } })
  })

  it('answers MalformedXML for documents that are not well-formed XML', () => {
    for (const bad of [
      '<CreateJobRequest><Operation></CreateJobRequest>',
      'not xml at all',
      '',
      '<CreateJobRequest/><CreateJobRequest/>',
      '<CreateJobRequest>a & b</CreateJobRequest>',
      '<CreateJobRequest></CreateJobRequest>trailing',
    ])
      expectError(bad, 'MalformedXML')
    expect(expectError('<Other/>', 'MalformedXML').message).toBe('the root element must be CreateJobRequest, not Other')
    expect(expectError(doc('<PutObjectAcl><ObjectAcl>&nbsp;</ObjectAcl></PutObjectAcl>'), 'MalformedXML').message).toMatch(/undefined entity &nbsp;/)
    expect(expectError('<?xml version="1.0" encoding="GBK"?><CreateJobRequest/>', 'MalformedXML').message).toMatch(/only UTF-8/)
    const latin1 = new Uint8Array([...utf8('<CreateJobRequest><Description>'), 0xe9, ...utf8('</Description></CreateJobRequest>')])
    const r = parseCreateJobXml(latin1, 'oss')
    expect(r.ok ? null : r.error).toEqual({ code: 'MalformedXML', message: 'the document is not valid UTF-8' })
    expect(expectError(`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`, 'MalformedXML').message).toMatch(/cannot be read/)
  })

  it('refuses a DOCTYPE without expanding a single entity (billion laughs)', () => {
    const lol = '<!DOCTYPE CreateJobRequest [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
    const e = expectError(`<?xml version="1.0"?>${lol}${doc('<DeleteObjectTagging/>', { extra: '<Description>&h;</Description>' }).replace(/^<\?xml[^>]*>/, '')}`, 'MalformedXML')
    expect(e.message).toBe('DOCTYPE and entity declarations are not accepted; nothing was expanded')
    // A declaration further in is refused too; one inside CDATA or a comment is only text.
    expectError(doc('<DeleteObjectTagging/>', { extra: '<Description><!DOCTYPE x></Description>' }), 'MalformedXML')
    const quoted = parse(doc('<DeleteObjectTagging/>', { extra: '<!-- <!DOCTYPE x> --><Description><![CDATA[<!DOCTYPE x>]]></Description>' }))
    expect(quoted.ok && quoted.request.description).toBe('<!DOCTYPE x>')
  })

  it(`answers EntityTooLarge for a document over ${MAX_CREATE_JOB_XML_BYTES} bytes`, () => {
    const big = doc('<DeleteObjectTagging/>', { extra: `<Description>${'x'.repeat(MAX_CREATE_JOB_XML_BYTES)}</Description>` })
    expect(expectError(big, 'EntityTooLarge').message).toMatch(/at most 65536 are accepted/)
  })

  it('names the element path of every field error, with the JSON schema\'s rules', () => {
    const tags = `${TAG('ok', 'v')}${TAG('', 'v')}${TAG('long', 'x'.repeat(257))}${TAG('ok', 'again')}<Tag><Key>k</Key></Tag>`
    const e = expectError(doc(`<PutObjectTagging><TagSet>${tags}</TagSet></PutObjectTagging>`, {
      report: '<Report><Enabled>yes</Enabled><ReportScope>Some</ReportScope></Report>',
      manifest: '<Manifest><Location><Bucket>m</Bucket><VersionId>v1</VersionId></Location><Spec><Format>CSV</Format><Fields>Bucket,Nope</Fields></Spec></Manifest>',
      extra: '<Priority>-1</Priority><Bogus/><Description>a</Description><Description>b</Description>',
    }), 'InvalidArgument')
    expect(e.errors).toEqual(expect.arrayContaining([
      { path: 'Bogus', message: 'unknown element' },
      { path: 'Description[2]', message: 'must appear at most once' },
      { path: 'Operation/PutObjectTagging/TagSet/Tag[2]/Key', message: 'tag keys must not be empty' },
      { path: 'Operation/PutObjectTagging/TagSet/Tag[3]/Value', message: 'must be at most 256 characters' },
      { path: 'Operation/PutObjectTagging/TagSet/Tag[4]/Key', message: 'duplicate tag key (also in Operation/PutObjectTagging/TagSet/Tag[1])' },
      { path: 'Operation/PutObjectTagging/TagSet/Tag[5]/Value', message: 'required' },
      { path: 'Report/Enabled', message: 'must be true or false' },
      { path: 'Report/ReportScope', message: expect.stringContaining('AllTasks') },
      { path: 'Manifest/Location/VersionId', message: expect.stringContaining('not supported') },
      { path: 'Manifest/Location/Object', message: 'required' },
      { path: 'Manifest/Spec/Format', message: expect.stringContaining('OSS_BatchOperations_CSV_20250611') },
      { path: 'Manifest/Spec/Fields', message: expect.any(String) },
      { path: 'Priority', message: 'must be at least 0' },
    ]))
    expect(e.message).toContain('Operation/PutObjectTagging/TagSet/Tag[2]/Key: tag keys must not be empty')
  })

  it('names missing elements, bad enum values and the account header', () => {
    const missing = expectError('<CreateJobRequest><Operation/></CreateJobRequest>', 'InvalidArgument', null)
    expect(missing.errors).toEqual(expect.arrayContaining([
      { path: 'Operation', message: expect.stringMatching(/^give exactly one of PutObjectTagging/) },
      { path: 'Manifest', message: 'give exactly one of Manifest or KeyPrefixManifestGenerator' },
      { path: 'ClientRequestToken', message: 'required' },
      { path: 'Report', message: 'required' },
      { path: 'X-Batchgate-Account (header)', message: 'required: this API key may use more than one account' },
    ]))
    const enums = expectError(doc('<RestoreObject><Days>x</Days><Tier>Fast</Tier></RestoreObject>', { manifest: `${MANIFEST}<KeyPrefixManifestGenerator><SourceBucket>s</SourceBucket></KeyPrefixManifestGenerator>` }), 'InvalidArgument')
    expect(enums.errors).toEqual([
      { path: 'Operation/RestoreObject/Days', message: 'must be an integer' },
      { path: 'Manifest', message: 'give exactly one of Manifest or KeyPrefixManifestGenerator' },
      { path: 'Operation/RestoreObject/Tier', message: 'must be one of Expedited, Standard, Bulk' },
    ])
    expect(expectError(doc('<PutObjectAcl><ObjectAcl>world</ObjectAcl></PutObjectAcl>'), 'InvalidArgument').errors).toEqual([
      { path: 'Operation/PutObjectAcl/ObjectAcl', message: 'must be one of private, public-read, public-read-write, default' },
    ])
    expect(expectError(doc('<DeleteObject/>'), 'InvalidArgument').errors?.[0]).toEqual({ path: 'Operation/DeleteObject', message: expect.stringMatching(/^unknown operation/) })
    expect(expectError(doc('<PutObjectTagging/>'), 'InvalidArgument').errors).toEqual([{ path: 'Operation/PutObjectTagging/TagSet', message: 'required' }])
    expect(expectError(doc('<DeleteObjectTagging>x</DeleteObjectTagging>'), 'InvalidArgument').errors).toEqual([
      { path: 'Operation/DeleteObjectTagging', message: 'must hold elements only, not text' },
    ])
    expect(expectError(doc('<DeleteObjectTagging/>', { token: '<ClientRequestToken><a/></ClientRequestToken>' }), 'InvalidArgument').errors).toEqual([
      { path: 'ClientRequestToken', message: 'must be a value, not elements' },
    ])
    expect(expectError(doc('<DeleteObjectTagging/>'), 'InvalidArgument', '').errors?.[0]?.path).toBe('X-Batchgate-Account (header)')
  })

  it('turns the job planner\'s field errors into element paths', () => {
    const r = parse(doc(`<PutObjectTagging><TagSet>${TAG('a', '1')}${TAG('b', '2')}</TagSet></PutObjectTagging>`))
    if (!r.ok) throw new Error(r.error.message)
    expect(r.fieldError({ path: 'operation.tags.b', message: 'bad' })).toEqual({ path: 'Operation/PutObjectTagging/TagSet/Tag[2]/Value', message: 'bad' })
    expect(r.fieldError({ path: 'operation.op', message: 'oss cannot x' })).toEqual({ path: 'Operation', message: 'oss cannot x' })
    expect(r.fieldError({ path: 'manifest.location', message: 'unreadable' })).toEqual({ path: 'Manifest/Location', message: 'unreadable' })
    expect(r.fieldError({ path: 'account', message: 'unknown account "x"' })).toEqual({ path: 'X-Batchgate-Account (header)', message: 'unknown account "x"' })
  })
})

describe('OSS job ids', () => {
  it('maps the seed example to its UUID and back exactly', () => {
    const oss = 'MzRjZGU2NGQ3YTY5NGRhMTkxZmZhYzY5OTM5YTcxYWU='
    expect(fromOssJobId(oss)).toBe('34cde64d-7a69-4da1-91ff-ac69939a71ae')
    expect(toOssJobId('34cde64d-7a69-4da1-91ff-ac69939a71ae')).toBe(oss)
  })

  it('gives 44 characters of letters, digits and one "=" for any UUID, and accepts the UUID itself', () => {
    for (let i = 0; i < 200; i++) {
      const uuid = crypto.randomUUID()
      const oss = toOssJobId(uuid)
      expect(oss).toMatch(/^[A-Za-z0-9]{43}=$/)
      expect(fromOssJobId(oss)).toBe(uuid)
      expect(fromOssJobId(uuid)).toBe(uuid)
    }
  })

  it('maps nothing else: other base64, upper-case hex, wrong lengths', () => {
    for (const id of ['', 'abc', 'MzRjZGU2NGQ3YTY5NGRhMTkxZmZhYzY5OTM5YTcxYWU', btoa('34CDE64D7A694DA191FFAC69939A71AE'), btoa('z'.repeat(32)), '34CDE64D-7A69-4DA1-91FF-AC69939A71AE'])
      expect(fromOssJobId(id)).toBeNull()
  })
})
