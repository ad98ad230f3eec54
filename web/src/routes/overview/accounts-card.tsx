import { useCallback } from 'react'
import { fetchDemoAccounts } from '../../api/demo/queries'
import { fetchExchangeAccounts } from '../../api/exchanges/queries'
import { Link } from '../../components/link'
import { StatusBadge } from '../../components/status-badge'
import type { Workspace } from '../../lib/account-parsers'
import { accountBadges } from '../../lib/exchange-badges'
import { formatCheckName } from '../../lib/readiness'
import { useLiveTopics } from '../../lib/live-events'
import { routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { CardBody, NextStep, OverviewCard } from './overview-card'

const REFRESH_MS = 60_000
/** Badges that say whether a key is safe to trade with; age and verification details live on the Exchanges page. */
const SHOWN_BADGES = new Set(['state', 'withdraw', 'ip'])
const canManageKeys = (role: string) => role === 'owner' || role === 'admin'
const canTrade = (role: string) => canManageKeys(role) || role === 'trader'

/** Exchange accounts with the badges that matter, then demo accounts; each empty list says what to do. */
export const AccountsCard = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const loadExchange = useCallback((signal: AbortSignal) => fetchExchangeAccounts(client, workspace.id, signal), [client, workspace.id])
  const loadDemo = useCallback((signal: AbortSignal) => fetchDemoAccounts(client, workspace.id, signal), [client, workspace.id])
  const exchange = useResource(loadExchange, { refreshMs: REFRESH_MS })
  const demo = useResource(loadDemo, { refreshMs: REFRESH_MS })
  useLiveTopics(['accounts'], () => {
    exchange.reload()
    demo.reload()
  })

  return (
    <OverviewCard id="overview-accounts-title" title="Accounts" className="overview-card--accounts">
      <div className="overview-card__subheader">
        <h4 className="overview-card__subtitle">
          Exchange accounts
          {exchange.resource.status === 'success' ? <span className="overview-card__count"> ({exchange.resource.data.length})</span> : null}
        </h4>
        <Link to={routePaths.exchanges} className="overview-card__more" aria-label="Open Exchange accounts">
          Open
        </Link>
      </div>
      <CardBody resource={exchange.resource} rows={2} label="Loading exchange accounts" onRetry={exchange.reload}>
        {(accounts) =>
          accounts.length === 0 ? (
            canManageKeys(workspace.role) ? (
              <NextStep to={routePaths.exchanges} hint="No exchange key yet. Bulwark keeps it sealed in the signer: it never leaves it.">
                Connect an exchange key
              </NextStep>
            ) : (
              <p className="empty">No exchange accounts yet. Owners and admins connect them.</p>
            )
          ) : (
            <ul className="overview-list" aria-label="Exchange accounts">
              {accounts.map((account) => (
                <li key={account.id} className="overview-list__item overview-list__item--wrap">
                  <span className="overview-list__main">
                    <span className="overview-list__name">{account.label}</span> <span className="overview-list__sub">{formatCheckName(account.exchange)}</span>
                  </span>
                  <span className="badges overview-list__badges">
                    {accountBadges(account, formatCheckName(account.exchange), new Date())
                      .filter((b) => SHOWN_BADGES.has(b.id))
                      .map((b) => (
                        <StatusBadge key={b.id} tone={b.tone} label={b.label} />
                      ))}
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </CardBody>
      <div className="overview-card__subheader">
        <h4 className="overview-card__subtitle">
          Demo accounts
          {demo.resource.status === 'success' ? <span className="overview-card__count"> ({demo.resource.data.length})</span> : null}
        </h4>
        <Link to={routePaths.demo} className="overview-card__more" aria-label="Open Demo accounts">
          Open
        </Link>
      </div>
      <CardBody resource={demo.resource} rows={1} label="Loading demo accounts" onRetry={demo.reload}>
        {(accounts) =>
          accounts.length === 0 ? (
            canTrade(workspace.role) ? (
              <NextStep to={routePaths.demo} hint="Practise with play money on live prices before any real key trades.">
                Open a demo account
              </NextStep>
            ) : (
              <p className="empty">No demo accounts yet.</p>
            )
          ) : (
            <ul className="overview-list" aria-label="Demo accounts">
              {accounts.map((account) => (
                <li key={account.id} className="overview-list__item">
                  <span className="overview-list__main">
                    <span className="overview-list__name">{account.name}</span>
                  </span>
                  <span className="tag">{account.kind === 'futures' ? 'Demo Futures' : 'Demo Spot'}</span>
                </li>
              ))}
            </ul>
          )
        }
      </CardBody>
    </OverviewCard>
  )
}
