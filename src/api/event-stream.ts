import type { FastifyReply } from 'fastify'
import type { App } from './app-types.js'

export type EventStreamOptions = {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number
  /**
   * The stream ends after this long and the browser's EventSource reconnects through the full session
   * check: an ended session or a removed membership stops receiving events within this time.
   */
  maxStreamMs: number
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

  const open = (reply: FastifyReply): EventStream => {
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    })
    res.write('retry: 3000\n\n')
    let closed = false
    const cleanups: (() => void)[] = []
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs)
    const end = () => res.end()
    const maxAge = setTimeout(end, options.maxStreamMs)
    ends.add(end)
    res.on('close', () => {
      if (closed) return
      closed = true
      clearInterval(heartbeat)
      clearTimeout(maxAge)
      ends.delete(end)
      for (const cleanup of cleanups) cleanup()
    })
    return {
      send: (event, data) => {
        if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      },
      onClose: (cleanup) => {
        if (closed) cleanup()
        else cleanups.push(cleanup)
      },
      end,
      isClosed: () => closed,
    }
  }

  return { open }
}
