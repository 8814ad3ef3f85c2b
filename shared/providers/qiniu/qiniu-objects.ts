import { encodedEntryURI } from '../../crypto/qiniu-entry.ts'
import { utf8 } from '../../crypto/encoding.ts'
import { ObjectIOError, type ObjectIO } from '../../engine/types.ts'
import type { QiniuAccount } from './qiniu-account.ts'
import { DOWNLOAD_URL_TTL_S, privateDownloadUrl } from './qiniu-download.ts'
import { qiniuEtag } from './qiniu-etag.ts'
import { checkObjectAddress, DEFAULT_UP_ENDPOINT, managementRequest, qiniuIOError, readBody, regionHosts, send, type QiniuIODeps } from './qiniu-io.ts'
import { UPLOAD_TOKEN_TTL_S, uploadForm, uploadToken } from './qiniu-upload.ts'

// eslint-disable-next-line no-control-regex
const HEADER_SAFE = /^[\u0020-\u007e]*$/
const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * Whole-object reads and writes on Qiniu for batch jobs: head is `stat` on the RS host, reads are
 * ranged GETs of a private download URL on the account's download domain, writes are form uploads
 * to the up host whose answered `hash` is checked against the content's own qetag. An account that
 * routes by region sends stat and uploads to its bucket's region (an explicit `upEndpoint` wins).
 *
 * A download domain is bound to one bucket and its URLs name no bucket: `downloadDomain` (or
 * `ioEndpoint`) must be the domain of the bucket manifests are read from. An account without one
 * cannot read objects, and says so at `head` — the call that opens a manifest — so that a job fails
 * its preparation with that message instead of at its first read.
 */
export function createQiniuObjects(account: QiniuAccount, deps: QiniuIODeps): ObjectIO {
  const creds = { accessKey: account.accessKey, secretKey: account.secretKey }
  const domain = account.downloadDomain ?? account.ioEndpoint

  function readableDomain(): string {
    if (domain === undefined)
      throw new ObjectIOError('InvalidArgument', 'this Qiniu account cannot read objects: set its downloadDomain (or ioEndpoint) to the domain bound to the bucket manifests are read from', false)
    return domain
  }

  return {
    async head(bucket, key, signal) {
      checkObjectAddress(bucket, key)
      readableDomain()
      const rs = (await regionHosts(deps, bucket, signal))?.rs ?? account.endpoint
      const url = new URL(`${rs}/stat/${encodedEntryURI(bucket, key)}`)
      const answer = await send(deps, await managementRequest(account, 'POST', url, new Date()), 'Qiniu RS', signal)
      const text = await readBody(answer, (r) => r.text(), 'Qiniu RS', signal)
      if (answer.status === 612) return null
      if (answer.status !== 200) throw qiniuIOError(answer.status, text, 'Qiniu RS')
      const stat = safeJson(text) as { fsize?: unknown; hash?: unknown } | undefined
      if (typeof stat?.fsize !== 'number' || typeof stat.hash !== 'string') throw new ObjectIOError('ProviderError', 'Qiniu RS answered a stat without fsize and hash', true)
      return { size: stat.fsize, etag: stat.hash }
    },

    async readRange(bucket, key, start, end, signal) {
      checkObjectAddress(bucket, key)
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < 0)
        throw new ObjectIOError('InvalidArgument', `a byte range needs whole numbers ≥ 0, not [${start}, ${end})`, false)
      if (end <= start) return new Uint8Array(0)
      const url = await privateDownloadUrl(readableDomain(), key, nowSeconds() + DOWNLOAD_URL_TTL_S, creds)
      const answer = await send(deps, new Request(url, { headers: { Range: `bytes=${start}-${end - 1}` } }), 'the Qiniu download domain', signal)
      // 416: the range starts at or past the end of the object (or the object is empty).
      if (answer.status === 416) {
        await answer.body?.cancel()
        return new Uint8Array(0)
      }
      if (answer.status !== 200 && answer.status !== 206) {
        throw qiniuIOError(answer.status, await readBody(answer, (r) => r.text(), 'the Qiniu download domain', signal), 'the Qiniu download domain')
      }
      const bytes = new Uint8Array(await readBody(answer, (r) => r.arrayBuffer(), 'the Qiniu download domain', signal))
      // A server that ignores Range answers 200 with the whole object.
      if (answer.status === 200) return bytes.slice(start, end)
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(answer.headers.get('Content-Range') ?? '')
      if (!range || Number(range[1]) !== start)
        throw new ObjectIOError('ProviderError', `the Qiniu download domain answered bytes ${range ? `from ${range[1]}` : 'without a Content-Range'} for a range from ${start}`, true)
      return bytes.length > end - start ? bytes.slice(0, end - start) : bytes
    },

    async write(bucket, key, body, contentType, signal) {
      checkObjectAddress(bucket, key)
      if (!HEADER_SAFE.test(contentType)) throw new ObjectIOError('InvalidArgument', 'the content type must be printable ASCII', false)
      const bytes = typeof body === 'string' ? utf8(body) : body
      // Scope with the key: the token may overwrite that one object (a report is rewritten whole).
      const token = await uploadToken({ scope: `${bucket}:${key}`, deadline: nowSeconds() + UPLOAD_TOKEN_TTL_S }, creds)
      const form = uploadForm({ token, key }, { bytes, contentType, filename: key.slice(key.lastIndexOf('/') + 1) || 'file' })
      const up = account.upEndpoint ?? (await regionHosts(deps, bucket, signal))?.up ?? DEFAULT_UP_ENDPOINT
      const request = new Request(`${up}/`, { method: 'POST', headers: { 'Content-Type': form.contentType }, body: form.body })
      const [answer, expected] = await Promise.all([send(deps, request, 'Qiniu upload', signal), qiniuEtag(bytes)])
      const text = await readBody(answer, (r) => r.text(), 'Qiniu upload', signal)
      if (answer.status !== 200) throw qiniuIOError(answer.status, text, 'Qiniu upload')
      const stored = safeJson(text) as { hash?: unknown; key?: unknown } | undefined
      if (typeof stored?.hash !== 'string') throw new ObjectIOError('ProviderError', 'Qiniu upload answered without the stored hash', true)
      // The hash is computed from the bytes Qiniu received: a mismatch means they were not ours.
      if (stored.hash !== expected) throw new ObjectIOError('ProviderError', `Qiniu stored content whose hash ${stored.hash} is not the ${expected} of what was sent`, true)
      if (stored.key !== undefined && stored.key !== key) throw new ObjectIOError('ProviderError', 'Qiniu stored the upload under another key', false)
      return { etag: stored.hash }
    },
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
