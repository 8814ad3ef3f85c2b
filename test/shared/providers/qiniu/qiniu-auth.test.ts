import { describe, expect, it } from 'vitest'
import { toHex } from '../../../../shared/crypto/encoding.ts'
import { hmac } from '../../../../shared/crypto/hash.ts'
import { encodeBase64UrlString, encodedEntryURI } from '../../../../shared/crypto/qiniu-entry.ts'
import {
  canonicalMimeHeaderKey,
  FORM_CONTENT_TYPE,
  qboxSigningString,
  qiniuDate,
  qiniuSign,
  qiniuV2SigningString,
  signQbox,
  signQiniuV2,
  type QiniuHeadersInit,
} from '../../../../shared/providers/qiniu/qiniu-auth.ts'

// Vectors come from the shared reference provider-protocols.md §1.3, §1.4 and §1.6.
const GO = { accessKey: 'ak', secretKey: 'sk' }
const VERIFY = { accessKey: 'abcdefghklmnopq', secretKey: '1234567890' }
const CALLBACK_BODY =
  'name=sunflower.jpg&hash=Fn6qeQi4VDLQ347NiRm-RlQx_4O2&location=Shanghai&price=1500.00&uid=123'
const JSON_BODY = '{"name": "test"}'

describe('qiniuDate', () => {
  it('formats X-Qiniu-Date as yyyyMMddTHHmmssZ in UTC', () => {
    expect(qiniuDate(new Date(Date.UTC(2006, 0, 2, 15, 4, 5, 999)))).toBe('20060102T150405Z')
    expect(qiniuDate(new Date(0))).toBe('19700101T000000Z')
    expect(qiniuDate(new Date('2024-01-01T08:00:00+08:00'))).toBe('20240101T000000Z')
  })
})

describe('QBox token', () => {
  it('signs the QBox doc example exactly as Qiniu\'s documentation shows', async () => {
    const creds = { accessKey: 'MY_ACCESS_KEY', secretKey: 'MY_SECRET_KEY' }
    const path = '/move/bmV3ZG9jczpmaW5kX21hbi50eHQ=/bmV3ZG9jczpmaW5kLm1hbi50eHQ='
    const data = qboxSigningString({ path })
    expect(data).toBe(`${path}\n`)
    expect(toHex(await hmac('SHA-1', creds.secretKey, data))).toBe(
      '157b18874c0a1d83c4b0802074f0fd39f8e47843',
    )
    expect(await signQbox({ ...creds, path })).toBe(
      'QBox MY_ACCESS_KEY:FXsYh0wKHYPEsIAgdPD9OfjkeEM=',
    )
  })

  it('signs raw strings like Go Mac.Sign("hello") and Sign("-test")', async () => {
    expect(await qiniuSign('ak', 'sk', 'hello')).toBe('ak:NDN8cM0rwosxhHJ6QAcI7ialr0g=')
    expect(await qiniuSign('ak', 'sk', '-test')).toBe('ak:oJ59sZasiWSqL1o7ugZs5OInEK4=')
  })

  it('signs only "\\n" for an empty path, matching Go', async () => {
    const data = qboxSigningString({ path: '' })
    expect(data).toBe('\n')
    expect(await signQbox({ ...GO, path: '' })).toBe('QBox ak:qfWnqF1E_vfzjZnReCVkcSMl29M=')
  })

  it('leaves a JSON body out of the signature, as Go does for non-form bodies', async () => {
    const input = { path: '', contentType: 'application/json', body: JSON_BODY }
    expect(qboxSigningString(input)).toBe('\n')
    expect(await signQbox({ ...GO, ...input })).toBe('QBox ak:qfWnqF1E_vfzjZnReCVkcSMl29M=')
  })

  it('appends a form body, matching Go\'s "\\nname=test&language=go" vector', async () => {
    const input = { path: '', contentType: FORM_CONTENT_TYPE, body: 'name=test&language=go' }
    expect(qboxSigningString(input)).toBe('\nname=test&language=go')
    expect(await signQbox({ ...GO, ...input })).toBe('QBox ak:h8gBb1Adb2Jgoys1N8sRVAnNvpw=')
  })

  it('ignores the body when the form content type carries a charset suffix', () => {
    const input = {
      path: '/batch',
      contentType: `${FORM_CONTENT_TYPE};charset=UTF-8`,
      body: 'op=x',
    }
    expect(qboxSigningString(input)).toBe('/batch\n')
  })

  it('includes the raw query after the path', () => {
    expect(qboxSigningString({ path: '/stat/e', rawQuery: 'needparts=true' })).toBe(
      '/stat/e?needparts=true\n',
    )
    expect(qboxSigningString({ path: '/stat/e', rawQuery: '' })).toBe('/stat/e\n')
  })

  it('reproduces the Node SDK "Qbox verification" callback token', async () => {
    const input = { path: '/callback', contentType: FORM_CONTENT_TYPE, body: CALLBACK_BODY }
    expect(qboxSigningString(input)).toBe(`/callback\n${CALLBACK_BODY}`)
    expect(await signQbox({ ...VERIFY, ...input })).toBe(
      'QBox abcdefghklmnopq:T7F-SjxX7X2zI4Fc1vANiNt1AUE=',
    )
  })
})

