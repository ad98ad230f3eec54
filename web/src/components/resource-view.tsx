import type { ReactNode } from 'react'
import type { Resource } from '../lib/use-resource'
import { ErrorNotice } from './error-notice'
import { Skeleton } from './skeleton'

type Props<T> = {
  resource: Resource<T>
  /** Said to screen readers while loading, e.g. "Loading passkeys". */
  loadingLabel: string
  onRetry: () => void
  children: (data: T) => ReactNode
}

/** Loading placeholder, error with "Try again", or the data; a refresh keeps the last data shown. */
export const ResourceView = <T,>({ resource, loadingLabel, onRetry, children }: Props<T>) => {
  switch (resource.status) {
    case 'loading':
      return (
        <div className="loading" aria-busy="true">
          <Skeleton width="lg" />
          <span className="visually-hidden">{loadingLabel}</span>
        </div>
      )
    case 'error':
      return (
        <div className="stack">
          <ErrorNotice error={resource.error} />
          <div className="form__actions">
            <button type="button" className="button button--secondary button--small" onClick={onRetry}>
              Try again
            </button>
          </div>
        </div>
      )
    case 'success':
      return <>{children(resource.data)}</>
  }
}
