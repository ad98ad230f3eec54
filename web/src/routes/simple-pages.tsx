import { ErrorNotice } from '../components/error-notice'
import { Link } from '../components/link'
import { PageHeading } from '../components/page-heading'
import { Skeleton } from '../components/skeleton'
import type { ApiError } from '../lib/api'

/** Small cards shared by both shells: loading, "could not tell", not found. */

export const LoadingCard = ({ label }: { label: string }) => (
  <section className="card" aria-busy="true" aria-label={label}>
    <Skeleton width="lg" />
    <span className="visually-hidden">{label}</span>
  </section>
)

export const SessionUnknownCard = ({ error, onRetry }: { error: ApiError; onRetry: () => void }) => (
  <section className="card" aria-labelledby="session-unknown-title">
    <PageHeading id="session-unknown-title" title="Could not check your session" />
    <p className="card__intro">Bulwark could not tell whether you are signed in.</p>
    <ErrorNotice error={error} />
    <div className="form__actions">
      <button type="button" className="button button--secondary" onClick={onRetry}>
        Try again
      </button>
    </div>
  </section>
)

export const NotFoundPage = ({ path }: { path: string }) => (
  <section className="card" aria-labelledby="not-found-title">
    <PageHeading id="not-found-title" title="Page not found" />
    <p className="card__intro">
      There is no page at <code>{path}</code>.
    </p>
    <Link to="/" className="button button--secondary">
      Go to the start page
    </Link>
  </section>
)
