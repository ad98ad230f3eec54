import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { AppError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { withStageTimings } from '../lib/stage-timer.js'
import { listenOnUnixSocket } from '../lib/unix-socket.js'
import { safeEqual } from '../crypto/compare.js'
import { signerRequest, type SignerAuditEvent, type SignerResponse } from './signer-types.js'

export type Handler = (req: { workspaceId: string | null; requestId: string; params: unknown; events: SignerAuditEvent[] }) => Promise<unknown>

const MAX_LINE_BYTES = 1_048_576

/** Errors cross the socket as `{ code, message, reason? }`; anything that is not an AppError says nothing more. */
const toWire = (err: unknown) =>
  err instanceof AppError ? { code: err.code, message: err.message, ...(err.reason ? { reason: err.reason } : {}) } : { code: 'INTERNAL', message: 'internal error' }

/**
 * Newline-delimited JSON RPC on a Unix socket (mode 0600). Each line is one request, validated before
 * any handler runs; handlers validate their own params. One socket per audience: the api's socket has
 * no operator operations at all.
 */
/** One connection's line protocol: validate each request, run its handler, answer on the same line order. */
const createConnectionHandler = (handlers: Record<string, Handler>, logger: Logger, requiredAuth: string | undefined, sockets: Set<Socket>) => (socket: Socket) => {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  let buffered = ''
  const reply = (res: SignerResponse) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(res)}\n`)
  }
  const handle = async (line: string) => {
    let id = ''
    const events: SignerAuditEvent[] = []
    try {
      const raw: unknown = JSON.parse(line)
      id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : ''
      const req = signerRequest.parse(raw)
      if (requiredAuth !== undefined && !safeEqual(req.auth ?? '', requiredAuth)) throw new AppError('FORBIDDEN', 'operator operations need the operator token')
      const handler = Object.hasOwn(handlers, req.op) ? handlers[req.op] : undefined
      if (!handler) throw new AppError('NOT_FOUND', `no signer operation "${req.op}" on this socket`)
      const { value, timings } = await withStageTimings(() => handler({ workspaceId: req.workspaceId, requestId: req.requestId, params: req.params, events }))
      reply({ id, ok: true, result: value ?? null, events, timings })
    } catch (err) {
      if (!(err instanceof AppError)) logger.error({ err }, 'signer operation failed')
      reply({ id, ok: false, error: err instanceof SyntaxError || (err as { name?: string }).name === 'ZodError' ? { code: 'BAD_INPUT', message: 'malformed signer request' } : toWire(err), events })
    }
  }
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    if (buffered.length > MAX_LINE_BYTES) {
      socket.destroy()
      return
    }
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      if (line.trim()) void handle(line)
    }
  })
  socket.on('error', () => socket.destroy())
}

const closer = (server: Server, sockets: Set<Socket>) => () =>
  new Promise<void>((resolve) => {
    server.close(() => resolve())
    for (const s of sockets) s.destroy()
  })

export const startRpcServer = async (
  path: string,
  handlers: Record<string, Handler>,
  logger: Logger,
  opts: { requiredAuth?: string | undefined; mode?: number } = {},
): Promise<{ close: () => Promise<void> }> => {
  const sockets = new Set<Socket>()
  const server: Server = createServer(createConnectionHandler(handlers, logger, opts.requiredAuth, sockets))
  await listenOnUnixSocket(server, path, opts.mode ?? 0o600)
  return { close: closer(server, sockets) }
}

export type TlsListen = { host: string; port: number; cert: Buffer; key: Buffer; ca: Buffer }

/**
 * The same protocol over TCP for a signer on another host: mutual TLS 1.3 only, every client must
 * present a certificate signed by the configured CA (the api's), and the api's operations only.
 */
export const startTlsRpcServer = async (listen: TlsListen, handlers: Record<string, Handler>, logger: Logger): Promise<{ close: () => Promise<void>; port: number }> => {
  const sockets = new Set<Socket>()
  const onConnection = createConnectionHandler(handlers, logger, undefined, sockets)
  const server = createTlsServer({ cert: listen.cert, key: listen.key, ca: listen.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => onConnection(socket))
  server.on('tlsClientError', () => {}) // a client without a valid certificate is dropped; nothing to log but noise
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => resolve())
  })
  const address = server.address()
  return { close: closer(server as unknown as Server, sockets), port: typeof address === 'object' && address ? address.port : listen.port }
}
