/**
 * The direct side of the delete benchmark: the same 1,000 deletes as each provider's own batch
 * call(s), built and signed in Node by code independent of the gateway's (nothing here imports
 * from shared/ or workers/):
 *
 *   qiniu  one POST /batch of 1,000 `/delete/<EncodedEntryURI>` ops (the qiniu SDK's rs.deleteOp),
 *          form body as the SDK's BucketManager.batch builds it, a "Qiniu" v2 token from the SDK
 *   s3     one DeleteObjects (POST /<bucket>/?delete, Quiet, Content-MD5 from node:crypto), AWS
 *          SigV4 by aws4fetch's AwsClient (service s3, UNSIGNED-PAYLOAD as aws4fetch sends it)
 *   ctyun  the same request signed with AWS SigV2 (HMAC-SHA1, X-Amz-Date; the small signer below,
 *          after the published algorithm)
 *   oss    one DeleteMultipleObjects (same XML shape, Quiet), OSS V4 by the ali-oss package's own
 *          signUtils.authorizationV4
 *   pds    10 POST /v2/batch of 100 /file/delete child requests each, Bearer token, run with at
 *          most 8 in flight (the gateway engine's default concurrency, so both send the same way)
 *
 * Each call is timed from building the request to the parsed, checked answer.
 */
