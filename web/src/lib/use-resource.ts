import { useCallback, useEffect, useState } from 'react'
import { asApiError, type ApiError } from './api'

/**
 * Loads one thing from the API, optionally again every `refreshMs`. After the first answer, a
 * reload keeps showing the last data or error (with `isRefreshing`) instead of flashing back to
 * loading, so the page does not jump.
 */

export type Resource<T> =
  | { status: 'loading' }
  | { status: 'success'; data: T; isRefreshing: boolean; checkedAt: Date }
  | { status: 'error'; error: ApiError; isRefreshing: boolean; checkedAt: Date }

export type Load<T> = (signal: AbortSignal) => Promise<T>

/** `load` must be stable (a module-level function), or every render starts a new request. */
export const useResource = <T>(load: Load<T>, options: { refreshMs?: number } = {}) => {
  const { refreshMs } = options
  const [resource, setResource] = useState<Resource<T>>({ status: 'loading' })
  const [generation, setGeneration] = useState(0)

  useEffect(() => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined

    const run = async () => {
      setResource((previous) => (previous.status === 'loading' ? previous : { ...previous, isRefreshing: true }))
      try {
        const data = await load(controller.signal)
        if (!controller.signal.aborted) setResource({ status: 'success', data, isRefreshing: false, checkedAt: new Date() })
      } catch (error) {
        if (controller.signal.aborted) return // superseded or unmounted: not an error
        setResource({ status: 'error', error: asApiError(error), isRefreshing: false, checkedAt: new Date() })
      }
      if (refreshMs !== undefined && !controller.signal.aborted) timer = setTimeout(() => void run(), refreshMs)
    }

    void run()
    return () => {
      controller.abort()
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [load, refreshMs, generation])

  const reload = useCallback(() => setGeneration((value) => value + 1), [])
  return { resource, reload }
}
