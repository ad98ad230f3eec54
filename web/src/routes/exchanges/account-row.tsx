import { useState, type ReactNode } from 'react'
import { enableExchangeAccount, removeExchangeAccount, verifyExchangeAccount } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { ApprovalWaiting } from '../../components/approval-waiting'
import { ConfirmAction } from '../../components/confirm-action'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import { asSentence, formatDateTime } from '../../lib/account-format'
import { accountBadges, canDisable, canEditLimits, canEnable, canReplaceKey, canVerifyNow, disabledText, marketLabel } from '../../lib/exchange-badges'
import { awaitingPublicKey, isAwaitingApiKey } from '../../lib/exchange-keypair'
import type { CatalogueEntry, ExchangeAccount, KeyLimits } from '../../lib/exchange-parsers'
import { useAppSession } from '../../lib/session-context'
import type { Approval } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import type { SignerKey } from '../../lib/use-signer-key'
import { DisableForm } from './disable-form'
import { FinishConnectingForm } from './finish-connecting-form'
import { LimitsEditor } from './limits-editor'
import { ReplaceKeyForm } from './replace-key-form'

type Panel = 'finish' | 'limits' | 'replace' | 'disable'

export type AccountRowProps = {
  account: ExchangeAccount
  /** undefined for an exchange the catalogue no longer lists. */
  entry: CatalogueEntry | undefined
  workspaceId: string
  /** The addresses to whitelist, for finishing a generated key. */
  egressIps: readonly string[]
  canManage: boolean
  signer: SignerKey
  onChanged: () => void
  /** This row started a widening: the pending changes (which name the account by its key id) load again. */
  onPending: () => void
}

export const LimitsSummary = ({ limits }: { limits: KeyLimits }) => (
  <dl className="details">
    <div className="details__row">
      <dt>Markets</dt>
      <dd>{limits.symbols.join(', ')}</dd>
    </div>
    <div className="details__row">
      <dt>Per order</dt>
      <dd>at most {limits.maxOrderNotional} (quote currency)</dd>
    </div>
    <div className="details__row">
      <dt>Per 24 hours</dt>
      <dd>at most {limits.max24hNotional}</dd>
    </div>
    <div className="details__row">
      <dt>Orders</dt>
      <dd>at most {limits.maxOrdersPerMinute} per minute</dd>
    </div>
    <div className="details__row">
      <dt>Price band</dt>
      <dd>within {limits.priceBandPct} % of the market price</dd>
    </div>
  </dl>
)