import { createHash, createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import querystring from 'node:querystring'
import { AwsClient } from 'aws4fetch'
import qiniu from 'qiniu'
import type { CallResult } from './direct.ts'
import { qiniuDate } from './direct.ts'

export interface DeleteClient {
  /** Provider requests one batch of deletes takes. */
  requests: number
  /** Bytes of the request bodies (all requests). */
  bodyBytes: number
  call(): Promise<CallResult>
}

const FORM = 'application/x-www-form-urlencoded'
const XML_TYPE = 'application/xml'

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const md5Base64 = (s: string) => createHash('md5').update(s, 'utf8').digest('base64')

/** The S3 / OSS multi-delete document, Quiet: the answer lists only the keys that failed. */
export function multiDeleteXml(keys: readonly string[], xmlns?: string): string {
  const objects = keys.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('')
  return `<?xml version="1.0" encoding="UTF-8"?><Delete${xmlns ? ` xmlns="${xmlns}"` : ''}><Quiet>true</Quiet>${objects}</Delete>`
}

async function timed(run: () => Promise<{ status: number; text: string; problems: string[] }>): Promise<CallResult> {
  const t0 = performance.now()
  const r = await run()
  return { ms: performance.now() - t0, problems: r.problems, status: r.status, text: r.text }
}

/** Checks a quiet multi-delete answer: 200, and no per-key <Error> nor an error document. */
function checkMultiDelete(label: string, status: number, text: string, n: number): string[] {
  if (status !== 200) return [`${label} answered HTTP ${status}: ${text.slice(0, 300)}`]
  const errors = (text.match(/<Error>/g) ?? []).length
  if (errors > 0) return [`${label}: ${errors} of ${n} keys failed (${text.slice(0, 300)})`]
  if (text.trim() !== '' && !/<DeleteResult[\s/>]/.test(text)) return [`${label} answered 200 without a DeleteResult: ${text.slice(0, 300)}`]
  return []
}

// ------------------------------------------------------------------------------------ Qiniu

export function qiniuDeleteClient(o: { url: string; accessKey: string; secretKey: string; bucket: string; keys: readonly string[] }): DeleteClient {
  const mac = new qiniu.auth.digest.Mac(o.accessKey, o.secretKey)
  const batchUrl = o.url.replace(/\/+$/, '') + '/batch'
  const build = () => {
    const body = querystring.stringify({ op: o.keys.map((k) => qiniu.rs.deleteOp(o.bucket, k)) })
    const date = qiniuDate(new Date())
    const authorization = qiniu.util.generateAccessTokenV2(mac, batchUrl, 'POST', FORM, body, { 'X-Qiniu-Date': date })
    return { body, headers: { 'Content-Type': FORM, 'X-Qiniu-Date': date, Authorization: authorization } }
  }
  return {
    requests: 1,
    bodyBytes: Buffer.byteLength(build().body),
    call: () =>
      timed(async () => {
        const { body, headers } = build()
        const res = await fetch(batchUrl, { method: 'POST', headers, body })
        const text = await res.text()
        let answers: unknown
        try {
          answers = JSON.parse(text)
        } catch {
          answers = undefined
        }
        const problems: string[] = []
        if (res.status !== 200 && res.status !== 298) problems.push(`Qiniu answered HTTP ${res.status}: ${text.slice(0, 300)}`)
        else if (!Array.isArray(answers) || answers.length !== o.keys.length)
          problems.push(`expected ${o.keys.length} answers, got ${Array.isArray(answers) ? answers.length : 'no array'}`)
        else {
          const bad = (answers as Array<{ code?: number }>).filter((a) => a.code !== 200)
          if (bad.length) problems.push(`${bad.length} of ${o.keys.length} deletes did not answer 200 (first: ${JSON.stringify(bad[0])})`)
        }
        return { status: res.status, text, problems }
      }),
  }
}

// ------------------------------------------------------------------------------------ S3 (V4)

export function s3V4DeleteClient(o: { url: string; accessKeyId: string; secretAccessKey: string; region: string; bucket: string; keys: readonly string[] }): DeleteClient {
  const aws = new AwsClient({ accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, service: 's3', region: o.region })
  const target = `${o.url.replace(/\/+$/, '')}/${encodeURIComponent(o.bucket)}/?delete`
  const xmlns = 'http://s3.amazonaws.com/doc/2006-03-01/'
  return {
    requests: 1,
    bodyBytes: Buffer.byteLength(multiDeleteXml(o.keys, xmlns)),
    call: () =>
      timed(async () => {
        const xml = multiDeleteXml(o.keys, xmlns)
        const signed = await aws.sign(target, { method: 'POST', headers: { 'Content-Type': XML_TYPE, 'Content-MD5': md5Base64(xml) }, body: xml })
        const res = await fetch(signed)
        const text = await res.text()
        return { status: res.status, text, problems: checkMultiDelete('S3', res.status, text, o.keys.length) }
      }),
  }
}

// ------------------------------------------------------------------------------------ S3 (V2)

/**
 * AWS Signature V2 for a path-style request (docs.aws.amazon.com/AmazonS3/latest/userguide/
 * RESTAuthentication.html): HMAC-SHA1 over
 *   VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
 * with the Date slot empty because X-Amz-Date is sent (it is then one of the amz headers).
 */
export function sigV2Authorization(
  accessKey: string,
  secret: string,
  r: { method: string; contentMd5: string; contentType: string; amzHeaders: Record<string, string>; resource: string },
): string {
  const amz = Object.keys(r.amzHeaders)
    .map((k) => [k.toLowerCase(), r.amzHeaders[k]!.trim()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('')
  const stringToSign = `${r.method}\n${r.contentMd5}\n${r.contentType}\n\n${amz}${r.resource}`
  return `AWS ${accessKey}:${createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64')}`
}

export function s3V2DeleteClient(o: { url: string; accessKeyId: string; secretAccessKey: string; bucket: string; keys: readonly string[]; label: string }): DeleteClient {
  const path = `/${encodeURIComponent(o.bucket)}/`
  const target = `${o.url.replace(/\/+$/, '')}${path}?delete`
  const xmlns = 'http://s3.amazonaws.com/doc/2006-03-01/'
  return {
    requests: 1,
    bodyBytes: Buffer.byteLength(multiDeleteXml(o.keys, xmlns)),
    call: () =>
      timed(async () => {
        const xml = multiDeleteXml(o.keys, xmlns)
        const contentMd5 = md5Base64(xml)
        const amzDate = new Date().toUTCString()
        const authorization = sigV2Authorization(o.accessKeyId, o.secretAccessKey, {
          method: 'POST',
          contentMd5,
          contentType: XML_TYPE,
          amzHeaders: { 'x-amz-date': amzDate },
          resource: `${path}?delete`,
        })
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'Content-Type': XML_TYPE, 'Content-MD5': contentMd5, 'X-Amz-Date': amzDate, Authorization: authorization },
          body: xml,
        })
        const text = await res.text()
        return { status: res.status, text, problems: checkMultiDelete(o.label, res.status, text, o.keys.length) }
      }),
  }
}

// ------------------------------------------------------------------------------------ OSS (V4)

