import { useCallback, useEffect, useRef, useState } from 'react'
import { asApiError, type ApiError } from './api'

/**
 * One button's request: busy while it runs, a second press ignored, the error kept for display.
 * The error takes focus when it appears: the pressed button was disabled while busy, which dropped
 * keyboard focus, and the error is what the person needs next.
 */
export const useAction = () => {
  const [isBusy, setIsBusy] = useState(false)
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const isBusyRef = useRef(false)
  const errorRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (error !== undefined) errorRef.current?.focus()
  }, [error])

  /** @returns true when `work` finished without throwing */
  const run = useCallback(async (work: () => Promise<void>): Promise<boolean> => {
    if (isBusyRef.current) return false
    isBusyRef.current = true
    setIsBusy(true)
    setError(undefined)
    try {
      await work()
      return true
    } catch (caught) {
      setError(asApiError(caught))
      return false
    } finally {
      isBusyRef.current = false
      setIsBusy(false)
    }
  }, [])

  const clearError = useCallback(() => setError(undefined), [])

  return { isBusy, error, errorRef, run, setError, clearError }
}

export type Action = ReturnType<typeof useAction>
