import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { promoteBot } from '../../api/trading/mutations'
import type { BotView, DemoRecord, TradingAccountView } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { ApprovalWaiting } from '../../components/approval-waiting'
import { Notice } from '../../components/notice'
import { useAppSession } from '../../lib/session-context'
import type { Approval } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { DemoRecordFacts } from './demo-record'
import { mayTradeOn } from './trading-format'

type Props = {
  workspaceId: string
  bot: BotView
  record: DemoRecord
  accounts: readonly TradingAccountView[]
  onClose: () => void
  onPromoted: (bot: BotView) => void
}

/**
 * "Promote to a real account": the demo record once more, the exchange account to move to (only those
 * whose key can trade), and a plain warning. The server asks for step-up; the api client opens that
 * dialog over this one and repeats the request. A native modal <dialog>: focus stays inside, Escape
 * closes it.
 */
export const PromotionDialog = ({ workspaceId, bot, record, accounts, onClose, onPromoted }: Props) => {
  const { client } = useAppSession()
  const dialogRef = useRef<HTMLDialogElement>(null)
  const exchangeAccounts = accounts.filter((account) => account.kind === 'exchange')
  const tradable = exchangeAccounts.filter((account) => mayTradeOn(account))
  const [accountId, setAccountId] = useState(tradable.length === 1 ? (tradable[0]?.id ?? '') : '')
  const [choiceError, setChoiceError] = useState<string | undefined>(undefined)
  // Four-eyes (R42): the promotion waits for a second owner or admin; the bot stays on demo meanwhile.
  const [waiting, setWaiting] = useState<Approval | undefined>(undefined)
  const action = useAction()
  const idPrefix = useId()

  useEffect(() => {
    const dialog = dialogRef.current
    if (dialog !== null && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])

  const chosen = tradable.find((account) => account.id === accountId)

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (chosen === undefined) {
      setChoiceError('Choose the exchange account it moves to.')
      return
    }
    setChoiceError(undefined)
    void action.run(async () => {
      const result = await promoteBot(client, workspaceId, bot.id, chosen.id)
      if (result.status === 'pending') setWaiting(result.approval)
      else onPromoted(result.value)
    })
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog trading-dialog"
      aria-labelledby={`${idPrefix}-title`}
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
    >
      <h2 id={`${idPrefix}-title`} className="card__title">
        Promote “{bot.name}” to a real account
      </h2>
      {waiting !== undefined ? (
        <div className="form">
          <ApprovalWaiting approval={waiting} />
          <p className="card__intro">Until then “{bot.name}” keeps running on {bot.account.label}.</p>
          <div className="form__actions">
            <button type="button" className="button button--secondary" onClick={onClose}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
          <p className="card__intro">Its record on {bot.account.label}:</p>
          <DemoRecordFacts record={record} />
          {exchangeAccounts.length === 0 ? (
            <p className="empty">There is no exchange account to move it to. Connect one on the Exchanges page first.</p>
          ) : (
            <fieldset className="choices choices--stacked" aria-describedby={choiceError === undefined ? undefined : `${idPrefix}-choice-error`}>
              <legend className="field__label">Exchange account</legend>
              {exchangeAccounts.map((account) => (
                <label key={account.id} className="choice">
                  <input
                    type="radio"
                    name={`${idPrefix}-account`}
                    value={account.id}
                    checked={accountId === account.id}
                    disabled={!mayTradeOn(account)}
                    onChange={() => setAccountId(account.id)}
                  />
                  {account.label} — {account.venue} {account.market === 'spot' ? 'spot' : 'futures'}
                  {account.tradable === false ? ' (not granted to you)' : account.canTrade ? '' : ' (cannot trade: its key is not active)'}
                </label>
              ))}
              {choiceError === undefined ? null : (
                <span className="field__error" id={`${idPrefix}-choice-error`}>
                  {choiceError}
                </span>
              )}
            </fieldset>
          )}
          <Notice tone="warning">
            <p>
              From then on it trades <strong>real funds</strong>
              {chosen === undefined ? '' : ` on ${chosen.label}`}, within the risk limits of the bot and the account and the limits of the exchange key. You will be asked
              to confirm it's you.
            </p>
          </Notice>
          <ActionError action={action} />
          <div className="form__actions">
            <button type="submit" className="button button--danger" disabled={action.isBusy || tradable.length === 0}>
              {action.isBusy ? 'Promoting…' : 'Promote to the real account'}
            </button>
            <button type="button" className="button button--secondary" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </dialog>
  )
}
