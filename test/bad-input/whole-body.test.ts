import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { unique } from '../helpers.ts'
import { captureConsole, bytes, expectNoCrash, expectProblem, expectUntouched, jobAndScheduleCounts, send, streamOf } from './harness.ts'

// Bodies that are wrong as a whole, on every JSON route: not JSON, not UTF-8, nested beyond reason,
// larger than the limit (with and without Content-Length), of another media type, or empty. Each
// answers a 4xx problem naming `body` (or the field), and nothing runs.

const lines = captureConsole()
const LIMIT = Number(env.MAX_BODY_BYTES)
const JOB = '00000000-0000-4000-8000-000000000000'
const ROUTES = ['/v1/batch', '/v1/jobs', `/v1/jobs/${JOB}/status`, `/v1/jobs/${JOB}/priority`, '/v1/schedules']
const bucket = unique('bad-body')
const goodBatch = `{"account":"qiniu","operations":[{"op":"delete","bucket":"${bucket}","key":"k"}]}`

const post = (path: string, body: BodyInit, contentType: string | null = 'application/json') =>
  send(path, { method: 'POST', body, headers: contentType === null ? {} : { 'Content-Type': contentType } })

const MALFORMED: [string, string][] = [
  ['truncated', goodBatch.slice(0, -3)],
  ['trailing garbage', `${goodBatch} x`],
  ['two documents', `${goodBatch}${goodBatch}`],
  ['NaN', `{"account":"qiniu","operations":[{"op":"restore","bucket":"${bucket}","key":"k","days":NaN}]}`],
  ['Infinity', `{"account":"qiniu","operations":[{"op":"restore","bucket":"${bucket}","key":"k","days":Infinity}]}`],
  ['a line comment', `// run it\n${goodBatch}`],
  ['a block comment', `{"account":/* c */"qiniu","operations":[]}`],
  ['single quotes', goodBatch.replaceAll('"', "'")],
  ['a trailing comma', goodBatch.replace(']}', ',]}')],
  ['unquoted keys', goodBatch.replace('"account"', 'account')],
  ['a raw control character in a string', goodBatch.replace('"k"', '"k\u0001"')],
  ['a bad escape', goodBatch.replace('"k"', '"k\\x41"')],
  ['a lone backslash-u', goodBatch.replace('"k"', '"\\u12"')],
  ['undefined', 'undefined'],
  ['hex number', '{"priority":0x10}'],
  ['empty', ''],
  ['whitespace only', ' \n\t '],
  ['a UTF-16 body', '\ufeff'.concat(goodBatch)],
]

