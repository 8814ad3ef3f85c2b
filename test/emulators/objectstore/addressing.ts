/**
 * Where an object-store request is addressed: the bucket and key from the Host header and the raw
 * path, path-style or virtual-hosted (the rules are in server.ts's header).
 */
import type { IncomingMessage } from 'node:http'

/** Request headers with lower-case names, repeated values joined by ','. */
export function joinedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, values] of Object.entries(req.headersDistinct)) if (values !== undefined) out[name] = values.join(',')
  return out
}

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1)
  const i = host.lastIndexOf(':')
  return (i >= 0 ? host.slice(0, i) : host).toLowerCase()
}

export interface Addressing {
  virtual: boolean
  bucket: string | undefined
  key: string | undefined
}

/** Bucket and key from the Host and the raw path; throws URIError on bad escapes. */
export function address(rawPath: string, hostHeader: string | undefined, suffixes: readonly string[]): Addressing {
  const name = hostName(hostHeader ?? '')
  const suffix = suffixes.find((s) => name.endsWith(s) && name.length > s.length)
  const dec = (s: string) => {
    const v = decodeURIComponent(s)
    if (!v.isWellFormed()) throw new URIError('not UTF-8')
    return v
  }
  if (suffix !== undefined) {
    const rest = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath
    return { virtual: true, bucket: name.slice(0, -suffix.length), key: rest === '' ? undefined : dec(rest) }
  }
  const p = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath
  if (p === '') return { virtual: false, bucket: undefined, key: undefined }
  const i = p.indexOf('/')
  if (i < 0) return { virtual: false, bucket: dec(p), key: undefined }
  const keyRaw = p.slice(i + 1)
  return { virtual: false, bucket: dec(p.slice(0, i)), key: keyRaw === '' ? undefined : dec(keyRaw) }
}
