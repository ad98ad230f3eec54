import { useSyncExternalStore } from 'react'
import { matchRoute, type Route } from './router'

/** Connects the pure router to the browser's history: `navigate` pushes, the back button pops. */

const NAVIGATE_EVENT = 'bulwark:navigate'

// Set by `navigate`, read once by the next page heading: focus moves to the new page's heading after
// an in-app navigation (so screen readers announce it), but not on the first load.
let isHeadingFocusDue = false

export const navigate = (path: string, options: { replace?: boolean } = {}): void => {
  if (options.replace === true) window.history.replaceState(null, '', path)
  else {
    window.history.pushState(null, '', path)
    window.scrollTo(0, 0)
  }
  isHeadingFocusDue = true
  window.dispatchEvent(new Event(NAVIGATE_EVENT))
}

/** Drops the fragment (an emailed token) from the address bar and history, keeping the page. */
export const clearFragment = (): void => {
  if (window.location.hash !== '') window.history.replaceState(null, '', window.location.pathname + window.location.search)
}

/** True once after each in-app navigation. */
export const takeHeadingFocus = (): boolean => {
  const isDue = isHeadingFocusDue
  isHeadingFocusDue = false
  return isDue
}

const subscribe = (onChange: () => void) => {
  const onPop = () => {
    isHeadingFocusDue = true
    onChange()
  }
  window.addEventListener('popstate', onPop)
  window.addEventListener(NAVIGATE_EVENT, onChange)
  return () => {
    window.removeEventListener('popstate', onPop)
    window.removeEventListener(NAVIGATE_EVENT, onChange)
  }
}

const currentPathname = () => window.location.pathname

export const usePathname = (): string => useSyncExternalStore(subscribe, currentPathname)

export const useRoute = (): Route => matchRoute(usePathname())
