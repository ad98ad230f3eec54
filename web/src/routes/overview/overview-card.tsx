import type { ReactNode } from 'react'
import { ErrorNotice } from '../../components/error-notice'
import { Link } from '../../components/link'
import { Skeleton } from '../../components/skeleton'
import type { Resource } from '../../lib/use-resource'

type CardProps = {
  id: string
  title: string
  /** The page with everything this card summarizes. */
  more?: { to: string; label: string }
  className?: string
  children: ReactNode
}

/** One tile of the overview grid: a titled card with a link to the full page. */
export const OverviewCard = ({ id, title, more, className, children }: CardProps) => (
  <section className={`card overview-card${className === undefined ? '' : ` ${className}`}`} aria-labelledby={id}>
    <div className="overview-card__header">
      <h3 id={id} className="card__title">
        {title}
      </h3>
      {more === undefined ? null : (
        <Link to={more.to} className="overview-card__more">
          {more.label}
        </Link>
      )}
    </div>
    {children}
  </section>
)

/** Rows of skeleton text at the height of the rows they stand for: the card does not grow when data comes. */
export const RowsSkeleton = ({ rows, label }: { rows: number; label: string }) => (
  <div aria-busy="true">
    <span className="visually-hidden">{label}</span>
    <ul className="overview-list" aria-hidden="true">
      {Array.from({ length: rows }, (_, i) => (
        <li key={i} className="overview-list__item">
          <span className="overview-list__main">
            <Skeleton width="md" />
          </span>
          <Skeleton width="sm" />
        </li>
      ))}
    </ul>
  </div>
)

/** The next thing a new user can do, as a link (empty states). */
export const NextStep = ({ to, children, hint }: { to: string; children: ReactNode; hint: string }) => (
  <div className="overview-empty">
    <p className="overview-empty__hint">{hint}</p>
    <Link to={to} className="button button--primary button--small">
      {children}
    </Link>
  </div>
)

/** Skeleton while loading, the error with "Try again", or the data. */
export const CardBody = <T,>({ resource, rows, label, onRetry, children }: { resource: Resource<T>; rows: number; label: string; onRetry: () => void; children: (data: T) => ReactNode }) => {
  switch (resource.status) {
    case 'loading':
      return <RowsSkeleton rows={rows} label={label} />
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
