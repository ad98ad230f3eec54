import { useState } from 'react'
import { cancelWidening, confirmWidening, wideningPasskeyOptions } from '../../api/exchanges/mutations'
import { ActionError } from '../../components/action-error'
import { Link } from '../../components/link'
import { Notice } from '../../components/notice'
import { ResourceView } from '../../components/resource-view'
import { TimeText } from '../../components/time-text'
import { asSentence, formatDateTime } from '../../lib/account-format'
import { isNoPasskeyRefusal } from '../../lib/exchange-errors'
import { proposedLimits, type ExchangeAccount, type WideningOperation } from '../../lib/exchange-parsers'
import { limitChanges } from '../../lib/key-limits'
import { accountForOperation, describeOperation } from '../../lib/pending-changes'
import { canUsePasskeys, signWithPasskey } from '../../lib/passkey'
import { routePaths } from '../../lib/router'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import type { Resource } from '../../lib/use-resource'
import { LimitsSummary } from './account-row'

type Outcome = { tone: 'success' | 'warning'; text: string }

type RowProps = {
  operation: WideningOperation
  account: ExchangeAccount | undefined
  workspaceId: string
  onDone: (outcome: Outcome) => void
}

const PendingRow = ({ operation, account, workspaceId, onDone }: RowProps) => {
  const { client } = useAppSession()
  const me = useMe()
  const action = useAction()
  const [hasNoPasskey, setHasNoPasskey] = useState(me.security.passkeys === 0)
  // The signer trusts a new passkey only after its delay or when a passkey it already trusts confirms it.
  // With this the person's only passkey, no trusted one exists: the button could only be refused.
  const isFirstPasskeyTrust = operation.kind === 'trust_passkey' && me.security.passkeys <= 1
  const title = describeOperation(operation, account)
  const isDue = Date.parse(operation.notBefore) <= Date.now()
  const proposed = proposedLimits(operation)
  const changes = proposed !== undefined && account !== undefined && account.limits !== null ? limitChanges(account.limits, proposed) : undefined
  const titleId = `pending-${operation.operationId}-title`

  const confirm = () =>
    void action.run(async () => {
      // This person has no passkey to confirm with; the change still applies after its delay. Any other
      // refusal (the operation is no longer pending, …) is shown as the error it is.
      const options = await wideningPasskeyOptions(client, workspaceId, operation.operationId).catch((error: unknown) => {
        if (isNoPasskeyRefusal(error)) return undefined
        throw error
      })
      if (options === undefined) return setHasNoPasskey(true)
      const outcome = await confirmWidening(client, workspaceId, operation.operationId, await signWithPasskey(options))
      onDone(
        outcome.state === 'applied' || outcome.state === undefined
          ? { tone: 'success', text: `${title}: confirmed and applied.` }
          : { tone: 'warning', text: `${title}: not applied (${outcome.state})${outcome.note === undefined ? '' : `: ${outcome.note}`}.` },
      )
    })

  const cancel = () =>
    void action.run(async () => {
      await cancelWidening(client, workspaceId, operation.operationId)
      onDone({ tone: 'success', text: `${title}: cancelled. Nothing changed.` })
    })

  return (
    <li className="row" aria-labelledby={titleId}>
      <div className="row__main">
        <p className="row__title" id={titleId}>
          {title}
        </p>
        <p className="row__meta">
          Asked <TimeText iso={operation.createdAt} /> ·{' '}
          {operation.state === 'applying' ? (
            'being applied now'
          ) : isDue ? (
            "due now: it takes effect at the signer's next check unless you cancel it"
          ) : (
            <>
              takes effect <time dateTime={operation.notBefore}>{formatDateTime(operation.notBefore)}</time> (<TimeText iso={operation.notBefore} />) unless you
              cancel it
            </>
          )}
        </p>
        {changes !== undefined && changes.widening.length + changes.narrowing.length > 0 ? (
          <ul className="change-list">
            {[...changes.widening, ...changes.narrowing].map((change) => (
              <li key={change.text}>{asSentence(change.text)}</li>
            ))}
          </ul>
        ) : proposed !== undefined ? (
          <LimitsSummary limits={proposed} />
        ) : null}
        {isFirstPasskeyTrust ? (
          <p className="field__help">
            Your first passkey is trusted for key changes from <time dateTime={operation.notBefore}>{formatDateTime(operation.notBefore)}</time>: a stolen session must not
            be able to add a passkey and loosen a key at once. Nothing else waits for it.
          </p>
        ) : hasNoPasskey ? (
          <Notice tone="info">
            <p>
              This change takes effect at <time dateTime={operation.notBefore}>{formatDateTime(operation.notBefore)}</time> unless you cancel it; add a passkey to
              confirm at once. <Link to={routePaths.security}>Add a passkey under Security</Link>
            </p>
          </Notice>
        ) : !canUsePasskeys() ? (
          <p className="field__help">This browser cannot use passkeys: confirm from another device, or let the change take effect after its delay.</p>
        ) : null}
        <ActionError action={action} />
      </div>
      {operation.state === 'pending' ? (
        <div className="row__actions">
          {hasNoPasskey || isFirstPasskeyTrust || !canUsePasskeys() ? null : (
            <button type="button" className="button button--primary button--small" aria-label={`Confirm with passkey: ${title}`} disabled={action.isBusy} onClick={confirm}>
              {action.isBusy ? 'Waiting for passkey…' : 'Confirm with passkey'}
            </button>
          )}
          <button type="button" className="button button--secondary button--small" aria-label={`Cancel change: ${title}`} disabled={action.isBusy} onClick={cancel}>
            Cancel change
          </button>
        </div>
      ) : null}
    </li>
  )
}

