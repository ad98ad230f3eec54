import { useState, type ReactNode } from 'react'
import { ResourceView } from '../../components/resource-view'
import { asSentence } from '../../lib/account-format'
import type { Resource } from '../../lib/use-resource'

/**
 * The last data a polled resource loaded, kept through a failed refresh: a table that refreshes every
 * few seconds must not vanish because one poll timed out.
 */
export const useKeptData = <T,>(resource: Resource<T>): T | undefined => {
  const [kept, setKept] = useState<T | undefined>(undefined)
  const data = resource.status === 'success' ? resource.data : undefined
  // Storing what the previous render saw, the pattern React documents for derived state.
  if (data !== undefined && data !== kept) setKept(data)
  return data ?? kept
}

type Props<T> = {
  resource: Resource<T>
  kept: T | undefined
  loadingLabel: string
  onRetry: () => void
  children: (data: T) => ReactNode
}

/** Like ResourceView, but once data has arrived a failed refresh is a line above it, not a replacement. */
export const PolledView = <T,>({ resource, kept, loadingLabel, onRetry, children }: Props<T>) => {
  if (kept === undefined) {
    return (
      <ResourceView resource={resource} loadingLabel={loadingLabel} onRetry={onRetry}>
        {children}
      </ResourceView>
    )
  }
  return (
    <>
      {resource.status === 'error' ? <p className="stale-note">Not refreshed: {asSentence(resource.error.message)}</p> : null}
      {children(kept)}
    </>
  )
}