describe('canonicalMimeHeaderKey', () => {
  it('canonicalises the Node SDK test names and leaves non-token names unchanged', () => {
    const cases: [string, string][] = [
      [':status', ':status'],
      [':x-test-1', ':x-test-1'],
      [':x-Test-2', ':x-Test-2'],
      ['content-type', 'Content-Type'],
      ['CONTENT-LENGTH', 'Content-Length'],
      ['oRiGin', 'Origin'],
      ['ReFer', 'Refer'],
      ['Last-Modified', 'Last-Modified'],
      ['acCePt-ChArsEt', 'Accept-Charset'],
      ['x-test-3', 'X-Test-3'],
      ['cache-control', 'Cache-Control'],
      ['七牛', '七牛'],
      ['x-qIniu-aAa', 'X-Qiniu-Aaa'],
      ['x qiniu-a', 'x qiniu-a'],
    ]
    for (const [input, expected] of cases) expect(canonicalMimeHeaderKey(input)).toBe(expected)
  })
})

interface NodeV2Case {
  method: string
  url: string
  headers: Record<string, string>
  contentType: string | undefined
  body: string
  data: string
  token: string
}

// [upstream] Every case of Node SDK test/util.test.js "test generateAccessTokenV2" (AK ak, SK sk).
// The `data` strings are the ones §1.4 documents; the SDK takes path/host from the URL.
const formHeaders = { 'X-Qiniu-': 'a', 'X-Qiniu': 'b', 'Content-Type': FORM_CONTENT_TYPE }
const NODE_V2_CASES: NodeV2Case[] = [
  {
    method: 'GET',
    url: 'http://rs.qbox.me',
    headers: { 'x-Qiniu-': 'a', 'X-qIniu': 'b', 'Content-Type': FORM_CONTENT_TYPE },
    contentType: FORM_CONTENT_TYPE,
    body: JSON_BODY,
    data: `GET /\nHost: rs.qbox.me\nContent-Type: ${FORM_CONTENT_TYPE}\n\n${JSON_BODY}`,
    token: 'Qiniu ak:CK4wBVOL6sLbVE4G4mrXqL_yEc4=',
  },
  {
    method: 'GET',
    url: 'http://rs.qbox.me',
    headers: formHeaders,
    contentType: FORM_CONTENT_TYPE,
    body: JSON_BODY,
    data: `GET /\nHost: rs.qbox.me\nContent-Type: ${FORM_CONTENT_TYPE}\n\n${JSON_BODY}`,
    token: 'Qiniu ak:CK4wBVOL6sLbVE4G4mrXqL_yEc4=',
  },
  {
    method: 'GET',
    url: 'http://rs.qbox.me',
    headers: { 'Content-Type': 'application/json' },
    contentType: 'application/json',
    body: JSON_BODY,
    data: `GET /\nHost: rs.qbox.me\nContent-Type: application/json\n\n${JSON_BODY}`,
    token: 'Qiniu ak:ksh7bJBnBzFO0yxJ_tLLUcg0csM=',
  },
  {
    method: 'POST',
    url: 'http://rs.qbox.me',
    headers: { 'Content-Type': 'application/json', 'X-Qiniu': 'b' },
    contentType: 'application/json',
    body: JSON_BODY,
    data: `POST /\nHost: rs.qbox.me\nContent-Type: application/json\n\n${JSON_BODY}`,
    token: 'Qiniu ak:IlW01tHjGQ0pGPXV_3jjR1AdD34=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com',
    headers: formHeaders,
    contentType: FORM_CONTENT_TYPE,
    body: JSON_BODY,
    data: `GET /\nHost: upload.qiniup.com\nContent-Type: ${FORM_CONTENT_TYPE}\n\n${JSON_BODY}`,
    token: 'Qiniu ak:156x8Q4x1zadPcAyMRVDsioIyAk=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com',
    headers: {
      'Content-Type': 'application/json',
      'X-Qiniu-Bbb': 'BBB',
      'X-Qiniu-Aaa': 'DDD',
      'X-Qiniu-': 'a',
      'X-Qiniu': 'b',
    },
    contentType: 'application/json',
    body: JSON_BODY,
    data:
      'GET /\nHost: upload.qiniup.com\nContent-Type: application/json\n' +
      `X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\n${JSON_BODY}`,
    token: 'Qiniu ak:eOaX4RziJPW9ywnJ02jshmEMfhI=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com',
    headers: {
      'Content-Type': 'application/octet-stream',
      'X-Qiniu-Bbb': 'BBB',
      'X-Qiniu-Aaa': 'DDD',
      'X-Qiniu-': 'a',
      'X-Qiniu': 'b',
    },
    contentType: 'application/octet-stream',
    body: JSON_BODY,
    data:
      'GET /\nHost: upload.qiniup.com\nContent-Type: application/octet-stream\n' +
      'X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\n',
    token: 'Qiniu ak:GQQrYvDCdN_RaVjyJC7hIkv5TYk=',
  },
  {
    method: 'gET',
    url: 'http://upload.qiniup.com',
    headers: {
      'Content-Type': 'application/json',
      'X-Qiniu-Bbb': 'BBB',
      'x-qIniu-aAa': 'DDD',
      'X-Qiniu-': 'a',
      'X-Qiniu': 'b',
    },
    contentType: 'application/json',
    body: JSON_BODY,
    data:
      'GET /\nHost: upload.qiniup.com\nContent-Type: application/json\n' +
      `X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\n${JSON_BODY}`,
    token: 'Qiniu ak:eOaX4RziJPW9ywnJ02jshmEMfhI=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com',
    headers: { ...formHeaders, 'X-Qiniu-Bbb': 'BBB', 'X-Qiniu-Aaa': 'DDD' },
    contentType: FORM_CONTENT_TYPE,
    body: 'name=test&language=go',
    data:
      `GET /\nHost: upload.qiniup.com\nContent-Type: ${FORM_CONTENT_TYPE}\n` +
      'X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\nname=test&language=go',
    token: 'Qiniu ak:A5PMXECSPZQxitJqLj0op2B2GEM=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com',
    headers: { 'Content-Type': FORM_CONTENT_TYPE, 'X-Qiniu-Bbb': 'BBB', 'X-Qiniu-Aaa': 'DDD' },
    contentType: FORM_CONTENT_TYPE,
    body: 'name=test&language=go',
    data:
      `GET /\nHost: upload.qiniup.com\nContent-Type: ${FORM_CONTENT_TYPE}\n` +
      'X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\nname=test&language=go',
    token: 'Qiniu ak:A5PMXECSPZQxitJqLj0op2B2GEM=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com/mkfile/sdf.jpg',
    headers: { ...formHeaders, 'X-Qiniu-Bbb': 'BBB', 'X-Qiniu-Aaa': 'DDD' },
    contentType: FORM_CONTENT_TYPE,
    body: 'name=test&language=go',
    data:
      `GET /mkfile/sdf.jpg\nHost: upload.qiniup.com\nContent-Type: ${FORM_CONTENT_TYPE}\n` +
      'X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\nname=test&language=go',
    token: 'Qiniu ak:fkRck5_LeyfwdkyyLk-hyNwGKac=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com/mkfile/sdf.jpg?s=er3&df',
    headers: { ...formHeaders, 'X-Qiniu-Bbb': 'BBB', 'X-Qiniu-Aaa': 'DDD' },
    contentType: FORM_CONTENT_TYPE,
    body: 'name=test&language=go',
    data:
      'GET /mkfile/sdf.jpg?s=er3&df\nHost: upload.qiniup.com\n' +
      `Content-Type: ${FORM_CONTENT_TYPE}\n` +
      'X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\nname=test&language=go',
    token: 'Qiniu ak:PUFPWsEUIpk_dzUvvxTTmwhp3p4=',
  },
  {
    method: 'GET',
    url: 'http://upload.qiniup.com/mkfile/sdf.jpg?s=er3&df',
    headers: { 'X-Qiniu-Bbb': 'BBB', 'X-Qiniu-Aaa': 'DDD', 'X-Qiniu-': 'a', 'X-Qiniu': 'b' },
    contentType: undefined,
    body: 'name=test&language=go',
    data:
      'GET /mkfile/sdf.jpg?s=er3&df\nHost: upload.qiniup.com\n' +
      `Content-Type: ${FORM_CONTENT_TYPE}\n` +
      'X-Qiniu-Aaa: DDD\nX-Qiniu-Bbb: BBB\n\nname=test&language=go',
    token: 'Qiniu ak:PUFPWsEUIpk_dzUvvxTTmwhp3p4=',
  },
]