describe('whole bodies that are not a valid request', () => {
  it('answers malformed JSON with 400 MalformedJson naming body, on every JSON route', async () => {
    for (const path of ROUTES)
      for (const [name, text] of MALFORMED) {
        // "a UTF-16 body" is sent as UTF-16: every other byte NUL.
        const body = name === 'a UTF-16 body' ? new Uint8Array(new Uint16Array([...text].map((c) => c.charCodeAt(0))).buffer) : text
        const r = await post(path, body)
        expectProblem(r, 400, 'body', `${path} ${name}`)
        expect(r.json.code, `${path} ${name}`).toBe('MalformedJson')
      }
    expectNoCrash(lines)
  })

  it('answers JSON that is not an object with 400 naming body', async () => {
    for (const path of ROUTES)
      for (const text of ['null', '[]', '"a string"', '42', 'true', '[{"account":"qiniu"}]'])
        expectProblem(await post(path, text), 400, 'body', `${path} ${text}`)
  })

  it('answers a body that is not UTF-8 with 400 naming body, never reading it with replacement characters', async () => {
    const cases: [string, Uint8Array][] = [
      ['0xFF 0xFE inside a key', bytes('{"account":"qiniu","operations":[{"op":"delete","bucket":"', bucket, '","key":"a', [0xff, 0xfe], 'b"}]}')],
      ['a lone continuation byte', bytes('{"account":"qiniu","operations":[{"op":"delete","bucket":"', bucket, '","key":"', [0x80], '"}]}')],
      ['an overlong "/"', bytes('{"account":"qiniu","operations":[{"op":"delete","bucket":"', bucket, '","key":"', [0xc0, 0xaf], '"}]}')],
      ['an encoded surrogate', bytes('{"account":"qiniu","operations":[{"op":"delete","bucket":"', bucket, '","key":"', [0xed, 0xa0, 0x80], '"}]}')],
      ['a code point past U+10FFFF', bytes('{"account":"qiniu","operations":[{"op":"delete","bucket":"', bucket, '","key":"', [0xf4, 0x90, 0x80, 0x80], '"}]}')],
      ['a sequence cut at the end', bytes('{"account":"qiniu","operations":[{"op":"delete","bucket":"', bucket, '","key":"k"}]}', [0xe2, 0x82])],
      ['Latin-1 text', bytes('{"account":"qiniu","operations":[{"op":"delete","bucket":"', bucket, '","key":"caf', [0xe9], '"}]}')],
    ]
    for (const path of ROUTES)
      for (const [name, body] of cases) {
        const r = await post(path, body)
        expectProblem(r, 400, 'body', `${path} ${name}`)
        expect(r.json.errors[0].message, name).toBe('the body is not valid UTF-8')
      }
    // The same bytes with a valid UTF-8 "é" are a request like any other (a BOM before it is skipped).
    const ok = await post('/v1/batch', bytes([0xef, 0xbb, 0xbf], `{"account":"qiniu","operations":[{"op":"stat","bucket":"${bucket}-ok","key":"café"}]}`))
    expect(ok.status, ok.text).toBe(207)
    expectNoCrash(lines)
  })

  it('refuses JSON nested 100,000 levels deep, at the top or inside a field, without a stack overflow', async () => {
    const depth = 100_000
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    const op = (extra: string) => `{"account":"qiniu","operations":[{"op":"setMetadata","bucket":"${bucket}","key":"k",${extra}}]}`
    for (const path of ROUTES) {
      expectProblem(await post(path, '['.repeat(depth)), 400, 'body', `${path} unterminated`)
      expectProblem(await post(path, deepArray), 400, 'body', `${path} deep array`)
      expectProblem(await post(path, deepObject), 400, 'a', `${path} deep object`)
    }
    expectProblem(await post('/v1/batch', op(`"x":${deepArray}`)), 400, 'operations[0].x')
    expectProblem(await post('/v1/batch', op(`"metadata":{"m":${deepObject}}`)), 400, 'operations[0].metadata.m')
    expectProblem(await post('/v1/batch', op(`"metadata":${deepArray}`)), 400, 'operations[0].metadata')
    expectNoCrash(lines)
  })

  it('answers 413 for a body over MAX_BODY_BYTES, with Content-Length and streamed without it, on every JSON route', async () => {
    expect(LIMIT).toBeGreaterThan(10_000_000)
    const big = new Uint8Array(LIMIT + 1).fill(0x20)
    for (const path of ROUTES) {
      const sized = await post(path, big)
      expectProblem(sized, 413, undefined, `${path} sized`)
      expect(sized.json.code).toBe('PayloadTooLarge')
      const streamed = await post(path, streamOf(LIMIT + 1))
      expectProblem(streamed, 413, undefined, `${path} streamed`)
    }
    // Exactly at the limit is read (and then refused for what it says, not for its size).
    const at = await post('/v1/batch', new Uint8Array(LIMIT).fill(0x20))
    expectProblem(at, 400, 'body')
    expectNoCrash(lines)
  })

  it('answers 415 for a body of another media type, or none named', async () => {
    for (const path of ROUTES)
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonp', 'json', null]) {
        const r = await post(path, goodBatch, type)
        expectProblem(r, 415, undefined, `${path} ${type}`)
      }
    expectNoCrash(lines)
  })

  it('refuses a body with __proto__ or constructor as a field, naming it, and pollutes nothing', async () => {
    const r = await post('/v1/batch', `{"account":"qiniu","__proto__":{"polluted":true},"operations":[{"op":"delete","bucket":"${bucket}","key":"k","constructor":{"prototype":{"x":1}}}]}`)
    expectProblem(r, 400, '__proto__')
    expect(r.json.errors.map((e: { path: string }) => e.path)).toContain('operations[0].constructor')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('answers numbers JSON cannot hold exactly, or that overflow to Infinity, with 400 naming the field', async () => {
    expectProblem(await post(`/v1/jobs/${JOB}/priority`, '{"priority":1e400}'), 400, 'priority')
    expectProblem(await post(`/v1/jobs/${JOB}/priority`, '{"priority":-1e400}'), 400, 'priority')
    expectProblem(await post(`/v1/jobs/${JOB}/priority`, '{"priority":2147483647.5}'), 400, 'priority')
    expectProblem(await post(`/v1/jobs/${JOB}/priority`, '{"priority":9007199254740993}'), 400, 'priority')
    expectProblem(await post('/v1/batch', `{"account":"qiniu","operations":[{"op":"setExpiry","bucket":"${bucket}","key":"k","days":1e400}]}`), 400, 'operations[0].days')
  })

  it('lists the errors of a body with thousands of bad operations without running out of memory', async () => {
    // 12 MB of "0," is six million bad operations; the answer names the array, not six million items.
    const n = Math.floor((LIMIT - 100) / 2)
    const r = await post('/v1/batch', `{"account":"qiniu","operations":[${'0,'.repeat(n - 1)}0]}`)
    expectProblem(r, 400, 'operations')
    expect(r.text.length).toBeLessThan(1_000_000)
    expectNoCrash(lines)
  })

  it('ran nothing and made no job or schedule for any of these bodies', async () => {
    await expectUntouched([bucket])
    expect(await jobAndScheduleCounts()).toEqual({ jobs: 0, schedules: 0 })
    expectNoCrash(lines)
  })
})
