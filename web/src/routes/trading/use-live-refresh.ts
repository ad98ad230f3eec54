import { useSyncExternalStore } from 'react'

/**
 * Trading pages poll while someone looks at them and stop in a background tab: a hidden tab would
 * otherwise keep asking every 2 s for nothing. Becoming visible again loads at once (the changed
 * interval restarts the resource).
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