describe('Qiniu v2 token', () => {
  NODE_V2_CASES.forEach((c, i) => {
    it(`reproduces Node generateAccessTokenV2 case ${i + 1} (${c.method} ${c.url})`, async () => {
      const url = new URL(c.url)
      const input = {
        method: c.method,
        path: url.pathname,
        rawQuery: url.search.slice(1),
        host: url.host,
        contentType: c.contentType,
        headers: c.headers,
        body: c.body,
      }
      expect(qiniuV2SigningString(input)).toBe(c.data)
      expect(await signQiniuV2({ ...GO, ...input })).toBe(c.token)
    })
  })

  it('upper-cases a mixed-case method and canonicalises x-qIniu-aAa to X-Qiniu-Aaa', () => {
    const data = qiniuV2SigningString({
      method: 'gET',
      path: '/',
      host: 'h',
      contentType: 'application/json',
      headers: { 'x-qIniu-aAa': 'DDD' },
    })
    expect(data).toBe('GET /\nHost: h\nContent-Type: application/json\nX-Qiniu-Aaa: DDD\n\n')
  })

  it('ignores the bare X-Qiniu- and X-Qiniu headers', () => {
    const withJunk = qiniuV2SigningString({
      method: 'GET',
      path: '/',
      host: 'h',
      headers: { 'X-Qiniu-': 'a', 'X-Qiniu': 'b', 'x-qiniu-': 'c', 'X-Qiniux': 'd' },
    })
    expect(withJunk).toBe(`GET /\nHost: h\nContent-Type: ${FORM_CONTENT_TYPE}\n\n`)
  })

  it('signs an undefined or empty content type as the form type', () => {
    const base = { method: 'POST', path: '/batch', host: 'h', body: 'op=x' }
    const expected = `POST /batch\nHost: h\nContent-Type: ${FORM_CONTENT_TYPE}\n\nop=x`
    expect(qiniuV2SigningString(base)).toBe(expected)
    expect(qiniuV2SigningString({ ...base, contentType: '' })).toBe(expected)
  })

  it('accepts headers as pairs or a Headers object and sorts by name then value', () => {
    const expected =
      'GET /\nHost: h\nContent-Type: application/json\n' +
      'X-Qiniu-A: 1\nX-Qiniu-A: 2\nX-Qiniu-B: 0\n\n'
    const pairs: QiniuHeadersInit = [
      ['x-qiniu-b', '0'],
      ['X-QINIU-A', '2'],
      ['x-qiniu-a', '1'],
      ['Content-Type', 'application/json'],
    ]
    const base = { method: 'GET', path: '/', host: 'h', contentType: 'application/json' }
    expect(qiniuV2SigningString({ ...base, headers: pairs })).toBe(expected)
    const headers = new Headers({ 'x-qiniu-b': '0', 'x-qiniu-a': '1' })
    expect(qiniuV2SigningString({ ...base, headers })).toBe(
      'GET /\nHost: h\nContent-Type: application/json\nX-Qiniu-A: 1\nX-Qiniu-B: 0\n\n',
    )
  })

  it('signs the host exactly as given, port included', () => {
    const url = new URL('http://127.0.0.1:8080/batch')
    expect(qiniuV2SigningString({ method: 'POST', path: url.pathname, host: url.host })).toBe(
      `POST /batch\nHost: 127.0.0.1:8080\nContent-Type: ${FORM_CONTENT_TYPE}\n\n`,
    )
  })

  // [upstream] Go auth/credentials_test.go TestCollectDataV2 / TestAuthSignRequestV2: the URL is
  // empty, so path and Host are "" — checked here as signing string → token.
  const goCases: [Parameters<typeof qiniuV2SigningString>[0], string, string][] = [
    [
      { method: 'GET', path: '', host: '', body: JSON_BODY },
      `GET \nHost: \nContent-Type: ${FORM_CONTENT_TYPE}\n\n${JSON_BODY}`,
      'ak:0i1vKClRDWFyNkcTFzwcE7PzX74=',
    ],
    [
      { method: 'GET', path: '', host: '', contentType: 'application/json', body: JSON_BODY },
      `GET \nHost: \nContent-Type: application/json\n\n${JSON_BODY}`,
      'ak:K1DI0goT05yhGizDFE5FiPJxAj4=',
    ],
    [
      { method: 'POST', path: '', host: '', contentType: 'application/json', body: JSON_BODY },
      `POST \nHost: \nContent-Type: application/json\n\n${JSON_BODY}`,
      'ak:0ujEjW_vLRZxebsveBgqa3JyQ-w=',
    ],
    [
      {
        method: 'GET',
        path: '',
        host: 'upload.qiniup.com',
        contentType: FORM_CONTENT_TYPE,
        headers: { 'X-Qiniu-Bbb': '', 'X-Qiniu-Aaa': '' },
        body: 'name=test&language=go',
      },
      `GET \nHost: upload.qiniup.com\nContent-Type: ${FORM_CONTENT_TYPE}\n` +
        'X-Qiniu-Aaa: \nX-Qiniu-Bbb: \n\nname=test&language=go',
      'ak:PSssnOFa3sUvpEjTfACJ9WWKBS4=',
    ],
  ]
  goCases.forEach(([input, data, token], i) => {
    it(`reproduces Go TestCollectDataV2 case ${i + 1} with empty URL`, async () => {
      expect(qiniuV2SigningString(input)).toBe(data)
      expect(await qiniuSign('ak', 'sk', data)).toBe(token)
      expect(await signQiniuV2({ ...GO, ...input })).toBe(`Qiniu ${token}`)
    })
  })

  it('reproduces the Node SDK "Qiniu verification" callback token', async () => {
    const input = {
      method: 'GET',
      path: '/callback',
      host: 'test.qiniu.com',
      contentType: FORM_CONTENT_TYPE,
      headers: { 'X-Qiniu-Bbb': 'BBB' },
      body: CALLBACK_BODY,
    }
    expect(qiniuV2SigningString(input)).toBe(
      `GET /callback\nHost: test.qiniu.com\nContent-Type: ${FORM_CONTENT_TYPE}\n` +
        `X-Qiniu-Bbb: BBB\n\n${CALLBACK_BODY}`,
    )
    expect(await signQiniuV2({ ...VERIFY, ...input })).toBe(
      'Qiniu abcdefghklmnopq:ZqS7EZuAKrhZaEIxqNGxDJi41IQ=',
    )
  })
})

