/**
 * Job manifests for the bench: CSV rows `bucket,url-encoded-key` generated as a stream of text
 * blocks (never the whole manifest in memory here), and uploaded to the S3 emulator with one
 * streamed PUT signed by aws4fetch (SigV4, UNSIGNED-PAYLOAD as aws4fetch sends it for S3).
 */
import { request } from 'node:http'
import { Readable } from 'node:stream'
import { AwsClient } from 'aws4fetch'

/** Rows per generated text block (~40 KB). */
const BLOCK_ROWS = 1000

/** The manifest of `count` rows, row i (0-based) naming `keyOf(i)` in `bucket`, in text blocks. */
export function* manifestBlocks(bucket: string, count: number, keyOf: (i: number) => string): Generator<string> {
  for (let i = 0; i < count; i += BLOCK_ROWS) {
    let block = ''
    for (let j = i; j < Math.min(count, i + BLOCK_ROWS); j++) block += `${bucket},${encodeURIComponent(keyOf(j))}\n`
    yield block
  }
}

/** A fixed-width decimal of i, e.g. key numbers that sort in row order. */
export const pad = (i: number, width: number) => String(i).padStart(width, '0')

export interface UploadedManifest {
  bucket: string
  key: string
  rows: number
  bytes: number
  /** The ETag the emulator answered, unquoted. */
  etag: string
  ms: number
}

/**
 * PUTs the manifest to `<url>/<bucket>/<key>` as a stream: one pass counts its bytes (the emulator
 * wants a Content-Length), a second pass streams the same rows as the body.
 */
export async function uploadManifest(o: {
  url: string
  accessKeyId: string
  secretAccessKey: string
  region: string
  bucket: string
  key: string
  rows: number
  blocks: () => Iterable<string>
}): Promise<UploadedManifest> {
  const t0 = performance.now()
  let bytes = 0
  for (const b of o.blocks()) bytes += Buffer.byteLength(b)
  const aws = new AwsClient({ accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, service: 's3', region: o.region })
  const target = `${o.url.replace(/\/+$/, '')}/${encodeURIComponent(o.bucket)}/${o.key.split('/').map(encodeURIComponent).join('/')}`
  const signed = await aws.sign(target, { method: 'PUT', headers: { 'Content-Type': 'text/csv' } })
  const headers: Record<string, string> = { 'Content-Length': String(bytes) }
  signed.headers.forEach((v, k) => (headers[k] = v))
  const { status, etag, text } = await new Promise<{ status: number; etag: string; text: string }>((resolve, reject) => {
    const req = request(target, { method: 'PUT', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: String(res.headers.etag ?? '').replace(/"/g, ''), text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    Readable.from(o.blocks(), { objectMode: false }).pipe(req)
  })
  if (status !== 200) throw new Error(`uploading the manifest ${o.bucket}/${o.key} (${bytes} bytes) answered HTTP ${status}: ${text.slice(0, 300)}`)
  return { bucket: o.bucket, key: o.key, rows: o.rows, bytes, etag, ms: performance.now() - t0 }
}
