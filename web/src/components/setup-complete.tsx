import { useEffect, useRef } from 'react'
import type { ClaimedInstance } from './setup-form'

/** Replaces the setup form once the operator exists; takes focus so the outcome is announced. */
export const SetupComplete = ({ claimed }: { claimed: ClaimedInstance }) => {
  const headingRef = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    headingRef.current?.focus()
  }, [])
  return (
    <section className="card card--success" aria-labelledby="setup-complete-title">
      <h2 id="setup-complete-title" className="card__title" tabIndex={-1} ref={headingRef}>
        Instance claimed
      </h2>
      <p className="setup-complete__message">Operator account created — sign-in arrives with the accounts feature.</p>
      <dl className="facts">
        <div className="facts__row">
          <dt>Operator</dt>
          <dd>{claimed.email}</dd>
        </div>
        <div className="facts__row">
          <dt>Workspace</dt>
          <dd>{claimed.workspaceName}</dd>
        </div>
      </dl>
    </section>
  )
}
