import { Component, Suspense, type ReactNode } from 'react'
import { Skeleton } from './skeleton'

type BoundaryState = { hasFailed: boolean }

/**
 * A page that failed to load (its chunk is gone after an upgrade, the network dropped) or to render
 * says so, with a way out, instead of leaving the main area blank.
 */
class PageBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  override state: BoundaryState = { hasFailed: false }

  static getDerivedStateFromError(): BoundaryState {
    return { hasFailed: true }
  }

  override render() {
    if (!this.state.hasFailed) return this.props.children
    return (
      <section className="card stack">
        <div className="notice notice--error" role="alert">
          <p className="notice__message">This page could not be loaded. Reload to try again; if the dashboard was just upgraded, that fetches the new version.</p>
        </div>
        <div className="form__actions">
          <button type="button" className="button button--secondary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </section>
    )
  }
}

/**
 * What a page looks like while its code arrives: its heading's line and a card, at the sizes the page
 * will have, so the page replaces it without the layout jumping.
 */
export const PageSkeleton = ({ label }: { label: string }) => (
  <div className="page-skeleton" aria-busy="true">
    <div className="page-intro">
      <p className="page-title">
        <Skeleton width="md" size="title" />
      </p>
      <p className="card__intro">
        <Skeleton width="lg" />
      </p>
    </div>
    <div className="card page-skeleton__card">
      <Skeleton width="sm" />
      <Skeleton width="lg" />
      <Skeleton width="md" />
    </div>
    <span className="visually-hidden" role="status">
      {label}
    </span>
  </div>
)

/** A page loaded on demand (`React.lazy`): a placeholder while its code arrives, an error if it cannot. */
export const LazyPage = ({ loadingLabel, children }: { loadingLabel: string; children: ReactNode }) => (
  <PageBoundary>
    <Suspense fallback={<PageSkeleton label={loadingLabel} />}>{children}</Suspense>
  </PageBoundary>
)