type Props = {
  workspaceId: string
  widenings: Resource<WideningOperation[]>
  onRetry: () => void
  accounts: readonly ExchangeAccount[]
  onChanged: () => void
}

/**
 * Widenings waiting for a passkey or their delay. The signer checks the passkey itself, against the
 * passkeys it trusts, so a TOTP code or a stolen session cannot confirm them.
 */
export const PendingChanges = ({ workspaceId, widenings, onRetry, accounts, onChanged }: Props) => {
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined)
  // Nothing waiting and nothing just done: the card would only say so.
  const isEmpty = widenings.status === 'success' && !widenings.data.some((operation) => operation.state === 'pending' || operation.state === 'applying')
  // A lockdown voids every pending change, and the list is not readable while locked: nothing to show.
  const isLocked = widenings.status === 'error' && widenings.error.code === 'WORKSPACE_LOCKED'
  if ((isEmpty || isLocked) && outcome === undefined) return null
  return (
    <section className="card" aria-labelledby="pending-changes-title">
      <h3 id="pending-changes-title" className="card__title">
        Pending changes
      </h3>
      <p className="card__intro">Raised limits and keys turned back on wait here until you confirm them with a passkey, or until their time comes.</p>
      {outcome === undefined ? null : <Notice tone={outcome.tone}>{outcome.text}</Notice>}
      <ResourceView resource={widenings} loadingLabel="Loading pending changes" onRetry={onRetry}>
        {(list) => {
          const open = list.filter((operation) => operation.state === 'pending' || operation.state === 'applying')
          return open.length === 0 ? (
            <p className="empty">No changes are waiting.</p>
          ) : (
            <ul className="rows" aria-label="Pending changes">
              {open.map((operation) => (
                <PendingRow
                  key={operation.operationId}
                  operation={operation}
                  account={accountForOperation(operation, accounts)}
                  workspaceId={workspaceId}
                  onDone={(result) => {
                    setOutcome(result)
                    onChanged()
                  }}
                />
              ))}
            </ul>
          )
        }}
      </ResourceView>
    </section>
  )
}
