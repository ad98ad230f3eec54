import { fetchReadiness } from '../api/system/queries'
import { Link } from '../components/link'
import { Notice } from '../components/notice'
import { PageHeading } from '../components/page-heading'
import { READINESS_REFRESH_MS, ReadinessPanel } from '../components/readiness-panel'
import { StatusBadge } from '../components/status-badge'
import { plural } from '../lib/account-format'
import { routePaths } from '../lib/router'
import { useMe } from '../lib/session-context'
import { useResource } from '../lib/use-resource'

const readinessOptions = { refreshMs: READINESS_REFRESH_MS }

/** The signed-in start page: the account's security at a glance, and the instance's readiness. */
export const OverviewPage = () => {
  const me = useMe()
  const readiness = useResource(fetchReadiness, readinessOptions)
  const { security, user } = me
  const hasSecondFactor = security.totp || security.passkeys > 0

  return (
    <>
      <section className="card" aria-labelledby="overview-title">
        <PageHeading id="overview-title" title="Your account">
          {user.displayName === null ? 'Your account' : `Welcome, ${user.displayName}`}
        </PageHeading>
        {hasSecondFactor ? null : (
          <Notice tone="warning">
            <p className="notice__message">Your account is protected by a password only.</p>
            <p>Add a passkey or an authenticator app so a stolen password is not enough to sign in.</p>
          </Notice>
        )}
        <dl className="facts facts--spaced">
          <div className="facts__row">
            <dt>Email</dt>
            <dd>
              {user.email} <StatusBadge tone={user.emailVerified ? 'ok' : 'pending'} label={user.emailVerified ? 'Verified' : 'Not verified'} />
            </dd>
          </div>
          <div className="facts__row">
            <dt>Two-factor</dt>
            <dd>{security.totp ? 'Authenticator app on' : 'Authenticator app off'}</dd>
          </div>
          <div className="facts__row">
            <dt>Passkeys</dt>
            <dd>{security.passkeys}</dd>
          </div>
          <div className="facts__row">
            <dt>Recovery codes</dt>
            <dd>{hasSecondFactor ? `${plural(security.recoveryCodesLeft, 'code', 'codes')} left` : 'None yet'}</dd>
          </div>
          <div className="facts__row">
            <dt>Workspaces</dt>
            <dd>{me.workspaces.map((workspace) => workspace.name).join(', ') || 'None'}</dd>
          </div>
        </dl>
        <div className="form__actions form__actions--spaced">
          <Link to={routePaths.security} className="button button--secondary">
            Security settings
          </Link>
        </div>
      </section>
      <ReadinessPanel readiness={readiness.resource} onRecheck={readiness.reload} />
    </>
  )
}
