import { useEffect } from 'react'

/**
 * "The workspace's lock may have changed": the incident page says so when an unlock completes, so the
 * header and its banner follow at once instead of at their next poll.
 */
const LOCK_CHANGED = 'bulwark:lock-changed'

export const announceLockChange = (): void => {
  window.dispatchEvent(new Event(LOCK_CHANGED))
}

export const useLockChange = (onChange: () => void): void => {
  useEffect(() => {
    window.addEventListener(LOCK_CHANGED, onChange)
    return () => window.removeEventListener(LOCK_CHANGED, onChange)
  }, [onChange])
}
