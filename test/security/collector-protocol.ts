import { TEST_HOST } from '../fixtures/loopback.ts'

/** Where the secrets collector listens: beside the emulators on the run's loopback address. */
export const COLLECTOR_PORT = 9300
export const COLLECTOR_URL = `http://${TEST_HOST}:${COLLECTOR_PORT}/record`

/** What a test file's recorder posts: texts to scan, each named by where it came from. */
export interface RecordBatch {
  file: string
  /** Set on a file's last post. */
  fileDone: boolean
  /** Worker responses recorded since the last post. */
  responses: number
  texts: { kind: 'response' | 'log'; where: string; text: string }[]
}
