import { useCallback } from 'react'
import { fetchCatalogue, fetchExchangeAccounts, fetchKeyWidenings } from '../../api/exchanges/queries'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import type { Workspace } from '../../lib/account-parsers'
import type { Catalogue, WideningOperation } from '../../lib/exchange-parsers'
import { useAppSession, useClientResource } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { useSignerKey } from '../../lib/use-signer-key'
import { AccountRow } from './account-row'
import { ConnectFlow } from './connect-flow'
import './exchanges.css'
import { PendingChanges } from './pending-changes'

const REFRESH_MS = 60_000
const emptyCatalogue: Catalogue = { egressIps: [], exchanges: [] }

/** Roles that may connect, change and remove keys (src/auth/policy.ts `keys.manage`). */
const canManageKeys = (workspace: Workspace) => workspace.role === 'owner' || workspace.role === 'admin'

const WorkspaceExchanges = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const canManage = canManageKeys(workspace)
  const catalogue = useClientResource(fetchCatalogue)
  const loadAccounts = useCallback((signal: AbortSignal) => fetchExchangeAccounts(client, workspace.id, signal), [client, workspace.id])
  const accounts = useResource(loadAccounts, { refreshMs: REFRESH_MS })
  const loadWidenings = useCallback(
    (signal: AbortSignal): Promise<WideningOperation[]> => (canManage ? fetchKeyWidenings(client, workspace.id, signal) : Promise.resolve([])),
    [client, workspace.id, canManage],
  )
  const widenings = useResource(loadWidenings, { refreshMs: REFRESH_MS })
  const signer = useSignerKey(workspace.id, canManage)

  const reloadAll = () => {
    accounts.reload()
    widenings.reload()
  }

  const catalogueData = catalogue.resource.status === 'success' ? catalogue.resource.data : emptyCatalogue
  const accountList = accounts.resource.status === 'success' ? accounts.resource.data : []

  return (
    <>
      {canManage ? (
        <PendingChanges
          workspaceId={workspace.id}
          widenings={widenings.resource}
          onRetry={widenings.reload}
          accounts={accountList}
          onChanged={reloadAll}
        />
      ) : null}
      <section className="card" aria-labelledby="exchange-accounts-title">
        <h3 id="exchange-accounts-title" className="card__title">
          Exchange accounts in {workspace.name}
        </h3>
        <ResourceView resource={accounts.resource} loadingLabel="Loading exchange accounts" onRetry={accounts.reload}>
          {(list) =>
            list.length === 0 ? (
              <p className="empty">No exchange accounts yet.{canManage ? ' Connect one below.' : ''}</p>
            ) : (
              <ul className="rows" aria-label="Exchange accounts">
                {list.map((account) => (
                  <AccountRow
                    key={account.id}
                    account={account}
                    entry={catalogueData.exchanges.find((entry) => entry.id === account.exchange)}
                    workspaceId={workspace.id}
                    egressIps={catalogueData.egressIps}
                    canManage={canManage}
                    signer={signer}
                    onChanged={reloadAll}
                    onPending={widenings.reload}
                  />
                ))}
              </ul>
            )
          }
        </ResourceView>
      </section>
      {canManage ? (
        <section className="card" aria-labelledby="connect-title">
          <h3 id="connect-title" className="card__title">
            Connect an exchange account
          </h3>
          <p className="card__intro">
            A key that can trade but never withdraw, restricted to Bulwark's IP addresses. It is sealed in this browser for the signer, and the signer checks
            its permissions at the exchange before storing it: a key that can move funds is refused.
          </p>
          <ResourceView resource={catalogue.resource} loadingLabel="Loading the supported exchanges" onRetry={catalogue.reload}>
            {(data) => <ConnectFlow workspaceId={workspace.id} catalogue={data} signer={signer} onChanged={reloadAll} />}
          </ResourceView>
        </section>
      ) : (
        <p className="card__intro">Owners and admins of {workspace.name} connect and manage its exchange keys; you can see them here.</p>
      )}
    </>
  )
}

/** Exchange accounts of the current workspace: badges, actions, the connect flow and pending widenings. */
export const ExchangesPage = ({ workspace }: { workspace: Workspace | undefined }) => (
  <>
    <div className="page-intro">
      <PageHeading id="exchanges-title" title="Exchange accounts" className="page-title" />
      <p className="card__intro">
        API keys of your exchange accounts. They are sealed in your browser for Bulwark's signer, which alone can use them, only to trade within the limits you set.
      </p>
    </div>
    {workspace === undefined ? (
      <section className="card">
        <p>You are not a member of any workspace yet, so there are no exchange accounts to show.</p>
      </section>
    ) : (
      <WorkspaceExchanges key={workspace.id} workspace={workspace} />
    )}
  </>
)
