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

/** A page loaded on demand (`React.lazy`): a placeholder while its code arrives, an error if it cannot. */
export const LazyPage = ({ loadingLabel, children }: { loadingLabel: string; children: ReactNode }) => (
  <PageBoundary>
    <Suspense
      fallback={
        <div className="loading" aria-busy="true">
          <Skeleton width="lg" />
          <span className="visually-hidden">{loadingLabel}</span>
        </div>
      }
    >
      {children}
    </Suspense>
  </PageBoundary>
)
