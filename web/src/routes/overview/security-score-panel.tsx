import { useCallback } from 'react'
import { fetchSecurityScore } from '../../api/security/queries'
import { ErrorNotice } from '../../components/error-notice'
import { Link } from '../../components/link'
import { ScoreGauge, ScoreGaugeSkeleton } from '../../components/score-gauge'
import { Skeleton } from '../../components/skeleton'
import { routePaths } from '../../lib/router'
import { openSteps, type SecurityCheck, type SecurityScore } from '../../lib/security-score'
import { useAppSession } from '../../lib/session-context'
import { useResource, type Resource } from '../../lib/use-resource'
import './security-score.css'

const SCORE_REFRESH_MS = 60_000
/** How many open steps the overview's compact card lists (the security center lists them all). */
const COMPACT_STEPS = 3

/** The member's score in the workspace, refreshed every minute (and on `reload`, e.g. from live events). */
export const useSecurityScore = (workspaceId: string) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchSecurityScore(client, workspaceId, signal), [client, workspaceId])
  return useResource(load, { refreshMs: SCORE_REFRESH_MS })
}

const CheckIcon = ({ done }: { done: boolean }) => (
  <svg className="score-step__icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
    <path d={done ? 'M4 8.5 6.8 11 12 5.5' : 'M14 8A6 6 0 1 1 2 8a6 6 0 0 1 12 0Z'} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
  </svg>
)

/** One check: what it asks, where things stand, and (when open) the link that completes it. */
const Step = ({ check }: { check: SecurityCheck }) => (
  <li className={`score-step ${check.done ? 'score-step--done' : 'score-step--open'}`}>
    <CheckIcon done={check.done} />
    <div className="score-step__body">
      <p className="score-step__label">
        {check.label}
        <span className="visually-hidden">{check.done ? ' (done)' : ' (to do)'}</span>
      </p>
      <p className="score-step__detail">{check.detail}</p>
    </div>
    {check.done ? (
      <span className="score-step__points">
        {check.weight}
        <span className="visually-hidden"> points</span>
        <span aria-hidden="true"> pts</span>
      </span>
    ) : (
      <Link to={check.fix.path} className="button button--secondary button--small score-step__fix">
        {check.fix.label}
        <span className="score-step__gain">
          {' '}+{check.weight}
          <span className="visually-hidden"> points</span>
        </span>
      </Link>
    )}
  </li>
)

const Summary = ({ score }: { score: SecurityScore }) => {
  const open = openSteps(score)
  const gain = open.reduce((sum, c) => sum + c.weight, 0)
  return <p className="score-panel__summary">{open.length === 0 ? 'Every check is done.' : `${open.length} ${open.length === 1 ? 'step' : 'steps'} left, worth ${gain} points.`}</p>
}

/** Rows of the same height as the steps, while they load. */
const StepsSkeleton = ({ rows }: { rows: number }) => (
  <ul className="score-steps" aria-hidden="true">
    {Array.from({ length: rows }, (_, i) => (
      <li key={i} className="score-step score-step--loading">
        <div className="score-step__body">
          <p className="score-step__label">
            <Skeleton width="lg" />
          </p>
          <p className="score-step__detail">
            <Skeleton width="md" />
          </p>
        </div>
      </li>
    ))}
  </ul>
)

type PanelProps = {
  resource: Resource<SecurityScore>
  onRetry: () => void
  /** 'full': every check (the security center); 'compact': the top open steps (the overview). */
  variant: 'full' | 'compact'
}

/** The score ring beside the steps that raise it. */
export const SecurityScorePanel = ({ resource, onRetry, variant }: PanelProps) => {
  const size = variant === 'full' ? 'large' : 'small'
  const titleId = `security-score-title-${variant}`
  const body = (() => {
    switch (resource.status) {
      case 'loading':
        return (
          <div className="score-panel__layout" aria-busy="true">
            <ScoreGaugeSkeleton size={size} />
            <div className="score-panel__steps">
              <p className="score-panel__summary">
                <Skeleton width="md" />
                <span className="visually-hidden">Loading your security score</span>
              </p>
              <StepsSkeleton rows={variant === 'full' ? 8 : COMPACT_STEPS} />
            </div>
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
      case 'success': {
        const score = resource.data
        const open = openSteps(score)
        const shown = variant === 'full' ? [...open, ...score.checks.filter((c) => c.done)] : open.slice(0, COMPACT_STEPS)
        return (
          <div className="score-panel__layout">
            <ScoreGauge score={score.score} size={size} />
            <div className="score-panel__steps">
              <div aria-live="polite">
                <Summary score={score} />
              </div>
              {shown.length === 0 ? null : (
                <ul className="score-steps" aria-label={variant === 'full' ? 'Security checks' : 'Next steps'}>
                  {shown.map((check) => (
                    <Step key={check.id} check={check} />
                  ))}
                </ul>
              )}
              {variant === 'compact' ? (
                <p className="card__links">
                  <Link to={routePaths.securityCenter}>{open.length > COMPACT_STEPS ? `All ${open.length} steps in the Security center` : 'Security center'}</Link>
                </p>
              ) : null}
            </div>
          </div>
        )
      }
    }
  })()
  return (
    <section className={`card score-panel score-panel--${variant}`} aria-labelledby={titleId}>
      <h3 id={titleId} className="card__title">
        Security score
      </h3>
      {body}
    </section>
  )
}
