import { describe, expect, it } from 'vitest'
import { ObjectIOError } from '../../../../shared/engine/types.ts'
import { QiniuAccount } from '../../../../shared/providers/qiniu/qiniu-account.ts'
import { encodeKeyPath, privateDownloadUrl, signDownloadUrl } from '../../../../shared/providers/qiniu/qiniu-download.ts'
import { qiniuEtag } from '../../../../shared/providers/qiniu/qiniu-etag.ts'
import { qiniuIOError } from '../../../../shared/providers/qiniu/qiniu-io.ts'
import { listUrl, parseListAnswer } from '../../../../shared/providers/qiniu/qiniu-list.ts'
import { uploadForm, uploadToken } from '../../../../shared/providers/qiniu/qiniu-upload.ts'

// The dummy credentials of the qiniu SDKs' own auth tests (java-sdk AuthTest, ruby, python, php).
const DUMMY = { accessKey: 'abcdefghklmnopq', secretKey: '1234567890' }

/** The qiniu SDKs' etag test data (python/rust `_data_of_size`): 4 KiB pages of 'A', 'b'…, "\r\n". */
function sdkTestData(size: number): Uint8Array {
  const page = new Uint8Array(4096).fill(0x62)
  page[0] = 0x41
  page[4094] = 0x0d
  page[4095] = 0x0a
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i += 4096) out.set(page.subarray(0, Math.min(4096, size - i)), i)
  return out
}

describe('qiniuEtag', () => {
  it('matches the qiniu SDKs’ etag vectors, for one block, exactly 4 MiB, and several blocks', async () => {
    expect(await qiniuEtag(new Uint8Array(0))).toBe('Fto5o-5ea0sNMlW_75VgGJCv2AcJ')
    expect(await qiniuEtag(new TextEncoder().encode('etag'))).toBe('FpLiADEaVoALPkdb8tJEJyRTXoe_')
    const MiB = 1 << 20
    const vectors: [number, string][] = [
      [1 * MiB, 'Foyl8onxBLWeRLL5oItRJphv6i4b'],
      [4 * MiB, 'FicHOveBNs5Kn9d74M3b9tI4D-8r'],
      [5 * MiB, 'lg-Eb5KFCuZn-cUfj_oS2PPOU9xy'],
      [8 * MiB, 'lkSKZOMToDp-EqLDVuT1pyjQssl-'],
      [9 * MiB, 'ljgVjMtyMsOgIySv79U8Qz4TrUO4'],
    ]
    for (const [size, etag] of vectors) expect(await qiniuEtag(sdkTestData(size)), `${size} bytes`).toBe(etag)
  })
})

describe('Qiniu private download URLs', () => {
  it('signs a URL with a query as the SDKs do (java-sdk testPrivateDownloadUrl vector)', async () => {
    expect(await signDownloadUrl('http://www.qiniu.com?go=1', 1234567890 + 3600, DUMMY)).toBe(
      'http://www.qiniu.com?go=1&e=1234571490&token=abcdefghklmnopq:8vzBeLZ9W3E4kbBLFLW0Xe0u7v4=',
    )
  })

  it('encodes each key segment and keeps the slashes, so + % ? # spaces and non-ASCII survive', () => {
    expect(encodeKeyPath('dir/a b+c%d?e#f/é&g=h')).toBe('dir/a%20b%2Bc%25d%3Fe%23f/%C3%A9%26g%3Dh')
    expect(encodeKeyPath('/lead//double/')).toBe('/lead//double/')
  })

  it('builds <domain>/<key>?e=…&token=… and signs the URL exactly as it will be sent', async () => {
    const url = await privateDownloadUrl('http://Dl.Example.com:80/base/', 'dir/a b.csv', 1700000000, DUMMY)
    const base = 'http://dl.example.com/base/dir/a%20b.csv'
    expect(url).toBe(await signDownloadUrl(base, 1700000000, DUMMY))
    expect(url).toMatch(/^http:\/\/dl\.example\.com\/base\/dir\/a%20b\.csv\?e=1700000000&token=abcdefghklmnopq:[\w=-]{28}$/)
  })

  it('refuses keys with dot segments and domains with a query, which would address something else', async () => {
    for (const key of ['a/../b', './a', 'a/.']) {
      await expect(privateDownloadUrl('http://d.example.com', key, 1, DUMMY)).rejects.toMatchObject({ name: 'ObjectIOError', code: 'InvalidArgument' })
    }
    await expect(privateDownloadUrl('http://d.example.com/?x=1', 'k', 1, DUMMY)).rejects.toBeInstanceOf(ObjectIOError)
    expect(await privateDownloadUrl('http://d.example.com', 'a/..b/.c', 1, DUMMY)).toContain('/a/..b/.c?e=1&')
  })
})