interface AliOssSignUtils {
  authorizationV4(
    accessKeyId: string,
    accessKeySecret: string,
    region: string,
    method: string,
    request: { headers: Record<string, string>; queries?: Record<string, string | null> },
    bucketName?: string,
    objectName?: string,
    additionalHeaders?: string[],
  ): string
}
/** ali-oss's signing functions (CommonJS; they call each other through `this`, keep the object). */
const ossSign = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as AliOssSignUtils

/** yyyyMMddTHHmmssZ in UTC. */
const isoBasic = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')

export function ossV4DeleteClient(o: { url: string; accessKeyId: string; accessKeySecret: string; region: string; bucket: string; keys: readonly string[] }): DeleteClient {
  const target = `${o.url.replace(/\/+$/, '')}/${encodeURIComponent(o.bucket)}/?delete`
  return {
    requests: 1,
    bodyBytes: Buffer.byteLength(multiDeleteXml(o.keys)),
    call: () =>
      timed(async () => {
        const xml = multiDeleteXml(o.keys)
        const headers: Record<string, string> = {
          'content-type': XML_TYPE,
          'content-md5': md5Base64(xml),
          'x-oss-date': isoBasic(new Date()),
          'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        }
        headers.authorization = ossSign.authorizationV4(o.accessKeyId, o.accessKeySecret, o.region, 'POST', { headers, queries: { delete: null } }, o.bucket, undefined, [])
        const res = await fetch(target, { method: 'POST', headers, body: xml })
        const text = await res.text()
        return { status: res.status, text, problems: checkMultiDelete('OSS', res.status, text, o.keys.length) }
      }),
  }
}

// ------------------------------------------------------------------------------------ PDS

/** PDS /v2/batch takes at most 100 child requests. */
export const PDS_BATCH_MAX = 100

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

export function pdsDeleteClient(o: { url: string; accessToken: string; driveId: string; fileIds: readonly string[]; concurrency: number }): DeleteClient {
  const batchUrl = `${o.url.replace(/\/+$/, '')}/v2/batch`
  const chunks: string[][] = []
  for (let i = 0; i < o.fileIds.length; i += PDS_BATCH_MAX) chunks.push(o.fileIds.slice(i, i + PDS_BATCH_MAX))
  const body = (ids: readonly string[], offset: number) =>
    JSON.stringify({
      resource: 'file',
      requests: ids.map((fileId, i) => ({
        id: String(offset + i),
        method: 'POST',
        url: '/file/delete',
        headers: { 'Content-Type': 'application/json' },
        body: { drive_id: o.driveId, file_id: fileId },
      })),
    })
  const sendOne = async (c: { ids: readonly string[]; offset: number }) => {
    const res = await fetch(batchUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${o.accessToken}`, 'Content-Type': 'application/json' },
      body: body(c.ids, c.offset),
    })
    const text = await res.text()
    const problems: string[] = []
    let json: { responses?: Array<{ id?: string; status?: number }> } | undefined
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    if (res.status !== 200) problems.push(`PDS answered HTTP ${res.status}: ${text.slice(0, 300)}`)
    else if (!Array.isArray(json?.responses)) problems.push(`PDS answered 200 without responses: ${text.slice(0, 300)}`)
    else {
      // Answers come in any order: match them by id.
      const want = new Set(c.ids.map((_, i) => String(c.offset + i)))
      let ok = 0
      for (const r of json.responses) {
        if (typeof r.id === 'string' && want.delete(r.id) && (r.status === 204 || r.status === 202)) ok++
        else problems.push(`child ${r.id}: ${JSON.stringify(r).slice(0, 200)}`)
      }
      if (want.size) problems.push(`${want.size} child requests unanswered`)
      if (ok !== c.ids.length && problems.length === 0) problems.push(`${ok} of ${c.ids.length} deletes succeeded`)
    }
    return { status: res.status, text, problems: problems.slice(0, 3) }
  }
  const parts = chunks.map((ids, k) => ({ ids, offset: k * PDS_BATCH_MAX }))
  return {
    requests: chunks.length,
    bodyBytes: parts.reduce((s, c) => s + Buffer.byteLength(body(c.ids, c.offset)), 0),
    call: () =>
      timed(async () => {
        const answers = await pool(parts, o.concurrency, sendOne)
        const failed = answers.find((a) => a.problems.length > 0)
        return { status: failed?.status ?? 200, text: failed?.text ?? answers.map((a) => a.text).join(''), problems: answers.flatMap((a) => a.problems) }
      }),
  }
}
