import { encodedEntryURI } from '../crypto/qiniu-entry.ts'
import { QINIU_MAX_OPS } from '../dialects/qiniu-batch-form.ts'

/** The OpenAPI paths of the Qiniu batch dialect (workers/api/routes/qiniu-dialect.ts). */

const qiniuError = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } } },
})

const item = {
  type: 'object',
  required: ['code'],
  properties: {
    code: { type: 'integer', description: "Qiniu's per-op code: 200, 400, 403, 573, 599, 612 (no such key), 614 (destination exists), 631 (no such bucket), …" },
    data: { type: 'object', description: "stat: Qiniu's stat shape { fsize, hash, mimeType, putTime (100 ns), type, … }; errors: { error }" },
  },
}
const answer = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'array', items: item } } } })

const example = ['/stat/', '/delete/'].map((op) => `op=${encodeURIComponent(op + encodedEntryURI('demo', 'tmp/scratch-2.txt'))}`).join('&')

const post = (glb: boolean) => ({
  summary: glb ? "Qiniu's /glb/batch, in Qiniu's shapes, on any account" : "Qiniu's /batch, in Qiniu's shapes, on any account",
  description:
    "Qiniu's own batch body (op=/stat/<EncodedEntryURI>&op=/copy/<src>/<dest>/force/true&…; every op form of Qiniu's management API" +
    `${glb ? ', with or without the legacy /glb/ prefix' : ''}) runs as a unified batch on the named account, whatever its provider, and is answered as Qiniu answers: ` +
    '200 when every op succeeded, 298 otherwise, one {code, data} per op in order. A delete of a missing key is 612, as on Qiniu.',
  security: [{ apiKey: [] }],
  parameters: [
    {
      name: 'X-Batchgate-Account',
      in: 'header',
      required: false,
      description: 'The account to run on; optional when the API key may use exactly one account.',
      schema: { type: 'string', minLength: 1, maxLength: 128 },
    },
  ],
  requestBody: {
    required: true,
    content: {
      'application/x-www-form-urlencoded': {
        schema: { type: 'object', required: ['op'], properties: { op: { type: 'array', minItems: 1, maxItems: QINIU_MAX_OPS, items: { type: 'string' } } } },
        encoding: { op: { style: 'form', explode: true } },
        example,
      },
    },
  },
  responses: {
    200: answer('every op succeeded'),
    298: answer('some ops failed'),
    400: qiniuError('a bad op (named by its index), no op or more than 1,000, not a form body, an unknown account, or no X-Batchgate-Account when the key has several'),
    401: qiniuError('missing or unknown API key'),
    403: qiniuError('the key may not use this account'),
    405: qiniuError('not POST'),
    413: qiniuError('body too large'),
  },
})

export const qiniuDialectPaths = {
  '/qiniu/batch': { post: post(false) },
  '/qiniu/glb/batch': { post: post(true) },
}
