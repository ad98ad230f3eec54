import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { liveTopics, type LiveTopic } from '../../../src/live/live-types'
import { isRecord } from './json-guards'
import { retryDelayMs } from './use-unread-stream'

/**
 * Live data for the signed-in dashboard: one EventSource per tab on GET /api/workspaces/:id/live, which
 * names the topics that changed (`event: changed`), says hello on every (re)connect and carries the unread
 * alert count. Pages subscribe to topics and reload what they show; they keep a slow poll only while the
 * stream is not live.
 *
 * The browser's EventSource reconnects by itself after a dropped connection or the server's regular end of
 * a stream ("reconnecting"). It gives up on an answer that is not an event stream — a 401 after the session
 * ended, a 403 — and then the provider tries again itself, waiting longer each time ("offline"), so a tab
 * left open comes back when the server does. Without a provider (tests, public pages) the hooks do nothing.
 */

export { liveTopics, type LiveTopic }

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'unsupported'

/** What a page is told: the topics that changed, or everything (a (re)connect may have missed changes). */
export type LiveNews = ReadonlySet<LiveTopic> | 'everything'
type NewsListener = (news: LiveNews) => void

type LiveContextValue = {
  state: LiveState
  unread: number | undefined
  subscribe: (listener: NewsListener) => () => void
}

const LiveContext = createContext<LiveContextValue | null>(null)

export const livePath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}/live`

const knownTopics: ReadonlySet<string> = new Set(liveTopics)

/** The topics of a `changed` event's data; unknown names (a newer server) are dropped, bad JSON is nothing. */
export const topicsFromEvent = (data: string): ReadonlySet<LiveTopic> => {
  try {
    const parsed = JSON.parse(data) as unknown
    const topics = isRecord(parsed) && Array.isArray(parsed.topics) ? parsed.topics : []
    return new Set(topics.filter((topic): topic is LiveTopic => typeof topic === 'string' && knownTopics.has(topic)))
  } catch {
    return new Set()
  }
}

/** The unread count of an `unread` event's data, if it is one. */
export const unreadFromLiveEvent = (data: string): number | undefined => {
  try {
    const parsed = JSON.parse(data) as unknown
    const count = isRecord(parsed) ? parsed.count : undefined
    return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : undefined
  } catch {
    return undefined
  }
}

/** True when the news concerns any of `topics`. */
export const concerns = (news: LiveNews, topics: readonly LiveTopic[]): boolean => news === 'everything' || topics.some((topic) => news.has(topic))

/** The words for each state, as the header pill shows them. */
export const liveStateText: Readonly<Record<LiveState, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline: retrying',
  unsupported: 'Not live',
}

/** One live stream for the workspace, shared by every page of the tab. */
export const LiveProvider = ({ workspaceId, children }: { workspaceId: string; children: ReactNode }) => {
  const [state, setState] = useState<LiveState>('connecting')
  const [unread, setUnread] = useState<number | undefined>(undefined)
  // Listeners live in a ref: news reaches them without re-rendering the tree.
  const listeners = useRef(new Set<NewsListener>())

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('unsupported')
      return
    }
    const tell = (news: LiveNews) => {
      for (const listener of [...listeners.current]) listener(news)
    }
    let source: EventSource | undefined
    let retry: ReturnType<typeof setTimeout> | undefined
    let failures = 0
    let isStopped = false

    const open = () => {
      source = new EventSource(livePath(workspaceId))
      source.addEventListener('hello', () => {
        failures = 0
        setState('live')
        // Connected again: whatever changed while the stream was down was not announced.
        tell('everything')
      })
      source.addEventListener('changed', (event) => {
        const topics = topicsFromEvent((event as MessageEvent<string>).data)
        if (topics.size > 0) tell(topics)
      })
      source.addEventListener('unread', (event) => {
        const count = unreadFromLiveEvent((event as MessageEvent<string>).data)
        if (count !== undefined) setUnread(count)
      })
      source.addEventListener('error', () => {
        if (isStopped || source === undefined) return
        if (source.readyState === EventSource.CONNECTING) {
          setState('reconnecting')
          return
        }
        // CLOSED: the browser gave up on this stream (not an event stream: 401, 403…); try again later.
        source.close()
        failures += 1
        setState('offline')
        retry = setTimeout(open, retryDelayMs(failures))
      })
    }

    setState('connecting')
    setUnread(undefined)
    open()
    return () => {
      isStopped = true
      source?.close()
      if (retry !== undefined) clearTimeout(retry)
    }
  }, [workspaceId])

  const subscribe = useCallback((listener: NewsListener) => {
    listeners.current.add(listener)
    return () => {
      listeners.current.delete(listener)
    }
  }, [])
  const value = useMemo<LiveContextValue>(() => ({ state, unread, subscribe }), [state, unread, subscribe])
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>
}

/** The stream's state; 'unsupported' without a provider (nothing is live there). */
export const useLiveState = (): LiveState => useContext(LiveContext)?.state ?? 'unsupported'

/** True inside a LiveProvider (the connection pill shows only there). */
export const useHasLive = (): boolean => useContext(LiveContext) !== null

/** The unread alert count as the stream last said it; undefined before the first count or without a provider. */
export const useLiveUnread = (): number | undefined => useContext(LiveContext)?.unread

/**
 * Calls `onChange` when any of `topics` changed, and after every (re)connect (changes may have been
 * missed meanwhile). `onChange` may change on every render; the subscription does not.
 * @example useLiveTopics(['bots', 'orders'], bot.reload)
 */
export const useLiveTopics = (topics: readonly LiveTopic[], onChange: () => void): void => {
  const context = useContext(LiveContext)
  const subscribe = context?.subscribe
  const latest = useRef({ topics, onChange })
  useEffect(() => {
    latest.current = { topics, onChange }
  })
  useEffect(() => {
    if (subscribe === undefined) return
    return subscribe((news) => {
      if (concerns(news, latest.current.topics)) latest.current.onChange()
    })
  }, [subscribe])
}
