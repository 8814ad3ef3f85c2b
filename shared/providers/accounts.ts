import * as z from 'zod'
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../engine/engine.ts'
import { DEFAULT_RETRY } from '../engine/retry.ts'
import type { ProviderAdapter } from '../engine/types.ts'
import { parseWith, type FieldError } from '../schemas/issues.ts'
import { QiniuAccount } from './qiniu/qiniu-account.ts'
import { createQiniuAdapter } from './qiniu/qiniu-adapter.ts'
import { OssAccount } from './oss/oss-account.ts'
import { createOssAdapter } from './oss/oss-adapter.ts'
import { CtyunAccount, S3Account } from './s3/s3-account.ts'
import { createS3Adapter } from './s3/s3-adapter.ts'
import { PdsAccount } from './pds/pds-account.ts'
import { createPdsAdapter } from './pds/pds-adapter.ts'
import { R2Account } from './r2/r2-account.ts'
import { createR2Adapter } from './r2/r2-adapter.ts'
import type { R2BucketLike } from './r2/r2-bucket.ts'

/** One account's settings, discriminated by provider (§1). */
export const AccountSettings = z.discriminatedUnion('provider', [QiniuAccount, S3Account, CtyunAccount, OssAccount, PdsAccount, R2Account], {
  error: 'provider must be one of: qiniu, s3, ctyun, oss, pds, r2',
})
export type AccountSettings = z.output<typeof AccountSettings>
export const PROVIDERS = ['qiniu', 's3', 'ctyun', 'oss', 'pds', 'r2'] as const

/** The embedded default account: the Worker's own R2 buckets, so a fresh checkout needs no cloud. */
export const LOCAL_ACCOUNT_NAME = 'local'
export const LOCAL_ACCOUNT = { provider: 'r2', buckets: { demo: 'DEMO_BUCKET', backup: 'BACKUP_BUCKET' } } as const

export interface AdapterDeps {
  fetch: typeof fetch
  /** The R2 binding of that name, if the Worker has one. */
  r2Binding: (binding: string) => R2BucketLike | undefined
}

export type AccountLookup =
  | { ok: true; settings: AccountSettings }
  | { ok: false; reason: 'unknown' }
  | { ok: false; reason: 'invalid'; errors: FieldError[] }

/** The raw `ACCOUNTS` JSON, parsed once: names → unvalidated settings. */
export function parseAccountsJson(json: string | undefined): Record<string, unknown> {
  const parsed: unknown = json === undefined || json.trim() === '' ? {} : JSON.parse(json)
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('ACCOUNTS must be a JSON object of account name → settings')
  const accounts = { ...(parsed as Record<string, unknown>) }
  if (!Object.hasOwn(accounts, LOCAL_ACCOUNT_NAME)) accounts[LOCAL_ACCOUNT_NAME] = LOCAL_ACCOUNT
  return accounts
}

/** Validates one named account when it is first used; broken settings name the setting. */
export function lookupAccount(accounts: Record<string, unknown>, name: string): AccountLookup {
  if (!Object.hasOwn(accounts, name)) return { ok: false, reason: 'unknown' }
  const parsed = parseWith(AccountSettings, accounts[name])
  return parsed.success ? { ok: true, settings: parsed.data } : { ok: false, reason: 'invalid', errors: parsed.errors }
}

export function createAdapter(settings: AccountSettings, deps: AdapterDeps): ProviderAdapter {
  switch (settings.provider) {
    case 'qiniu':
      return createQiniuAdapter(settings, { fetch: deps.fetch })
    case 's3':
    case 'ctyun':
      return createS3Adapter(settings, { fetch: deps.fetch })
    case 'oss':
      return createOssAdapter(settings, { fetch: deps.fetch })
    case 'pds':
      return createPdsAdapter(settings, { fetch: deps.fetch })
    case 'r2':
      return createR2Adapter((bucket) => {
        const binding = Object.hasOwn(settings.buckets, bucket) ? settings.buckets[bucket] : undefined
        return binding === undefined ? undefined : deps.r2Binding(binding)
      })
  }
}

/** The engine's knobs for one account: its own tuning over the defaults. */
export function engineOptionsFor(settings: AccountSettings): EngineOptions {
  return {
    concurrency: settings.concurrency ?? DEFAULT_ENGINE_OPTIONS.concurrency,
    callTimeoutMs: settings.timeoutMs ?? DEFAULT_ENGINE_OPTIONS.callTimeoutMs,
    retry: { ...DEFAULT_RETRY, ...settings.retry },
  }
}