describe('Qiniu upload tokens and forms', () => {
  it('signs the put policy JSON in its field order (java-sdk testUploadToken2 vector)', async () => {
    expect(await uploadToken({ scope: '1:2', deadline: 1234567890 + 3600, endUser: 'y' }, DUMMY)).toBe(
      'abcdefghklmnopq:zx3NdMGffQ0JhUlgGSU5oeTx9Nk=:eyJzY29wZSI6IjE6MiIsImRlYWRsaW5lIjoxMjM0NTcxNDkwLCJlbmRVc2VyIjoieSJ9',
    )
  })

  it('builds a multipart body a form parser reads back exactly, a key with lone CR and LF included', async () => {
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)
    const key = 'dir/naïve\rline\nkey "q".csv'
    const form = uploadForm({ token: 'ak:sig:policy', key }, { bytes, contentType: 'text/csv; charset=utf-8', filename: 'naïve\rline\nkey "q".csv' })
    expect(form.contentType).toMatch(/^multipart\/form-data; boundary=----batchgate-[0-9a-f]{32}$/)
    const parsed = await new Response(form.body, { headers: { 'Content-Type': form.contentType } }).formData()
    expect(parsed.get('token')).toBe('ak:sig:policy')
    expect(parsed.get('key')).toBe(key)
    const file = parsed.get('file') as unknown as File
    expect(file.type).toBe('text/csv; charset=utf-8')
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes)
    // The file part comes last, as the upload API asks.
    const text = new TextDecoder().decode(form.body)
    expect(text.indexOf('name="file"')).toBeGreaterThan(text.indexOf('name="key"'))
    expect(text).toContain('filename="naïve%0Dline%0Akey %22q%22.csv"')
  })
})

describe('Qiniu RSF listing', () => {
  const account = QiniuAccount.parse({ provider: 'qiniu', accessKey: 'AK', secretKey: 'SK' })

  it('asks the default rsf host for a page with every parameter percent-encoded', () => {
    expect(listUrl(account, 'b', 'dir/a b+c', null, 1000).href).toBe('https://rsf.qiniuapi.com/list?bucket=b&marker=&limit=1000&prefix=dir%2Fa%20b%2Bc')
    const other = QiniuAccount.parse({ provider: 'qiniu', accessKey: 'AK', secretKey: 'SK', rsfEndpoint: 'http://rsf.local:8080/' })
    expect(listUrl(other, 'b', '', 'eyJjIjowLCJrIjoiYSJ9', 5).href).toBe('http://rsf.local:8080/list?bucket=b&marker=eyJjIjowLCJrIjoiYSJ9&limit=5&prefix=')
  })

  it('turns items into listed objects (putTime in 100 ns → ISO ms, hash as the etag) and the marker into the cursor', () => {
    // The shape of a real answer (putTime past 2^53, an extra md5 field).
    const page = parseListAnswer(
      '{"marker":"eyJjIjowLCJrIjoibm90ZXMvIn0=","items":[{"key":"notes/","hash":"Fto5o-5ea0sNMlW_75VgGJCv2AcJ","fsize":0,"mimeType":"application/qiniu-object-manager","putTime":16942710672072363,"type":0,"status":0,"md5":"d41d8cd98f00b204e9800998ecf8427e"}]}',
    )
    expect(page).toEqual({
      objects: [{ key: 'notes/', size: 0, lastModified: new Date(1694271067207).toISOString(), etag: 'Fto5o-5ea0sNMlW_75VgGJCv2AcJ' }],
      next: 'eyJjIjowLCJrIjoibm90ZXMvIn0=',
    })
    expect(parseListAnswer('{"items":[]}')).toEqual({ objects: [], next: null })
    expect(parseListAnswer('{"marker":"","items":null}')).toEqual({ objects: [], next: null })
  })

  it('refuses answers that are not the documented shape as retriable provider errors', () => {
    for (const bad of ['<html>', '[]', '{"items":[{"key":"a"}]}', '{"items":[{"key":"a","hash":"h","fsize":-1,"putTime":1}]}']) {
      expect(() => parseListAnswer(bad)).toThrow(expect.objectContaining({ code: 'ProviderError', retriable: true }))
    }
  })
})

describe('Qiniu object errors', () => {
  it('maps Qiniu codes to the unified ones, retrying only throttling and passing faults', () => {
    const cases: [number, string, boolean][] = [
      [612, 'NoSuchKey', false],
      [404, 'NoSuchKey', false],
      [631, 'NoSuchBucket', false],
      [614, 'DestinationExists', false],
      [401, 'AccessDenied', false],
      [403, 'AccessDenied', false],
      [640, 'InvalidArgument', false],
      [413, 'InvalidArgument', false],
      [573, 'Throttled', true],
      [429, 'Throttled', true],
      [503, 'ProviderError', true],
      [599, 'ProviderError', true],
      [579, 'ProviderError', false],
    ]
    for (const [status, code, retriable] of cases) expect(qiniuIOError(status, '{"error":"x"}', 'Qiniu'), String(status)).toMatchObject({ code, retriable })
    expect(qiniuIOError(401, '{"error":"bad token"}', 'Qiniu upload').message).toBe('access denied (Qiniu upload answered 401: bad token)')
  })
})
