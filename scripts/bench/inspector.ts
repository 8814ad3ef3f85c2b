/**
 * A DevTools-protocol session on the Worker's isolate in workerd (its inspector target
 * `core:user:…`; the Worker's Durable Objects run in the same isolate), for heap figures: a full
 * collection and the V8 heap's used and total size.
 */

export interface InspectorSession {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>
  close(): void
}

export async function openInspector(inspectorPort: number): Promise<InspectorSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as Array<{ id: string; webSocketDebuggerUrl: string }>
  const target = targets.find((t) => t.id.startsWith('core:user:'))
  if (!target) throw new Error(`no user Worker among the inspector targets: ${targets.map((t) => t.id).join(', ')}`)
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve())
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${target.webSocketDebuggerUrl}`)))
  })
  let nextId = 0
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  ws.addEventListener('message', (e: { data: unknown }) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string } }
    const p = msg.id === undefined ? undefined : pending.get(msg.id)
    if (!p) return
    pending.delete(msg.id!)
    if (msg.error) p.reject(new Error(msg.error.message))
    else p.resolve(msg.result)
  })
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = ++nextId
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        ws.send(JSON.stringify({ id, method, params }))
      }),
    close: () => ws.close(),
  }
}

/**
 * Sends `method` and waits for its answer. workerd handles some inspector messages (a forced
 * collection among them) only when the isolate next runs, so while there is no answer `poke`
 * (e.g. an HTTP request to the Worker) is called every 100 ms, for up to 10 s.
 */
export async function sendPoked<T>(session: InspectorSession, method: string, poke: () => Promise<unknown>, params: Record<string, unknown> = {}): Promise<T> {
  let answered = false
  const answer = session.send<T>(method, params).finally(() => (answered = true))
  for (let waited = 0; !answered; waited += 100) {
    if (waited >= 10_000) throw new Error(`the inspector did not answer ${method} within 10 s`)
    await Promise.race([answer, new Promise((r) => setTimeout(r, 100))])
    if (!answered) await poke().catch(() => {})
  }
  return answer
}

/** The isolate's V8 heap after a full collection: bytes in use and bytes the heap holds. */
export async function heapAfterGc(session: InspectorSession, poke: () => Promise<unknown>): Promise<{ usedBytes: number; totalBytes: number }> {
  await sendPoked(session, 'HeapProfiler.collectGarbage', poke)
  const u = await sendPoked<{ usedSize: number; totalSize: number }>(session, 'Runtime.getHeapUsage', poke)
  return { usedBytes: u.usedSize, totalBytes: u.totalSize }
}
