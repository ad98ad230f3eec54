import { useEffect, useRef } from 'react'
import { routePaths } from '../lib/router'
import { Link } from './link'
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
      <p className="setup-complete__message">
        Operator account created. Sign in with it, then add a passkey or an authenticator app on the Security page.
      </p>
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
      <div className="form__actions form__actions--spaced">
        <Link to={routePaths.signIn} className="button button--primary">
          Sign in
        </Link>
      </div>
    </section>
  )
}
