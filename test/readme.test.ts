import { describe, expect, it } from 'vitest'
import readme from '../README.md?raw'
import { createAdapter, PROVIDERS } from '../shared/providers/accounts.ts'
import { AccountSettings } from '../shared/providers/accounts.ts'
import { OP_KINDS } from '../shared/schemas/operation.ts'

const SAMPLE = {
  qiniu: { provider: 'qiniu', accessKey: 'a', secretKey: 'b' },
  s3: { provider: 's3', endpoint: 'https://s3.amazonaws.com', accessKeyId: 'a', secretAccessKey: 'b' },
  ctyun: { provider: 'ctyun', accessKeyId: 'a', secretAccessKey: 'b' },
  oss: { provider: 'oss', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', accessKeyId: 'a', accessKeySecret: 'b' },
  pds: { provider: 'pds', endpoint: 'https://1.api.aliyunpds.com', accessToken: 't' },
  r2: { provider: 'r2', buckets: {} },
}

describe('README', () => {
  it('shows exactly the operations each provider adapter supports', () => {
    const header = readme.split('\n').find((l) => l.startsWith('| op |'))!
    const columns = header.split('|').map((c) => c.trim()).filter(Boolean).slice(1)
    expect([...columns].sort()).toEqual([...PROVIDERS].sort())
    const rows = new Map(
      readme
        .split('\n')
        .filter((l) => OP_KINDS.some((k) => l.startsWith(`| ${k} |`)))
        .map((l) => {
          const cells = l.split('|').map((c) => c.trim()).filter(Boolean)
          return [cells[0]!, cells.slice(1)] as const
        }),
    )
    expect([...rows.keys()].sort()).toEqual([...OP_KINDS].sort())
    columns.forEach((provider, i) => {
      const adapter = createAdapter(AccountSettings.parse(SAMPLE[provider as keyof typeof SAMPLE]), { fetch, r2Binding: () => undefined })
      for (const kind of OP_KINDS) expect(rows.get(kind)![i], `${kind} on ${provider}`).toBe(adapter.supports(kind) ? '✓' : '—')
    })
  })
})