describe('/batch example (§1.6, derived)', () => {
  const creds = { accessKey: 'AK', secretKey: 'SK' }
  const ops = [
    `/stat/${encodedEntryURI('mybucket', 'a.txt')}`,
    `/delete/${encodedEntryURI('mybucket', 'dir/b c.txt')}`,
    `/copy/${encodedEntryURI('mybucket', 'a.txt')}/${encodedEntryURI('mybucket', 'a-copy.txt')}` +
      '/force/true',
    `/chgm/${encodedEntryURI('mybucket', 'a.txt')}/mime/${encodeBase64UrlString('text/plain')}` +
      `/x-qn-meta-author/${encodeBase64UrlString('alice')}`,
  ]
  const body = new URLSearchParams(ops.map((op) => ['op', op])).toString()

  it('builds the documented ops and form body', () => {
    expect(ops).toEqual([
      '/stat/bXlidWNrZXQ6YS50eHQ=',
      '/delete/bXlidWNrZXQ6ZGlyL2IgYy50eHQ=',
      '/copy/bXlidWNrZXQ6YS50eHQ=/bXlidWNrZXQ6YS1jb3B5LnR4dA==/force/true',
      '/chgm/bXlidWNrZXQ6YS50eHQ=/mime/dGV4dC9wbGFpbg==/x-qn-meta-author/YWxpY2U=',
    ])
    expect(body).toBe(
      'op=%2Fstat%2FbXlidWNrZXQ6YS50eHQ%3D&op=%2Fdelete%2FbXlidWNrZXQ6ZGlyL2IgYy50eHQ%3D' +
        '&op=%2Fcopy%2FbXlidWNrZXQ6YS50eHQ%3D%2FbXlidWNrZXQ6YS1jb3B5LnR4dA%3D%3D%2Fforce%2Ftrue' +
        '&op=%2Fchgm%2FbXlidWNrZXQ6YS50eHQ%3D%2Fmime%2FdGV4dC9wbGFpbg%3D%3D' +
        '%2Fx-qn-meta-author%2FYWxpY2U%3D',
    )
  })

  it('signs the batch with a QBox token over path and form body', async () => {
    const input = { path: '/batch', contentType: FORM_CONTENT_TYPE, body }
    expect(qboxSigningString(input)).toBe(`/batch\n${body}`)
    expect(await signQbox({ ...creds, ...input })).toBe('QBox AK:AM87q15Ye24EhjUFdkbizbOc3dY=')
  })

  it('signs the batch with a Qiniu token including Host and X-Qiniu-Date', async () => {
    const url = new URL('https://rs-z0.qiniuapi.com/batch')
    const input = {
      method: 'POST',
      path: url.pathname,
      host: url.host,
      contentType: FORM_CONTENT_TYPE,
      headers: { 'X-Qiniu-Date': qiniuDate(new Date(Date.UTC(2024, 0, 1))) },
      body,
    }
    expect(qiniuV2SigningString(input)).toBe(
      'POST /batch\nHost: rs-z0.qiniuapi.com\nContent-Type: application/x-www-form-urlencoded\n' +
        `X-Qiniu-Date: 20240101T000000Z\n\n${body}`,
    )
    expect(await signQiniuV2({ ...creds, ...input })).toBe('Qiniu AK:NGlp7H0ZRyIXp0Fjve-okt20yYo=')
  })
})
