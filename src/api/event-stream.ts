import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../lib/errors.js'
import type { App } from './app-types.js'
import { actorOf } from './session-guard.js'

export type EventStreamOptions = {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number
  /**
   * The stream ends after this long and the browser's EventSource reconnects through the full session
   * check: an ended session stops receiving events within this time (a removed membership sooner: see
   * `WorkspaceChanges.subscribe`).
   */
  maxStreamMs: number
  /** Open streams one caller (a user, a token) may hold at once: tabs, not an unbounded pile. */
  maxPerCaller?: number
}

export type EventStream = {
  /** One `event: <name>` with JSON data; nothing once the stream has closed. */
  send: (event: string, data: unknown) => void
  /** Runs when the stream closes (client gone, max age, app closing). */
  onClose: (cleanup: () => void) => void
  /** Ends the stream from the server side. */
  end: () => void
  isClosed: () => boolean
}

/**
 * Server-sent events for one app: every stream it opens ends when the app closes (streams are never
 * idle, so the server would otherwise wait for them). `open(reply)` takes over the reply, writes the
 * headers (with the security headers already set on it) and returns the stream.
 */
export const createEventStreams = (app: App, options: EventStreamOptions) => {
  const ends = new Set<() => void>()
  app.addHook('onClose', async () => {
    for (const end of ends) end()
  })

  const perCaller = new Map<string, number>()
  const maxPerCaller = options.maxPerCaller ?? 10

  /**
   * `caller` counts the stream against its owner's limit (RATE_LIMITED beyond it, before anything is
   * written). A client that left while the request was being authorized gets a stream that is already
   * closed: its cleanups run at once, so nothing it subscribed to outlives it.
   */
  const open = (reply: FastifyReply, caller: string): EventStream => {
    const held = perCaller.get(caller) ?? 0
    if (held >= maxPerCaller) throw new AppError('RATE_LIMITED', `at most ${maxPerCaller} live streams at once: close another tab first`)
    perCaller.set(caller, held + 1)
    reply.hijack()
    const res = reply.raw
    let closed = false
    const cleanups: (() => void)[] = []
    let heartbeat: NodeJS.Timeout | undefined
    let maxAge: NodeJS.Timeout | undefined
    const end = () => res.end()
    const close = () => {
      if (closed) return
      closed = true
      clearInterval(heartbeat)
      clearTimeout(maxAge)
      ends.delete(end)
      const left = (perCaller.get(caller) ?? 1) - 1
      if (left <= 0) perCaller.delete(caller)
      else perCaller.set(caller, left)
      for (const cleanup of cleanups) cleanup()
    }
    // 'close' fired before this point (the client left during authorization) never fires again.
    if (res.destroyed || reply.request.raw.destroyed || res.socket === null || res.socket.destroyed) {
      close()
    } else {
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      })
      res.write('retry: 3000\n\n')
      heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs)
      maxAge = setTimeout(end, options.maxStreamMs)
      ends.add(end)
      res.on('close', close)
    }
    return {
      send: (event, data) => {
        // Ended by the server (`end`) but not yet closed: writing after the end would be an error.
        if (!closed && !res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      },
      onClose: (cleanup) => {
        if (closed) cleanup()
        else cleanups.push(cleanup)
      },
      end,
      isClosed: () => closed,
    }
  }

  /** Open streams per caller (tests). */
  const openCount = (caller: string) => perCaller.get(caller) ?? 0

  return { open, openCount }
}

/** Whose stream it is, for the per-caller limit: the token when a script holds it, else the person. */
export const callerKey = (req: FastifyRequest): string => {
  const actor = actorOf(req)
  return actor.token ? `token:${actor.token.tokenId}` : `user:${actor.userId}`
}
