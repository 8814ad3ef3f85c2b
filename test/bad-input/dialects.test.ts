import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { toOssJobId } from '../../shared/dialects/oss-job-id.ts'
import { encodeBase64UrlString, encodedEntryURI as E } from '../../shared/crypto/qiniu-entry.ts'
import { createXmlParser } from '../../shared/xml/xml.ts'
import { unique } from '../helpers.ts'
import { bytes, captureConsole, expectNoCrash, expectUntouched, jobAndScheduleCounts, send, streamOf, type Answer } from './harness.ts'

// The provider dialects answer bad input in their provider's shape, not problem+json: the OSS
// CreateJob dialect an `<Error>` document naming the element or parameter, the Qiniu batch dialect
// `{"error"}` naming the op. Entities are never declared or expanded, nothing runs, no job appears.

const lines = captureConsole()
const xmlParser = createXmlParser()
const bucket = unique('bad-dialect')

const ossPost = (query: string, body: BodyInit, headers: Record<string, string> = {}) =>
  send(`/oss/?${query}`, { method: 'POST', body, headers: { 'Content-Type': 'application/xml', 'X-Batchgate-Account': 'oss', ...headers } })

/** An OSS `<Error>` answer with this status and code; returns its message. */
function ossError(r: Answer, status: number, code: string | RegExp, label = ''): string {
  const where = `${label}\n${r.status} ${r.text.slice(0, 500)}`
  expect(r.status, where).toBe(status)
  expect(r.headers.get('Content-Type'), where).toBe('application/xml')
  const doc = xmlParser.parse(r.text)
  expect(doc.Error?.Code, where).toMatch(code)
  expect(doc.Error.RequestId, where).toBe(r.headers.get('x-oss-request-id'))
  expect(r.text, where).not.toMatch(/\bat .*\.(ts|js):\d+/)
  return doc.Error.Message as string
}

const doc = (inner: string, { token = unique('tok'), prolog = '<?xml version="1.0" encoding="UTF-8"?>' } = {}) => `${prolog}
<CreateJobRequest>
  <ConfirmationRequired>true</ConfirmationRequired>
  <Operation>${inner}</Operation>
  <Report><Enabled>false</Enabled></Report>
  <ClientRequestToken>${token}</ClientRequestToken>
  <Manifest><Location><Bucket>${bucket}</Bucket><Object>m.csv</Object></Location><Spec><Fields>Bucket,Key</Fields><Format>OSS_BatchOperations_CSV_20250611</Format></Spec></Manifest>
  <Priority>1</Priority>
</CreateJobRequest>`
const deleteTags = '<DeleteObjectTagging/>'

