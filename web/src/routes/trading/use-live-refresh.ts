import { useEffect, useRef, useSyncExternalStore } from 'react'
import { useLiveState, useLiveTopics, type LiveTopic } from '../../lib/live-events'
import { useResource, type Load } from '../../lib/use-resource'

/**
 * Trading pages refresh while someone looks at them and stop in a background tab: a hidden tab would
 * otherwise keep asking for nothing. Becoming visible again loads at once (the changed interval restarts
 * the resource).
 */

const subscribe = (onChange: () => void) => {
  document.addEventListener('visibilitychange', onChange)
  return () => document.removeEventListener('visibilitychange', onChange)
}
const isVisible = () => document.visibilityState !== 'hidden'

// Without a document (server rendering in tests) the page counts as visible.
export const usePageVisible = (): boolean => useSyncExternalStore(subscribe, isVisible, () => true)

/** `refreshMs` for `useResource`: the interval while the page is visible, none while hidden. */
export const useLiveRefresh = (intervalMs: number): number | undefined => (usePageVisible() ? intervalMs : undefined)

/** The poll while the live stream is down (or absent): slow, since it is only the safety net. */
export const LIVE_FALLBACK_MS = 30_000

export type TopicRefreshOptions = {
  /** Poll this often even while live: for values that move with prices, which are not a topic (unrealized PnL). */
  whileLiveMs?: number
  /** Poll this often while the stream is not live (default 30 s). */
  fallbackMs?: number
}

/** `refreshMs` for a live resource: none (or `whileLiveMs`) while the stream is live, the fallback otherwise, none while hidden. */
export const useTopicRefreshMs = (options: TopicRefreshOptions = {}): number | undefined => {
  const isShown = usePageVisible()
  const state = useLiveState()
  if (!isShown) return undefined
  return state === 'live' ? options.whileLiveMs : (options.fallbackMs ?? LIVE_FALLBACK_MS)
}

/**
 * `useResource` that reloads when one of `topics` changed (the live stream) and polls only as a safety
 * net (see `useTopicRefreshMs`). A change heard in a hidden tab is loaded when the tab is shown again.
 * @example const bot = useLiveResource(loadBot, ['bots'], { whileLiveMs: 15_000 })
 */
export const useLiveResource = <T>(load: Load<T>, topics: readonly LiveTopic[], options: TopicRefreshOptions = {}) => {
  const isShown = usePageVisible()
  const result = useResource(load, { refreshMs: useTopicRefreshMs(options) })
  const { reload } = result
  const hasMissed = useRef(false)
  useLiveTopics(topics, () => {
    if (isShown) reload()
    else hasMissed.current = true
  })
  useEffect(() => {
    if (!isShown || !hasMissed.current) return
    hasMissed.current = false
    reload()
  }, [isShown, reload])
  return result
}
