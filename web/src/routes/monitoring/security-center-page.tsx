import { useCallback, useEffect, useRef } from 'react'
import { fetchKeyHealth } from '../../api/security/queries'
import { fetchSettings } from '../../api/settings/queries'
import { Link } from '../../components/link'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { plural } from '../../lib/account-format'
import { keyAgeText, keyBadges, keyStateText, keyStateTone, ordersConsequence, rotationStatus } from '../../lib/monitoring-format'
import type { KeyHealth } from '../../lib/monitoring-parsers'
import type { SecurityWarning } from '../../lib/security-score'
import { routePaths, type Route } from '../../lib/router'
import { useAppSession, useMe } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { SecurityScorePanel, useSecurityScore } from '../overview/security-score-panel'
import { useLiveTopics } from '../../lib/live-events'
import { NoWorkspace, canLockDown } from './no-workspace'
import { SectionNav } from './section-nav'

const REFRESH_MS = 60_000

const KeyRow = ({ keyHealth, remindDays }: { keyHealth: KeyHealth; remindDays: number }) => {
  const rotation = rotationStatus(keyHealth, remindDays)
  const name = `${keyHealth.label} (${keyHealth.exchange}${keyHealth.testnet ? ', testnet' : ''})`
  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">
          {name} <StatusBadge tone={keyStateTone(keyHealth.state)} label={keyStateText[keyHealth.state] ?? keyHealth.state} />
          {keyHealth.stale ? <span className="tag">last known state: the signer did not answer</span> : null}
        </p>
        {keyHealth.disabledReason === null ? null : <p className="account__disabled">Disabled: {keyHealth.disabledReason}</p>}
        <ul className="badges" aria-label={`Health of ${keyHealth.label}`}>
          {keyBadges(keyHealth).map((badge) => (
            <li key={badge.text}>
              <StatusBadge tone={badge.tone} label={badge.text} />
            </li>
          ))}
          <li>
            <StatusBadge tone={rotation.tone} label={rotation.text} />
          </li>
        </ul>
        <dl className="details">
          <div className="details__row">
            <dt>Age</dt>
            <dd>{keyAgeText(keyHealth.ageDays)}</dd>
          </div>
          <div className="details__row">
            <dt>Last used</dt>
            <dd>{keyHealth.lastUsedAt === null ? 'Never' : <TimeText iso={keyHealth.lastUsedAt} />}</dd>
          </div>
          <div className="details__row">
            <dt>Last verified</dt>
            <dd>{keyHealth.lastVerifiedAt === null ? 'Not yet' : <TimeText iso={keyHealth.lastVerifiedAt} />}</dd>
          </div>
          {keyHealth.expiresAt === null ? null : (
            <div className="details__row">
              <dt>Expires at the exchange</dt>
              <dd>
                <TimeText iso={keyHealth.expiresAt} />
              </dd>
            </div>
          )}
        </dl>
      </div>
      <div className="row__actions">
        <Link to={routePaths.exchanges} className="button button--secondary button--small" aria-label={`Rotate ${keyHealth.label} on the Exchanges page`}>
          {rotation.tone === 'ok' ? 'Rotate' : 'Rotate now'}
        </Link>
        <Link to={`${routePaths.activity}?keyId=${encodeURIComponent(keyHealth.keyId)}`} className="button button--secondary button--small" aria-label={`Activity of ${keyHealth.label}`}>
          Activity
        </Link>
      </div>
    </li>
  )
}

const WorkspaceKeys = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const loadKeys = useCallback((signal: AbortSignal) => fetchKeyHealth(client, workspace.id, signal), [client, workspace.id])
  const keys = useResource(loadKeys, { refreshMs: REFRESH_MS })
  const loadSettings = useCallback((signal: AbortSignal) => fetchSettings(client, workspace.id, signal), [client, workspace.id])
  const settings = useResource(loadSettings)
  const hygiene = settings.resource.status === 'success' ? settings.resource.data.keys : undefined
  const ordersMode = settings.resource.status === 'success' ? settings.resource.data.lockdown.orders : undefined

  return (
    <>
      <section className="card mon-section" aria-labelledby="key-health-title">
        <h3 id="key-health-title" className="card__title">
          Key health in {workspace.name}
        </h3>
        <p className="card__intro">
          A healthy key cannot withdraw, works only from Bulwark's IP addresses, and is rotated
          {hygiene === undefined ? ' regularly' : ` every ${plural(hygiene.rotationDays, 'day', 'days')}`}.
        </p>
        <ResourceView resource={keys.resource} loadingLabel="Loading key health" onRetry={keys.reload}>
          {(list) =>
            list.length === 0 ? (
              <p className="empty">
                No exchange keys yet. <Link to={routePaths.exchanges}>Connect one on the Exchanges page.</Link>
              </p>
            ) : (
              <ul className="rows" aria-label="Exchange keys">
                {list.map((key) => (
                  <KeyRow key={key.keyId} keyHealth={key} remindDays={hygiene?.remindDaysBefore ?? 7} />
                ))}
              </ul>
            )
          }
        </ResourceView>
      </section>
      <section className="card mon-section" aria-labelledby="lockdown-info-title">
        <h3 id="lockdown-info-title" className="card__title">
          If something looks wrong
        </h3>
        <p className="card__intro">
          {canLockDown(workspace.role)
            ? 'The red “Lock everything down” button at the top of every page disables every key in the signer, stops every bot and signs everyone out, at once.'
            : 'Owners, admins and traders of this workspace can lock it down with the red button at the top of every page.'}
          {ordersMode === undefined ? '' : ` ${ordersConsequence(ordersMode)}`} Security emails also carry an emergency link that does the same without signing in.
        </p>
        <p className="card__links">
          <Link to={routePaths.incidents}>Incidents and unlocking</Link> · <Link to={routePaths.notifications}>What the lockdown does with orders</Link>
        </p>
      </section>
    </>
  )
}

