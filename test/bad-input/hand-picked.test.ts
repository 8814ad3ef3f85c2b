import { describe, expect, it } from 'vitest'
import { KEYS } from '../fixtures/keys.ts'
import { unique } from '../helpers.ts'
import { captureConsole, expectNoCrash, expectProblem, expectUntouched, jobAndScheduleCounts, postJson, type Answer } from './harness.ts'

// Cases a schema walk cannot think of: limits counted in UTF-8 bytes, characters that would change
// a provider request (NUL, CR/LF, "..", URL syntax in a bucket), provider-specific limits, and the
// bounds of the job fields. Each answers 400 naming the field; nothing reaches a provider.

const lines = captureConsole()
const bucket = unique('bad-hand')
const ACCOUNTS = ['qiniu', 's3', 'ctyun', 'oss', 'pds', 'local'] as const

const batch = (account: string, operations: unknown[], key?: string) => postJson('/v1/batch', { account, operations }, key)
const op = (fields: Record<string, unknown>) => ({ op: 'stat', bucket, key: 'k', ...fields })

/** 400 naming exactly these fields (in any order), with these messages when given. */
function refused(r: Answer, errors: Record<string, string | RegExp | undefined>, label = '') {
  expectProblem(r, 400, undefined, label)
  const got = Object.fromEntries((r.json.errors as { path: string; message: string }[]).map((e) => [e.path, e.message]))
  expect(Object.keys(got).sort(), `${label}: ${r.text}`).toEqual(Object.keys(errors).sort())
  for (const [path, message] of Object.entries(errors))
    if (message !== undefined) expect(got[path], `${label} ${path}`).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message)
}

const euro = (n: number) => '€'.repeat(n) // 3 UTF-8 bytes, 1 UTF-16 unit
const emoji = (n: number) => '😀'.repeat(n) // 4 UTF-8 bytes, 2 UTF-16 units

