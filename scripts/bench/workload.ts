/**
 * The benchmark's mixed Qiniu batch: 1,000 unified operations over 1,000 seeded objects, one
 * operation per object, built so that every iteration does the same work and gets the same answers.
 *
 *   40% stat             an existing object
 *   20% copy             to a fixed scratch key in a second bucket, overwrite: true
 *   15% setMetadata      a fixed contentType and one fixed x-qn-meta entry
 *   10% setExpiry        a fixed 30 days
 *    5% setLifecycle     a fixed toIAAfterDays 30
 *    5% setStorageClass  a fixed IA (toggling would not be repeatable)
 *    5% delete           a key that never exists: 612 from Qiniu, an idempotent success via the gateway
 *
 * The kinds are interleaved in a fixed pseudo-random order (seeded), so the batch is mixed the same
 * way every run.
 */
import type { SeedObject } from '../../test/emulators/control.ts'

export const BUCKET = 'bench'
export const SCRATCH_BUCKET = 'bench-scratch'

export type BenchOp =
  | { op: 'stat'; bucket: string; key: string }
  | { op: 'copy'; bucket: string; key: string; destination: { bucket: string; key: string }; overwrite: true }
  | { op: 'setMetadata'; bucket: string; key: string; contentType: string; metadata: Record<string, string> }
  | { op: 'setExpiry'; bucket: string; key: string; days: number }
  | { op: 'setLifecycle'; bucket: string; key: string; toIAAfterDays: number }
  | { op: 'setStorageClass'; bucket: string; key: string; storageClass: 'IA' }
  | { op: 'delete'; bucket: string; key: string }

export type BenchKind = BenchOp['op']

/** Share of each kind, in operations per 1,000 (sums to 1,000). */
export const MIX: ReadonlyArray<readonly [BenchKind, number]> = [
  ['stat', 400],
  ['copy', 200],
  ['setMetadata', 150],
  ['setExpiry', 100],
  ['setLifecycle', 50],
  ['setStorageClass', 50],
  ['delete', 50],
]

export interface Workload {
  operations: BenchOp[]
  /** Objects of {@link BUCKET} to seed (the scratch bucket starts empty). */
  seed: SeedObject[]
  counts: Record<BenchKind, number>
  /** How many Qiniu per-op codes the direct call must answer, by code. */
  expectedDirectCodes: Record<number, number>
}

/** mulberry32: a tiny seeded PRNG so the mix is identical on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pad = (i: number) => String(i).padStart(4, '0')

export function buildWorkload(size = 1000): Workload {
  // The mix is given per 1,000; for other sizes it is scaled down and the remainder goes to stat.
  const kinds: BenchKind[] = []
  for (const [kind, perMille] of MIX) for (let i = 0; i < Math.floor((perMille * size) / 1000); i++) kinds.push(kind)
  while (kinds.length < size) kinds.push('stat')
  // Fisher-Yates with a fixed seed.
  const random = prng(0x5eed)
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!]
  }

  const seed: SeedObject[] = []
  const counts = Object.fromEntries(MIX.map(([k]) => [k, 0])) as Record<BenchKind, number>
  const operations = kinds.map((kind, i): BenchOp => {
    counts[kind]++
    const key = `data/${pad(i)}.bin`
    // Every object but the delete targets exists; sizes and types vary a little, like real data.
    if (kind !== 'delete') seed.push({ key, fsize: 1024 + ((i * 7919) % 65536), mimeType: i % 3 === 0 ? 'image/jpeg' : 'application/octet-stream' })
    const bucket = BUCKET
    switch (kind) {
      case 'stat':
        return { op: 'stat', bucket, key }
      case 'copy':
        return { op: 'copy', bucket, key, destination: { bucket: SCRATCH_BUCKET, key: `copy/${pad(i)}.bin` }, overwrite: true }
      case 'setMetadata':
        return { op: 'setMetadata', bucket, key, contentType: 'text/plain; charset=utf-8', metadata: { owner: 'bench', batch: 'mixed-1000' } }
      case 'setExpiry':
        return { op: 'setExpiry', bucket, key, days: 30 }
      case 'setLifecycle':
        return { op: 'setLifecycle', bucket, key, toIAAfterDays: 30 }
      case 'setStorageClass':
        return { op: 'setStorageClass', bucket, key, storageClass: 'IA' }
      case 'delete':
        return { op: 'delete', bucket, key: `missing/${pad(i)}.bin` }
    }
  })
  // Codes no operation answers are left out (the direct client compares the counts as they are).
  const expectedDirectCodes = Object.fromEntries(Object.entries({ 200: size - counts.delete, 612: counts.delete }).filter(([, n]) => n > 0))
  return { operations, seed, counts, expectedDirectCodes }
}
