import { useState } from 'react'
import { Link } from '../../components/link'
import { PageHeading } from '../../components/page-heading'
import { TimeText } from '../../components/time-text'
import { plural } from '../../lib/account-format'
import { ordersConsequence } from '../../lib/monitoring-format'
import { itemPathFor, routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useFocusOnMount } from '../../lib/use-focus'
import { readLockdownReceipt } from './lockdown-receipt'

/**
 * Shown after the lockdown button: what was done, and — clearly — that this browser is signed out,
 * like every other session of the workspace. Stays up whether or not the session check has caught up.
 */
export const LockedDownPage = () => {
  const [receipt] = useState(readLockdownReceipt)
  const { session } = useAppSession()
  const ref = useFocusOnMount<HTMLDivElement>()
  const isSignedIn = session.status === 'signed_in'
  return (
    <section className="card lockdown-done" aria-labelledby="locked-down-title">
      <PageHeading id="locked-down-title" title="Everything is locked down" />
      <div className="notice notice--error lockdown-done__notice" role="status" tabIndex={-1} ref={ref}>
        <p className="notice__message">
          {receipt === undefined ? 'The workspace is locked down.' : `${receipt.workspaceName} is locked down`}
          {receipt === undefined ? null : (
            <>
              {' '}
              since <TimeText iso={receipt.at} />.
            </>
          )}
        </p>
        <p className="notice__detail">{isSignedIn ? 'Your session is ending: every session of the workspace is being signed out.' : 'You have been signed out, like everyone else in the workspace.'}</p>
      </div>
      <ul className="lockdown-dialog__list">
        <li>
          {receipt === undefined
            ? 'Every exchange key of the workspace refuses every request.'
            : receipt.keysDisabled === 0
              ? 'The workspace has no active exchange keys; any key it has refuses every request.'
              : `${plural(receipt.keysDisabled, 'exchange key', 'exchange keys')} disabled in the signer: they refuse every request.`}
        </li>
        <li>Bots and Smart Trades are stopped and trading is halted.</li>
        <li>{receipt === undefined ? 'Open orders are handled as the workspace is set up to.' : ordersConsequence(receipt.ordersMode)}</li>
        <li>Every member's sessions have ended and the workspace's API tokens no longer work.</li>
        <li>Every member was alerted and emailed.</li>
      </ul>
      <p className="hint">
        Sign in again to follow the incident: its page shows each step as it finishes, and how owners and admins unlock the workspace (password and second factor,
        an emailed confirmation, then a waiting period).
      </p>
      <div className="form__actions form__actions--spaced">
        {isSignedIn ? (
          <Link to={receipt === undefined ? routePaths.incidents : itemPathFor('incidents', receipt.incidentId)} className="button button--primary">
            Open the incident
          </Link>
        ) : (
          <Link to={routePaths.signIn} className="button button--primary">
            Sign in again
          </Link>
        )}
      </div>
    </section>
  )
}