describe('hand-picked bad input', () => {
  it('counts the 1,024-byte key limit in UTF-8 bytes, for keys, destinations, names and manifest keys', async () => {
    for (const account of ['qiniu', 's3', 'oss', 'local']) {
      for (const key of [euro(342), `${euro(341)}ab`, emoji(257), `${'a'.repeat(1023)}é`])
        refused(await batch(account, [op({ key })]), { 'operations[0].key': 'must be at most 1,024 UTF-8 bytes' }, `${account} ${key.length}`)
      refused(await batch(account, [{ op: 'copy', bucket, key: 'k', destination: { bucket, key: emoji(300) } }]), { 'operations[0].destination.key': 'must be at most 1,024 UTF-8 bytes' })
    }
    refused(await batch('pds', [{ op: 'copy', bucket, key: 'k', destination: { bucket, parentFileId: 'root', name: euro(400) } }]), { 'operations[0].destination.name': 'must be at most 1,024 UTF-8 bytes' })
    const job = { clientRequestToken: unique('t'), account: 's3', operation: { op: 'delete' }, manifest: { location: { bucket, key: 'm.csv' } }, report: { enabled: false } }
    refused(await postJson('/v1/jobs', { ...job, manifest: { location: { bucket, key: euro(342) } } }), { 'manifest.location.key': 'must be at most 1,024 UTF-8 bytes' })
    refused(await postJson('/v1/jobs', { ...job, manifest: undefined, manifestGenerator: { sourceBucket: bucket, prefix: euro(342) } }), { 'manifestGenerator.prefix': 'must be at most 1024 UTF-8 bytes' })
    refused(await postJson('/v1/jobs', { ...job, operation: { op: 'copy', destination: { bucket, prefix: emoji(257) } } }), { 'operation.destination.prefix': 'must be at most 1024 UTF-8 bytes' })
    refused(await postJson('/v1/jobs', { ...job, report: { enabled: true, bucket, prefix: euro(171) } }), { 'report.prefix': 'must be at most 512 UTF-8 bytes' })
    await expectUntouched([bucket])
  })

  it('runs keys of exactly 1,024 UTF-8 bytes (the limit is not off by one)', async () => {
    const at = unique('bad-hand-at')
    for (const key of [`${euro(341)}a`, emoji(256), 'a'.repeat(1024)]) {
      const r = await batch('s3', [{ op: 'stat', bucket: at, key }])
      expect(r.status, r.text).toBe(207)
      expect(r.json.results[0].error.code).toMatch(/NoSuch(Key|Bucket)/)
    }
  })

  it('refuses NUL in keys, destinations, names, prefixes and versions on every provider', async () => {
    for (const account of ACCOUNTS) {
      refused(await batch(account, [op({ key: 'a\u0000b' })]), { 'operations[0].key': 'must not contain NUL' }, account)
      refused(await batch(account, [{ op: 'move', bucket, key: 'k', destination: { bucket, key: '\u0000' } }]), { 'operations[0].destination.key': 'must not contain NUL' }, account)
      refused(await batch(account, [op({ versionId: 'v\u0000' })]), { 'operations[0].versionId': 'must not contain control characters' }, account)
    }
    refused(await batch('pds', [{ op: 'copy', bucket, key: 'k', destination: { bucket, parentFileId: 'root\u0000', name: 'n\u0000' } }]), {
      'operations[0].destination.parentFileId': 'must not contain control characters',
      'operations[0].destination.name': 'must not contain NUL',
    })
    await expectUntouched([bucket])
  })

  it('refuses "." and ".." key segments on the stores whose object URLs would resolve them, and keeps them on the others', async () => {
    for (const account of ['s3', 'ctyun', 'oss']) {
      for (const key of ['..', 'a/../b', './a', 'a/.', '../../etc/passwd'])
        refused(await batch(account, [op({ key })]), { 'operations[0].key': /cannot carry "\." or "\.\." path segments/ }, `${account} ${key}`)
      refused(await batch(account, [{ op: 'copy', bucket, key: 'k', destination: { bucket, key: 'a/../b' } }]), { 'operations[0].destination.key': /path segments/ })
    }
    await expectUntouched([bucket])
    // Qiniu and R2 address keys as opaque strings (an EncodedEntryURI, a binding call): ".." is just a key there.
    const other = unique('bad-hand-dots')
    for (const account of ['qiniu', 'local']) {
      const r = await batch(account, [{ op: 'stat', bucket: account === 'local' ? 'demo' : other, key: 'a/../b' }])
      expect(r.status, r.text).toBe(207)
    }
  })

  it('refuses bucket names a URL would reinterpret, and those a provider cannot hold, before any request', async () => {
    for (const account of ACCOUNTS)
      for (const b of ['evil.example#', 'evil.example?x=', 'evil.example\\', 'user@evil.example', 'a b', 'a/b', 'a:b', 'bücket', '%41', '', 'x'.repeat(256)])
        refused(await batch(account, [op({ bucket: b })]), { 'operations[0].bucket': undefined }, `${account} ${JSON.stringify(b)}`)
    refused(await batch('s3', [{ op: 'copy', bucket, key: 'k', destination: { bucket: 'evil.example#', key: 'k' } }]), { 'operations[0].destination.bucket': /letters, digits/ })
    const job = { clientRequestToken: unique('t'), account: 'oss', operation: { op: 'delete' }, manifest: { location: { bucket: 'evil.example#', key: 'm.csv' } }, report: { enabled: true, bucket: 'a b' } }
    refused(await postJson('/v1/jobs', job), { 'manifest.location.bucket': /letters, digits/, 'report.bucket': /letters, digits/ })
    await expectUntouched([bucket])
  })

  it('refuses CR/LF and other control characters in metadata, content types and tags (no header injection), and non-ASCII metadata where headers carry it', async () => {
    const injected = 'v\r\nx-amz-acl: public-read-write'
    for (const account of ACCOUNTS) {
      refused(await batch(account, [op({ op: 'setMetadata', metadata: { owner: injected } })]), { 'operations[0].metadata.owner': 'must not contain control characters' }, account)
      refused(await batch(account, [op({ op: 'setMetadata', contentType: `text/plain\r\nx-oss-object-acl: public-read` })]), { 'operations[0].contentType': 'must not contain control characters' }, account)
      refused(await batch(account, [op({ op: 'setMetadata', metadata: { 'a\r\nb': 'v' } })]), { 'operations[0].metadata.a\r\nb': /^invalid key: must be 1-128 of/ }, account)
      refused(await batch(account, [op({ op: 'putTagging', tags: { env: 'a\nb' } })]), { 'operations[0].tags.env': 'must not contain control characters' }, account)
    }
    for (const account of ['s3', 'ctyun', 'oss'])
      refused(await batch(account, [op({ op: 'setMetadata', metadata: { owner: 'café' } })]), { 'operations[0].metadata.owner': /metadata values must be printable ASCII/ }, account)
    refused(await batch('s3', [op({ op: 'setMetadata', contentType: 'text/plain; name=é' })]), { 'operations[0].contentType': 'must be printable ASCII' })
    await expectUntouched([bucket])
  })

  it('refuses tag sets over the limits: more than 10 tags, keys over 128 and values over 256 characters, empty keys', async () => {
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']))
    refused(await batch('s3', [op({ op: 'putTagging', tags: eleven })]), { 'operations[0].tags': 'at most 10 tags' })
    refused(await batch('s3', [op({ op: 'putTagging', tags: { ['k'.repeat(129)]: 'v' } })]), { [`operations[0].tags.${'k'.repeat(129)}`]: 'invalid key: must be at most 128 characters' })
    refused(await batch('s3', [op({ op: 'putTagging', tags: { env: 'v'.repeat(257) } })]), { 'operations[0].tags.env': 'must be at most 256 characters' })
    refused(await batch('oss', [op({ op: 'putTagging', tags: { '': 'v' } })]), { 'operations[0].tags.': 'invalid key: tag keys must not be empty' })
    // A refused key of a megabyte is named by its start and length, not echoed whole.
    const huge = await batch('s3', [op({ op: 'putTagging', tags: { ['k'.repeat(1_000_000)]: 'v' } })])
    expectProblem(huge, 400)
    expect(huge.json.errors[0].path).toBe(`operations[0].tags.${'k'.repeat(200)}…(1000000 characters)`)
    expect(huge.text.length).toBeLessThan(2000)
    const job = { clientRequestToken: unique('t'), account: 's3', operation: { op: 'putTagging', tags: eleven }, manifest: { inline: `${bucket},k\n` }, report: { enabled: false } }
    refused(await postJson('/v1/jobs', job), { 'operation.tags': 'at most 10 tags' })
    await expectUntouched([bucket])
  })

  it('refuses restores of 0 or more than 365 days everywhere, and of more than 7 days on Qiniu', async () => {
    for (const account of ['qiniu', 's3', 'oss']) {
      refused(await batch(account, [op({ op: 'restore', days: 0 })]), { 'operations[0].days': 'must be at least 1' }, account)
      refused(await batch(account, [op({ op: 'restore', days: 366 })]), { 'operations[0].days': 'must be at most 365' }, account)
      refused(await batch(account, [op({ op: 'restore', days: 1.5 })]), { 'operations[0].days': 'must be an integer' }, account)
    }
    refused(await batch('qiniu', [op({ op: 'restore', days: 31 })]), { 'operations[0].days': 'Qiniu restores for 1 to 7 days' })
    refused(await batch('qiniu', [op({ op: 'restore', days: 8, tier: 'Bulk' })]), { 'operations[0].days': undefined, 'operations[0].tier': 'Qiniu has no restore tiers' })
    await expectUntouched([bucket])
  })

  it('refuses priorities of -1 and 2^31 and tokens of 65 characters, creating no job', async () => {
    const before = await jobAndScheduleCounts()
    const job = { clientRequestToken: unique('t'), account: 'local', operation: { op: 'delete' }, manifest: { inline: 'demo,never\n' }, report: { enabled: false }, confirmationRequired: true }
    for (const priority of [-1, 2 ** 31, Number.MAX_SAFE_INTEGER])
      refused(await postJson('/v1/jobs', { ...job, priority }), { priority: /^must be at (least 0|most 2147483647)$/ }, String(priority))
    refused(await postJson('/v1/jobs', { ...job, clientRequestToken: 't'.repeat(65) }), { clientRequestToken: undefined })
    refused(await postJson('/v1/jobs', { ...job, clientRequestToken: '' }), { clientRequestToken: undefined })
    expect(await jobAndScheduleCounts()).toEqual(before)

    // The bounds themselves are accepted: 0, 2^31-1 and a 64-character token.
    const made = await postJson('/v1/jobs', { ...job, clientRequestToken: 'x'.repeat(64), priority: 2 ** 31 - 1 })
    expect(made.status, made.text).toBe(201)
    for (const priority of [-1, 2 ** 31])
      refused(await postJson(`/v1/jobs/${made.json.jobId}/priority`, { priority }), { priority: undefined }, String(priority))
    const kept = await postJson(`/v1/jobs/${made.json.jobId}/priority`, { priority: 0 })
    expect(kept.status, kept.text).toBe(200)
  })

  it('refuses unknown, empty, over-long and NUL account names as fields, and forbidden ones with 403', async () => {
    for (const account of ['no-such-account', 'qiniu\u0000', 'QINIU'])
      refused(await batch(account, [op({})]), { account: `unknown account "${account}"` })
    refused(await batch('', [op({})]), { account: 'must not be empty' })
    refused(await batch('a'.repeat(129), [op({})]), { account: 'must be at most 128 characters' })
    const forbidden = await batch('qiniu', [op({})], KEYS.localOnly)
    expectProblem(forbidden, 403)
    await expectUntouched([bucket])
    expectNoCrash(lines)
  })
})
