/**
 * The node:http server every provider emulator (qiniu/, pds/, objectstore/) runs on, so that each
 * emulator file holds only its provider's protocol: the split between the `/__emulator/...`
 * control routes (control-routes.ts) and the provider's routes, the top-level error handling, and
 * the listen/close life cycle with a readable message when the port is taken. The request and
 * answer helpers are in http-io.ts.
 *
 * What differs between the emulators is passed in: the provider routes, and how an error answer
 * looks on the wire (Qiniu `{error}`, PDS `{code, message}`, object stores an XML document on
 * provider routes and `{error}` on control routes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { handleControl, type ControlRoutes } from './control-routes.ts'
import { HttpError } from './http-io.ts'

export interface EmulatorServerOptions {
  /** Names the emulator in listen errors: "<label> emulator cannot listen on …". */
  label: string
  /** Names the emulator on stderr: "[<name>-emulator] internal error …". */
  name: string
  host: string
  /** 0 picks a free port. */
  port: number
  /** The `/__emulator/...` routes' view of the emulator's state. */
  control: ControlRoutes
  /** Called first on every request, control ones included (a provider's request-id header). */
  onRequest?(res: ServerResponse): void
  /** Every request that is not a control route. May throw an HttpError. */
  provider(req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void>
  /** Whether `e` is a rejected seed or fault rule from the caller (answered 400 with its message). */
  isBadInput(e: unknown): e is Error
  /**
   * Writes an error answer in the emulator's format. `internal`: the emulator itself failed
   * (already logged); `control`: the request was a control route.
   */
  sendError(req: IncomingMessage, res: ServerResponse, err: HttpError, where: { control: boolean; internal: boolean }): void
}

export interface RunningServer {
  /** `http://<host>:<port>`, without the port when it is 80 (the Qiniu emulator's Host rule). */
  url: string
  port: number
  /** Stops listening and ends open (keep-alive) connections; the same promise on every call. */
  close(): Promise<void>
}

export async function startEmulatorServer(o: EmulatorServerOptions): Promise<RunningServer> {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    o.onRequest?.(res)
    const url = req.url ?? '/'
    const qi = url.indexOf('?')
    const rawPath = qi < 0 ? url : url.slice(0, qi)
    const rawQuery = qi < 0 ? '' : url.slice(qi + 1)
    const control = rawPath.startsWith('/__emulator/')
    try {
      if (control) return await handleControl(req, res, rawPath, new URLSearchParams(rawQuery), o.control)
      return await o.provider(req, res, rawPath, rawQuery)
    } catch (e) {
      if (e instanceof HttpError) return o.sendError(req, res, e, { control, internal: false })
      if (o.isBadInput(e)) return o.sendError(req, res, new HttpError(400, 'InvalidParameter', e.message), { control, internal: false })
      // Never print request headers or bodies (they carry tokens and signatures).
      console.error(`[${o.name}-emulator] internal error on ${req.method} ${rawPath}: ${e instanceof Error ? e.message : String(e)}`)
      o.sendError(req, res, new HttpError(500, 'InternalError', 'emulator internal error'), { control, internal: true })
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res)
  })
  server.keepAliveTimeout = 5_000
  await listen(server, o)

  const port = (server.address() as AddressInfo).port
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host
  let closed: Promise<void> | undefined
  return {
    url: `http://${hostPart}${port === 80 ? '' : `:${port}`}`,
    port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()))
        server.closeAllConnections()
      })
      return closed
    },
  }
}

/**
 * Listens, or rejects with an error that says what is wrong in words (the tests' usual failure is
 * a port still held by another run) and keeps the system `code` for callers that react to it.
 */
function listen(server: ReturnType<typeof createServer>, o: { label: string; host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      const where = `${o.host}:${o.port}`
      const hint =
        e.code === 'EADDRINUSE'
          ? `${where} is already in use (is another emulator or test run active?)`
          : e.code === 'EACCES'
            ? `no permission to listen on ${where}${o.port > 0 && o.port < 1024 ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : ''}`
            : e.code === 'EADDRNOTAVAIL'
              ? `address ${o.host} is not available on this machine`
              : e.message
      const err = new Error(`${o.label} emulator cannot listen on ${where}: ${hint}`) as NodeJS.ErrnoException
      if (e.code !== undefined) err.code = e.code
      reject(err)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(o.port, o.host)
  })
}
