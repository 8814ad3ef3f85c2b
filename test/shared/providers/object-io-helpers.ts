import { expect } from 'vitest'
import { ObjectIOError, type ListedObject, type ObjectLister } from '../../../shared/engine/types.ts'

/** The ObjectIOError a call fails with (the test fails if it resolves or throws anything else). */
export async function thrown(p: Promise<unknown>): Promise<ObjectIOError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ObjectIOError)
  return err as ObjectIOError
}

/** Every page of a listing, following the cursor to the end (bounded, so a cursor loop fails). */
export async function listAll(lister: ObjectLister, bucket: string, prefix: string, limit?: number, maxPages = 500): Promise<ListedObject[][]> {
  const pages: ListedObject[][] = []
  let cursor: string | null = null
  do {
    const page = await lister.list(bucket, prefix, cursor, limit === undefined ? {} : { limit })
    pages.push(page.objects)
    cursor = page.next
    expect(pages.length).toBeLessThan(maxPages)
  } while (cursor !== null)
  return pages
}