const AccountSummary = () => {
  const { security } = useMe()
  const { refreshMe } = useAppSession()
  // Factors may have changed in another tab since this page loaded the account.
  // Once per mount: refreshMe changes with every session update, including the one it causes.
  const hasRefreshed = useRef(false)
  useEffect(() => {
    if (hasRefreshed.current) return
    hasRefreshed.current = true
    void refreshMe()
  }, [refreshMe])
  const hasSecondFactor = security.totp || security.passkeys > 0
  return (
    <section className="card mon-section" aria-labelledby="account-security-title">
      <h3 id="account-security-title" className="card__title">
        Your account
      </h3>
      <ul className="badges badges--spaced" aria-label="Account protection">
        <li>
          <StatusBadge tone={security.passkeys > 0 ? 'ok' : 'pending'} label={security.passkeys > 0 ? plural(security.passkeys, 'passkey', 'passkeys') : 'No passkey'} />
        </li>
        <li>
          <StatusBadge tone={security.totp ? 'ok' : 'pending'} label={security.totp ? 'Authenticator app on' : 'No authenticator app'} />
        </li>
        <li>
          <StatusBadge tone={!hasSecondFactor || security.recoveryCodesLeft > 2 ? 'ok' : 'warn'} label={`${plural(security.recoveryCodesLeft, 'recovery code', 'recovery codes')} left`} />
        </li>
      </ul>
      {hasSecondFactor ? null : <p className="hint">Without a second factor, a stolen password is enough to sign in, and you cannot unlock a workspace after a lockdown.</p>}
      <p className="card__links">
        <Link to={routePaths.security}>Sign-in factors, sessions and devices</Link>
      </p>
    </section>
  )
}

/**
 * What the api says about the workspace itself, beside the member's score: four-eyes approvals off in a
 * team (one person could connect keys, raise limits and promote bots alone), members the two-factor
 * policy holds to viewer. Each with the page that fixes it.
 */
const WorkspaceWarnings = ({ workspace, warnings }: { workspace: Workspace; warnings: readonly SecurityWarning[] }) =>
  warnings.length === 0 ? null : (
    <section className="card mon-section" aria-labelledby="workspace-warnings-title">
      <h3 id="workspace-warnings-title" className="card__title">
        About {workspace.name}
      </h3>
      <ul className="rows" aria-label={`Warnings about ${workspace.name}`}>
        {warnings.map((warning) => (
          <li key={warning.id} className="row">
            <div className="row__main">
              <p className="row__title">
                <StatusBadge tone={warning.severity === 'warning' ? 'warn' : 'pending'} label={warning.severity === 'warning' ? 'Warning' : 'Note'} />
                {warning.message}
              </p>
              {warning.members.length === 0 ? null : <p className="row__meta">{warning.members.join(', ')}</p>}
            </div>
            <div className="row__actions">
              <Link to={warning.fix.path} className="button button--secondary button--small">
                {warning.fix.label}
              </Link>
            </div>
          </li>
        ))}
      </ul>
    </section>
  )

/** The score with every check and the step that completes it; keys and factors move it. */
const WorkspaceScore = ({ workspace }: { workspace: Workspace }) => {
  const score = useSecurityScore(workspace.id)
  useLiveTopics(['accounts', 'alerts', 'members'], score.reload)
  return (
    <>
      <SecurityScorePanel resource={score.resource} onRetry={score.reload} variant="full" />
      {score.resource.status === 'success' ? <WorkspaceWarnings workspace={workspace} warnings={score.resource.data.warnings} /> : null}
    </>
  )
}

/** The security center's first page: the score and its steps, the health of every key, the account's protection, and what to do when something looks wrong. */
export const SecurityCenterPage = ({ workspace, route }: { workspace: Workspace | undefined; route: Route }) => (
  <>
    <div className="page-intro">
      <PageHeading id="security-center-title" title="Security center" className="page-title" />
      <p className="card__intro">How well your keys are protected, what they did, and what Bulwark noticed.</p>
    </div>
    <SectionNav route={route} />
    {workspace === undefined ? null : <WorkspaceScore key={workspace.id} workspace={workspace} />}
    {workspace === undefined ? <NoWorkspace what="are no keys to show" /> : <WorkspaceKeys key={workspace.id} workspace={workspace} />}
    <AccountSummary />
  </>
)
