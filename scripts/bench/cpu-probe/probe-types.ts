/** What the bench (Node) and the probe Worker (workerd) say to each other; no runtime imports. */

export interface ProbeRequest {
  provider: 'qiniu' | 's3' | 'ctyun' | 'oss' | 'pds'
  settings: Record<string, unknown>
  /** The POST /v1/batch body. */
  body: string
  phase: Phase
  /** The phase's loop runs about this long. */
  minLoopMs: number
}

export interface ProbeAnswer {
  /** Milliseconds per batch of the phase. */
  ms: number
  calls: number
}

export const PHASES = ['read', 'validate', 'check', 'run', 'answer', 'total'] as const
export type Phase = (typeof PHASES)[number]