/** One exchange account: badges, facts, and (for owners and admins) what can be done with it. */
export const AccountRow = ({ account, entry, workspaceId, egressIps, canManage, signer, onChanged, onPending }: AccountRowProps) => {
  const { client } = useAppSession()
  const action = useAction()
  const [panel, setPanel] = useState<Panel | undefined>(undefined)
  const [status, setStatus] = useState<ReactNode>(null)
  // A new key for this account that waits for a second owner or admin (four-eyes, R42).
  const [waiting, setWaiting] = useState<Approval | undefined>(undefined)
  const exchangeName = entry?.name ?? account.exchange
  const badges = accountBadges(account, exchangeName, new Date())
  const disabled = disabledText(account)
  const isAwaiting = isAwaitingApiKey(account)
  const publicKeyPem = awaitingPublicKey(account)
  const titleId = `account-${account.id}-title`
  const panelId = `account-${account.id}-panel`

  const toggle = (next: Panel) => {
    setStatus(null)
    setWaiting(undefined)
    action.clearError()
    setPanel((current) => (current === next ? undefined : next))
  }

  const finish = (message: ReactNode) => {
    setPanel(undefined)
    setStatus(message)
    onChanged()
  }

  const waitForApproval = (approval: Approval) => {
    setPanel(undefined)
    setStatus(null)
    setWaiting(approval)
    onChanged()
  }

  const verify = () =>
    void action.run(async () => {
      setStatus(null)
      const updated = await verifyExchangeAccount(client, workspaceId, account.id)
      const result = updated.verification.status === 'verified' ? 'verified' : updated.verification.status === 'unverifiable' ? 'could not be verified' : 'not verified: the exchange did not answer'
      finish(`Checked with ${exchangeName} just now: ${result}.`)
    })

  const enable = () =>
    void action.run(async () => {
      setStatus(null)
      const { operation } = await enableExchangeAccount(client, workspaceId, account.id)
      onPending()
      finish(
        <>
          Enabling waits for your confirmation under Pending changes: confirm with a passkey, or it takes effect{' '}
          <time dateTime={operation.notBefore}>{formatDateTime(operation.notBefore)}</time> unless you cancel it.
        </>,
      )
    })

  const remove = () =>
    void action.run(async () => {
      await removeExchangeAccount(client, workspaceId, account.id)
      onChanged()
    })

  const actionButton = (panelName: Panel, text: string) => (
    <button
      type="button"
      className="button button--secondary button--small"
      aria-expanded={panel === panelName}
      aria-controls={panel === panelName ? panelId : undefined}
      aria-label={`${text}: ${account.label}`}
      onClick={() => toggle(panelName)}
    >
      {text}
    </button>
  )

  return (
    <li className="row account" aria-labelledby={titleId}>
      <div className="row__main">
        <p className="row__title" id={titleId}>
          {account.label}
          <span className="tag">
            {exchangeName} · {marketLabel(entry?.market ?? 'spot')}
          </span>
        </p>
        <ul className="badges" aria-label={`Status of ${account.label}`}>
          {badges.map((badge) => (
            <li key={badge.id}>
              <StatusBadge tone={badge.tone} label={badge.label} />
            </li>
          ))}
        </ul>
        {disabled === undefined ? null : <p className="account__disabled">{disabled}</p>}
        {account.verification.note === undefined ? null : <p className="row__meta">{asSentence(account.verification.note).replace(/\.?$/, '.')}</p>}
        <p className="row__meta">
          {isAwaiting ? 'No API key yet' : <>Key <code>{account.apiKeyHint}</code></>} · added <TimeText iso={account.keyCreatedAt} /> ·{' '}
          {account.lastUsedAt === null ? 'never used' : <>last used <TimeText iso={account.lastUsedAt} /></>}
          {account.lastVerifiedAt === null ? null : (
            <>
              {' '}
              · checked <TimeText iso={account.lastVerifiedAt} />
            </>
          )}
        </p>
        {account.limits === null ? (
          <p className="row__meta">Limits: unknown while the signer does not answer.</p>
        ) : (
          <LimitsSummary limits={account.limits} />
        )}
        <ActionError action={action} />
        {status === null ? null : (
          <p className="account__status" role="status">
            {status}
          </p>
        )}
        {waiting === undefined ? null : <ApprovalWaiting approval={waiting} />}
        {panel === undefined ? null : (
          <div className="account__panel" id={panelId}>
            {panel === 'finish' ? (
              publicKeyPem === undefined ? (
                <p>The signer did not record a public key for this account, so it cannot be finished. Remove it and connect the key again.</p>
              ) : (
                <FinishConnectingForm
                  account={account}
                  publicKeyPem={publicKeyPem}
                  entry={entry}
                  egressIps={egressIps}
                  workspaceId={workspaceId}
                  idPrefix={`account-${account.id}-finish`}
                  laterLabel="Cancel"
                  onLater={() => setPanel(undefined)}
                  onFinished={(updated) =>
                    finish(
                      updated.state === 'active'
                        ? `Connected: ${exchangeName} confirmed the key can trade and cannot withdraw.`
                        : `The API key is stored, but the key is not active yet: its badges show what ${exchangeName} reported.`,
                    )
                  }
                  onWaiting={waitForApproval}
                />
              )
            ) : panel === 'limits' ? (
              account.limits === null ? (
                <p>The limits cannot be changed while the signer does not answer. Try again in a moment.</p>
              ) : (
                <LimitsEditor
                  account={account}
                  current={account.limits}
                  workspaceId={workspaceId}
                  onCancel={() => setPanel(undefined)}
                  onApplied={() => finish('The new limits apply now.')}
                  onPending={(operation) => {
                    onPending()
                    finish(
                      <>
                        The raised limits wait for your confirmation under Pending changes: confirm with a passkey, or they take effect{' '}
                        <time dateTime={operation.notBefore}>{formatDateTime(operation.notBefore)}</time> unless you cancel them.
                      </>,
                    )
                  }}
                  onWaiting={waitForApproval}
                />
              )
            ) : panel === 'replace' ? (
              entry === undefined ? (
                <p>{account.exchange} is no longer in the catalogue, so a new key cannot be added for it here.</p>
              ) : (
                <ReplaceKeyForm
                  account={account}
                  entry={entry}
                  workspaceId={workspaceId}
                  signer={signer}
                  onCancel={() => setPanel(undefined)}
                  onReplaced={() => finish(`The new key is in place and the old one is destroyed. Delete the old key at ${exchangeName} too.`)}
                  onWaiting={waitForApproval}
                />
              )
            ) : (
              <DisableForm account={account} workspaceId={workspaceId} onCancel={() => setPanel(undefined)} onDisabled={() => finish('Disabled: the signer refuses every request with this key now.')} />
            )}
          </div>
        )}
      </div>
      {canManage ? (
        <div className="row__actions">
          {isAwaiting ? actionButton('finish', 'Finish connecting') : null}
          {canVerifyNow(account) ? (
            <button type="button" className="button button--secondary button--small" aria-label={`Verify now: ${account.label}`} disabled={action.isBusy} onClick={verify}>
              Verify now
            </button>
          ) : null}
          {canEditLimits(account) ? actionButton('limits', 'Edit limits') : null}
          {canReplaceKey(account) ? actionButton('replace', 'Replace key') : null}
          {canDisable(account) ? actionButton('disable', 'Disable') : null}
          {canEnable(account) ? (
            <button type="button" className="button button--secondary button--small" aria-label={`Enable: ${account.label}`} disabled={action.isBusy} onClick={enable}>
              Enable
            </button>
          ) : null}
          <ConfirmAction
            label="Remove"
            accessibleLabel={`Remove: ${account.label}`}
            question={`Remove “${account.label}”? The signer destroys its copy of the key at once and bots using it stop. The key still exists at ${exchangeName}: delete it there too.`}
            confirmLabel="Yes, remove"
            isBusy={action.isBusy}
            onConfirm={remove}
          />
        </div>
      ) : null}
    </li>
  )
}
