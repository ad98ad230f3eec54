import { createServer, type IncomingMessage, type Server } from 'node:http'
import { AppError, statusByCode } from '../lib/errors.js'
import { listenOnUnixSocket } from '../lib/unix-socket.js'

export type AdminHandler = (body: Record<string, unknown>) => Promise<unknown>

const readBody = async (req: IncomingMessage, limit = 65_536): Promise<Record<string, unknown>> => {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new AppError('PAYLOAD_TOO_LARGE', 'admin request too large')
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError('BAD_INPUT', 'admin request body must be a JSON object')
  return parsed as Record<string, unknown>
}

/**
 * The running instance's owner-only admin socket: CLI verbs that touch data while the platform runs
 * (the embedded database allows one process) go through it. Access control is the file system: the
 * socket is 0600 inside BULWARK_HOME/run (0700).
 */
export const startAdminSocket = async (path: string, handlers: Record<string, AdminHandler>): Promise<{ close: () => Promise<void> }> => {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const verb = (req.url ?? '').replace(/^\//, '')
    const handler = req.method === 'POST' && Object.hasOwn(handlers, verb) ? handlers[verb] : undefined
    if (!handler) return reply(404, { code: 'NOT_FOUND', message: `no admin verb ${req.url ?? ''}` })
    readBody(req)
      .then((body) => handler(body))
      .then((result) => reply(200, { ok: true, result }))
      .catch((err: unknown) => {
        if (err instanceof AppError) return reply(statusByCode[err.code], { code: err.code, message: err.message })
        if (err instanceof SyntaxError) return reply(400, { code: 'BAD_INPUT', message: 'admin request body is not valid JSON' })
        return reply(500, { code: 'INTERNAL', message: 'internal error' })
      })
  })
  await listenOnUnixSocket(server, path)
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
