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
      {(verdict) => {
        const tone = !verdict.ok ? 'bad' : verdict.checkpointsChecked ? 'ok' : 'warn'
        return (
          <div className={`mon-verify mon-verify--${tone}`} role="status" aria-label="Account events verification">
            <StatusBadge tone={tone} label={tone === 'ok' ? 'Verified' : tone === 'bad' ? 'Not verified' : 'Partly verified'} />
            <div>
              <p className="mon-verify__title">
                {tone === 'ok'
                  ? 'Verified ✓: the chain holding these events is intact.'
                  : tone === 'warn'
                    ? "Every link checks out, but the signer's checkpoints could not be compared: a cut-off end would not show."
                    : 'The chain holding these events could not be verified: tell your operator.'}
              </p>
              <p className="mon-verify__detail">
                Checked <TimeText iso={verdict.checkedAt} />
                {verdict.lastCheckpointAt === null ? '.' : <>, up to a checkpoint the signer signed <TimeText iso={verdict.lastCheckpointAt} />.</>}
              </p>
            </div>
          </div>
        )
      }}
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
