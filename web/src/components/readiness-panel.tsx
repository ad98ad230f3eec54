import type { ReadinessReport } from '../api/system/queries'
import { listChecks, summarizeReadiness } from '../lib/readiness'
import type { Resource } from '../lib/use-resource'
import { Skeleton } from './skeleton'
import { StatusBadge } from './status-badge'

export const READINESS_REFRESH_MS = 15_000

type Props = {
  readiness: Resource<ReadinessReport>
  onRecheck: () => void
}

/** Badge, sentence and check rows have the same height while loading as after, so nothing jumps. */
const Summary = ({ readiness }: Pick<Props, 'readiness'>) => {
  switch (readiness.status) {
    case 'loading':
      return (
        <div className="readiness__summary">
          <StatusBadge tone="pending" label="Checking" />
          <p className="readiness__detail">
            <Skeleton width="lg" />
            <span className="visually-hidden">Asking the server whether it is ready.</span>
          </p>
        </div>
      )
    case 'error':
      return (
        <div className="readiness__summary">
          <StatusBadge tone="bad" label={readiness.error.code === 'NETWORK' || readiness.error.code === 'TIMEOUT' ? 'Unreachable' : 'Unknown'} />
          <p className="readiness__detail">{readiness.error.message}</p>
        </div>
      )
    case 'success': {
      const summary = summarizeReadiness(readiness.data.isReady, readiness.data.checks)
      return (
        <div className="readiness__summary">
          <StatusBadge tone={summary.tone} label={summary.title} />
          <p className="readiness__detail">{summary.detail}</p>
        </div>
      )
    }
  }
}

const Checks = ({ readiness }: Pick<Props, 'readiness'>) => {
  if (readiness.status === 'loading') {
    return (
      <ul className="checks" aria-hidden="true">
        <li className="check">
          <Skeleton width="sm" />
          <Skeleton width="xs" />
        </li>
      </ul>
    )
  }
  if (readiness.status === 'error') return <div className="checks checks--empty" />
  const checks = listChecks(readiness.data.checks)
  if (checks.length === 0) return <div className="checks checks--empty" />
  return (
    <ul className="checks" aria-label="Checks">
      {checks.map((check) => (
        <li key={check.name} className="check">
          <span className="check__name">{check.label}</span>
          <span className={check.isOk ? 'check__value check__value--ok' : 'check__value check__value--bad'}>
            {check.valueLabel}
          </span>
        </li>
      ))}
    </ul>
  )
}

/** Updates quietly on the periodic refresh: only the first load says "Checking…". */
const Meta = ({ readiness }: Pick<Props, 'readiness'>) => {
  if (readiness.status === 'loading') return <p className="card__meta">Checking…</p>
  const reference = readiness.status === 'error' ? readiness.error.requestId : undefined
  return (
    <p className="card__meta">
      Checked at <time dateTime={readiness.checkedAt.toISOString()}>{readiness.checkedAt.toLocaleTimeString()}</time>
      {reference === undefined ? null : (
        <>
          {' · '}reference <code>{reference}</code>
        </>
      )}
    </p>
  )
}

/**
 * What `/readyz` says, check by check; every check is rendered the same way, whatever its name.
 * Refreshed every READINESS_REFRESH_MS by the caller.
 */
export const ReadinessPanel = ({ readiness, onRecheck }: Props) => (
  <section className="card readiness" aria-labelledby="readiness-title" aria-busy={readiness.status === 'loading'}>
    <div className="card__header">
      <h2 id="readiness-title" className="card__title">
        Readiness
      </h2>
      {/* Never disabled: a focused button that turns disabled drops keyboard focus. */}
      <button type="button" className="button button--secondary button--small" onClick={onRecheck}>
        Check again
      </button>
    </div>
    <div aria-live="polite">
      <Summary readiness={readiness} />
    </div>
    <Checks readiness={readiness} />
    <Meta readiness={readiness} />
  </section>
)