describe('bad input on the OSS CreateJob dialect', () => {
  it('refuses DOCTYPEs — billion laughs, external and parameter entities — without expanding or fetching anything', async () => {
    const before = await jobAndScheduleCounts()
    const withDoctype = (dtd: string, description: string) => doc(deleteTags).replace('<CreateJobRequest>', `${dtd}<CreateJobRequest><Description>${description}</Description>`)
    const laughs = `<!DOCTYPE CreateJobRequest [<!ENTITY a "ha">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]>`
    const cases: [string, string][] = [
      ['billion laughs', withDoctype(laughs, '&j;')],
      ['external entity', withDoctype('<!DOCTYPE CreateJobRequest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', '&xxe;')],
      ['external entity over http', withDoctype(`<!DOCTYPE CreateJobRequest [<!ENTITY xxe SYSTEM "http://127.0.0.1:9000/${bucket}/x">]>`, '&xxe;')],
      ['parameter entity', withDoctype('<!DOCTYPE CreateJobRequest [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>', 'x')],
      ['external DTD', withDoctype('<!DOCTYPE CreateJobRequest SYSTEM "http://example.com/evil.dtd">', 'x')],
      ['public DTD', withDoctype('<!DOCTYPE CreateJobRequest PUBLIC "-//X//Y" "file:///etc/passwd">', 'x')],
    ]
    for (const [name, xml] of cases) {
      const message = ossError(await ossPost('batchJob', xml), 400, 'MalformedXML', name)
      expect(message, name).not.toContain('root:')
      expect(message.length, name).toBeLessThan(500)
    }
    // An entity used without a declaration is not expanded either: it is named as undefined.
    const undeclared = ossError(await ossPost('batchJob', doc(deleteTags).replace('<Priority>', '<Description>&xxe;</Description><Priority>')), 400, 'MalformedXML')
    expect(undeclared).toMatch(/entit/)
    expect(await jobAndScheduleCounts()).toEqual(before)
    expectNoCrash(lines)
  })

  it('refuses XML bombs by depth and by width, and documents over 64 KiB with or without Content-Length', async () => {
    const deep = (n: number) => doc(`${'<a>'.repeat(n)}${'</a>'.repeat(n)}`)
    ossError(await ossPost('batchJob', deep(20)), 400, /MalformedXML|InvalidArgument/, 'depth 20')
    ossError(await ossPost('batchJob', deep(9000)), 400, /MalformedXML|EntityTooLarge/, 'depth 9000')
    ossError(await ossPost('batchJob', `${'<a>'.repeat(20_000)}`), 400, /MalformedXML|EntityTooLarge/, 'unclosed depth')
    // Thousands of tags in one TagSet: within 64 KiB, refused for the tag limit by name.
    const tags = Array.from({ length: 2000 }, (_, i) => `<Tag><Key>k${i}</Key><Value>v</Value></Tag>`).join('')
    const wide = ossError(await ossPost('batchJob', doc(`<PutObjectTagging><TagSet>${tags}</TagSet></PutObjectTagging>`)), 400, /InvalidArgument|EntityTooLarge/)
    expect(wide.length).toBeLessThan(5000)
    ossError(await ossPost('batchJob', new Uint8Array(70_000).fill(0x20)), 400, 'EntityTooLarge', 'sized')
    ossError(await ossPost('batchJob', streamOf(13 * 1024 * 1024)), 400, 'EntityTooLarge', 'streamed')
    expectNoCrash(lines)
  })

  it('refuses documents that are not UTF-8, or declare another encoding, naming the encoding', async () => {
    const xml = doc(deleteTags)
    const latin1 = xml.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    expect(ossError(await ossPost('batchJob', latin1), 400, 'MalformedXML')).toMatch(/ISO-8859-1.*only UTF-8/)
    expect(ossError(await ossPost('batchJob', xml.replace('encoding="UTF-8"', 'encoding="UTF-16"')), 400, 'MalformedXML')).toMatch(/UTF-16/)
    const utf16 = new Uint8Array([0xff, 0xfe, ...new Uint8Array(new Uint16Array([...xml].map((c) => c.charCodeAt(0))).buffer)])
    ossError(await ossPost('batchJob', utf16), 400, 'MalformedXML', 'utf-16 bytes')
    const raw = bytes(xml.replace('<Priority>', '<Description>caf'), [0xe9], '</Description><Priority>')
    expect(ossError(await ossPost('batchJob', raw), 400, 'MalformedXML')).toMatch(/not valid UTF-8/)
    for (const ref of ['&#0;', '&#xD800;', '&#x110000;', '&#xFFFFFFFF;'])
      expect(ossError(await ossPost('batchJob', xml.replace('<Priority>', `<Description>${ref}</Description><Priority>`)), 400, 'MalformedXML', ref)).toMatch(/character reference/)
    expectNoCrash(lines)
  })

  it('names the element of each bad field of a well-formed document', async () => {
    const cases: [string, string, RegExp][] = [
      ['unknown element', doc(deleteTags).replace('<Priority>', '<Frob>1</Frob><Priority>'), /^Frob: unknown element/],
      ['priority -1', doc(deleteTags).replace('<Priority>1', '<Priority>-1'), /^Priority: must be at least 0/],
      ['priority 2^31', doc(deleteTags).replace('<Priority>1', '<Priority>2147483648'), /^Priority: must be at most 2147483647/],
      ['priority text', doc(deleteTags).replace('<Priority>1', '<Priority>high'), /^Priority: must be an integer/],
      ['restore days 0', doc('<RestoreObject><Days>0</Days></RestoreObject>'), /Days: must be at least 1/],
      ['restore days 400', doc('<RestoreObject><Days>400</Days></RestoreObject>'), /Days: must be at most 365/],
      ['a 65-character token', doc(deleteTags, { token: 't'.repeat(65) }), /^ClientRequestToken: must be at most 64 characters/],
      ['a key of 1,026 UTF-8 bytes', doc(deleteTags).replace('<Object>m.csv', `<Object>${'€'.repeat(342)}`), /Object: must be at most 1,024 UTF-8 bytes/],
      ['a prefix with NUL', doc(deleteTags).replace('<Report><Enabled>false</Enabled></Report>', `<Report><Enabled>true</Enabled><Bucket>${bucket}</Bucket><Prefix>a&#0;</Prefix></Report>`), /character reference/],
      ['a bucket a URL would bend', doc(deleteTags).replace(`<Bucket>${bucket}`, '<Bucket>evil.example#'), /Bucket: must be letters/],
      ['tag with CR/LF', doc('<PutObjectTagging><TagSet><Tag><Key>a</Key><Value>x&#13;&#10;y</Value></Tag></TagSet></PutObjectTagging>'), /Tag\[1\]\/Value: must not contain control characters/],
      ['tag key over 128', doc(`<PutObjectTagging><TagSet><Tag><Key>${'k'.repeat(129)}</Key><Value>x</Value></Tag></TagSet></PutObjectTagging>`), /Tag\[1\]\/Key: must be at most 128 characters/],
      ['text where elements go', doc('text'), /Operation: must hold elements only/],
      ['two operations', doc(`${deleteTags}<PutObjectAcl><ObjectAcl>private</ObjectAcl></PutObjectAcl>`), /Operation: give exactly one/],
      ['wrong root', doc(deleteTags).replaceAll('CreateJobRequest', 'DeleteBucket'), /root element must be CreateJobRequest/],
      ['two roots', `${doc(deleteTags)}<CreateJobRequest/>`, /./],
      ['unclosed', doc(deleteTags).replace('</Operation>', ''), /./],
      ['empty', '', /./],
    ]
    for (const [name, xml, message] of cases) expect(ossError(await ossPost('batchJob', xml), 400, /MalformedXML|InvalidArgument/, name), name).toMatch(message)
    expectNoCrash(lines)
  })

  it('refuses bad query parameters of ListJobs, UpdateJobStatus and UpdateJobPriority by name', async () => {
    const id = toOssJobId(crypto.randomUUID())
    const get = (q: string) => send(`/oss/?${q}`, { headers: { 'X-Batchgate-Account': 'oss' } })
    const post = (q: string) => send(`/oss/?${q}`, { method: 'POST', headers: { 'X-Batchgate-Account': 'oss' } })
    const cases: [Promise<Answer>, RegExp][] = [
      [get('batchJob&max-keys=0'), /max-keys/],
      [get('batchJob&max-keys=abc'), /max-keys/],
      [get('batchJob&max-keys=1e400'), /max-keys/],
      [get('batchJob&batchJobStatuses=Bogus'), /batchJobStatuses/],
      [get('batchJob&continuation-token=%FF%FE'), /continuation-token/],
      [get('batchJob&max-keys=1&max-keys=2'), /max-keys/],
      [post(`batchJobStatus&batchJobId=${id}&requestedJobStatus=Bogus`), /requestedJobStatus/],
      [post(`batchJobStatus&batchJobId=${id}`), /requestedJobStatus/],
      [post(`batchJobStatus&batchJobId=${id}&requestedJobStatus=Cancelled&statusUpdateReason=${'r'.repeat(300)}`), /statusUpdateReason/],
      [post(`batchJobPriority&batchJobId=${id}&targetPriority=-1`), /targetPriority/],
      [post(`batchJobPriority&batchJobId=${id}&targetPriority=2147483648`), /targetPriority/],
      [post(`batchJobPriority&batchJobId=${id}&targetPriority=1.5`), /targetPriority/],
      [post(`batchJobPriority&batchJobId=${id}&targetPriority=`), /targetPriority/],
      [post(`batchJobPriority&batchJobId=${id}&targetPriority=%00`), /targetPriority/],
    ]
    for (const [answer, message] of cases) {
      const r = await answer
      expect(ossError(r, 400, 'InvalidArgument', r.text), r.text).toMatch(message)
    }
    for (const badId of ['%00', '%FF', 'x'.repeat(5000), '..%2F..'])
      ossError(await get(`batchJob&batchJobId=${badId}`), 404, 'NoSuchJob', badId.slice(0, 20))
    expectNoCrash(lines)
  })
})

