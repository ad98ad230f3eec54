import { useCallback } from 'react'
import { fetchAccountAuditPage, fetchAccountAuditVerification } from '../../api/audit/queries'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import { useAppSession } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { AuditRows } from './audit-rows'
import { usePages } from './use-pages'

const VERIFY_REFRESH_MS = 60_000

const AccountVerification = () => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchAccountAuditVerification(client, signal), [client])
  const verification = useResource(load, { refreshMs: VERIFY_REFRESH_MS })
  return (
    <ResourceView resource={verification.resource} loadingLabel="Verifying your account events" onRetry={verification.reload}>
      {(verdict) => (
        <div className={`mon-verify mon-verify--${verdict.ok ? 'ok' : 'bad'}`} role="status" aria-label="Account events verification">
          <StatusBadge tone={verdict.ok ? 'ok' : 'bad'} label={verdict.ok ? 'Verified' : 'Verification failed'} />
          <div>
            <p className="mon-verify__title">{verdict.ok ? 'Verified ✓: the chain holding these events is intact.' : 'The chain holding these events does not verify: tell your operator at once.'}</p>
            <p className="mon-verify__detail">
              Checked <TimeText iso={verdict.checkedAt} />
              {verdict.lastCheckpoint === null ? '.' : ', up to a checkpoint the signer signed.'}
            </p>
          </div>
        </div>
      )}
    </ResourceView>
  )
}

/**
 * The signed-in person's own account events: sign-up, email verification, sign-ins, factors, password.
 * They live in the instance's system chain (they belong to no workspace), so every member sees these
 * for themselves only, whatever their role.
 */
export const AccountAudit = () => {
  const { client } = useAppSession()
  const loadPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) => fetchAccountAuditPage(client, {}, cursor, signal).then((page) => ({ items: page.entries, next: page.nextCursor })),
    [client],
  )
  const pages = usePages(loadPage)
  return (
    <section className="card mon-section" aria-labelledby="account-audit-title">
      <h3 id="account-audit-title" className="card__title">
        Your account
      </h3>
      <p className="card__intro">What you did with your account — signing up and in, email, password, two-factor and passkeys — from the same tamper-evident log.</p>
      {pages.resource.status === 'loading' ? null : <AccountVerification />}
      <ResourceView resource={pages.resource} loadingLabel="Loading your account events" onRetry={pages.reload}>
        {(list) => (list.items.length === 0 ? <p className="empty">No account events yet.</p> : <AuditRows entries={list.items} label="Your account events" isOwnAccount />)}
      </ResourceView>
      {pages.moreButton('Show older account events')}
    </section>
  )
}
