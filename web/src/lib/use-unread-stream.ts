import { useEffect, useState } from 'react'
import { unreadFromEvent } from './notification-parsers'

/**
 * The live unread-alert count over server-sent events (GET …/alerts/stream, `event: unread`).
 *
 * The browser's EventSource reconnects by itself after a dropped connection or the server's regular
 * end of a stream ("reconnecting"). It gives up on an answer that is not an event stream — a 401 after
 * the session ended, a 403 — and then this hook tries again itself, waiting longer each time
 * ("offline"), so a page left open comes back when the server does.
 */

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'unsupported'

export type UnreadStream = { count: number | undefined; state: StreamState }

const FIRST_RETRY_MS = 5_000
const MAX_RETRY_MS = 60_000

/** The wait before the next own retry: doubling from 5 s, at most a minute. */
export const retryDelayMs = (failures: number): number => Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1))

export const streamStateText: Readonly<Record<StreamState, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline: retrying',
  unsupported: 'Not live: refreshes every minute',
}

/** `path` undefined (no workspace) keeps the stream closed. */
export const useUnreadStream = (path: string | undefined): UnreadStream => {
  const [stream, setStream] = useState<UnreadStream>({ count: undefined, state: 'connecting' })

  useEffect(() => {
    if (path === undefined) return
    if (typeof EventSource === 'undefined') {
      setStream({ count: undefined, state: 'unsupported' })
      return
    }
    let source: EventSource | undefined
    let retry: ReturnType<typeof setTimeout> | undefined
    let failures = 0
    let isStopped = false

    const open = () => {
      source = new EventSource(path)
      source.addEventListener('open', () => {
        failures = 0
        setStream((previous) => ({ ...previous, state: 'live' }))
      })
      source.addEventListener('unread', (event) => {
        const count = unreadFromEvent((event as MessageEvent<string>).data)
        if (count !== undefined) setStream({ count, state: 'live' })
      })
      source.addEventListener('error', () => {
        if (isStopped || source === undefined) return
        if (source.readyState === EventSource.CONNECTING) {
          setStream((previous) => ({ ...previous, state: 'reconnecting' }))
          return
        }
        // CLOSED: the browser gave up on this stream; try again later with a new one.
        source.close()
        failures += 1
        setStream((previous) => ({ ...previous, state: 'offline' }))
        retry = setTimeout(open, retryDelayMs(failures))
      })
    }

    setStream({ count: undefined, state: 'connecting' })
    open()
    return () => {
      isStopped = true
      source?.close()
      if (retry !== undefined) clearTimeout(retry)
    }
  }, [path])

  return stream
}