const FORM = 'application/x-www-form-urlencoded'
const qiniuPost = (body: BodyInit, contentType: string | null = FORM, account = 'qiniu') =>
  send('/qiniu/batch', { method: 'POST', body, headers: { 'X-Batchgate-Account': account, ...(contentType ? { 'Content-Type': contentType } : {}) } })
const form = (ops: string[]) => new URLSearchParams(ops.map((op) => ['op', op])).toString()

/** A Qiniu `{"error"}` answer with this status; returns the message. */
function qiniuError(r: Answer, status: number, label = ''): string {
  const where = `${label}\n${r.status} ${r.text.slice(0, 500)}`
  expect(r.status, where).toBe(status)
  expect(r.headers.get('Content-Type'), where).toBe('application/json')
  expect(Object.keys(r.json), where).toEqual(['error'])
  expect(r.headers.get('X-Reqid'), where).toBeTruthy()
  return r.json.error as string
}

describe('bad input on the Qiniu batch dialect', () => {
  it('refuses each bad op naming its index, and runs none of the batch', async () => {
    const ok = `/stat/${E(bucket, 'k')}`
    const cases: [string[], RegExp][] = [
      [[ok, `/stat/${E(bucket, 'a\u0000b')}`], /^op\[1\]\.key: must not contain NUL/],
      [[ok, `/stat/${E(bucket, '€'.repeat(342))}`], /^op\[1\]\.key: must be at most 1,024 UTF-8 bytes/],
      [[`/stat/${E('evil.example#', 'k')}`], /^op\[0\]\.bucket: must be letters/],
      [[`/stat/${encodeBase64UrlString(`${bucket}:`)}x`], /^op\[0\]: stat: entry/],
      [[`/stat/${btoa(String.fromCharCode(0x62, 0x3a, 0xff, 0xfe)).replaceAll('+', '-').replaceAll('/', '_')}`], /^op\[0\]: stat: entry: not an EncodedEntryURI/],
      [[`/chgm/${E(bucket, 'k')}/x-qn-meta-a/${encodeBase64UrlString('v\r\nX-Injected: 1')}`], /^op\[0\]\.metadata\.a: must not contain control characters/],
      [[`/chgm/${E(bucket, 'k')}/mime/${encodeBase64UrlString('text/plain\r\nX: 1')}`], /^op\[0\]\.contentType: must not contain control characters/],
      [[`/restoreAr/${E(bucket, 'k')}/freezeAfterDays/31`], /^op\[0\]\.days: Qiniu restores for 1 to 7 days/],
      [[`/deleteAfterDays/${E(bucket, 'k')}/-5`], /^op\[0\]\.days: must be at least 0/],
      [[ok, '/explode/x'], /^op\[1\]: explode: unknown op/],
      [Array(1001).fill(ok), /too many ops: 1001 > 1000/],
      [[], /no op/],
    ]
    for (const [ops, message] of cases) expect(qiniuError(await qiniuPost(form(ops)), 400, ops.join('&').slice(0, 80))).toMatch(message)
    expect(qiniuError(await qiniuPost('op=%E0%A4%A'), 400)).toMatch(/not a form-encoded op value/)
    expect(qiniuError(await qiniuPost(bytes('op=/stat/', [0xff, 0xfe])), 400)).toMatch(/op\[0\]/)
    await expectUntouched([bucket])
    expectNoCrash(lines)
  })

  it('refuses other media types, bodies over the limit (with and without Content-Length) and unknown accounts', async () => {
    const body = form([`/stat/${E(bucket, 'k')}`])
    for (const type of ['application/json', 'text/plain', 'multipart/form-data; boundary=x', null]) qiniuError(await qiniuPost(body, type), 400, String(type))
    const limit = Number(env.MAX_BODY_BYTES)
    qiniuError(await qiniuPost(new Uint8Array(limit + 1).fill(0x61)), 413, 'sized')
    qiniuError(await qiniuPost(streamOf(limit + 1, 0x61)), 413, 'streamed')
    expect(qiniuError(await qiniuPost(body, FORM, 'no-such-account'), 400)).toMatch(/X-Batchgate-Account: unknown account/)
    qiniuError(await qiniuPost(body, FORM, 'qiniu\u0001'.replace('\u0001', '%01')), 400)
    await expectUntouched([bucket])
    expectNoCrash(lines)
  })
})
