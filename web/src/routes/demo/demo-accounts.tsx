import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { createDemoAccount, resetDemoAccount } from '../../api/demo/mutations'
import { ActionError } from '../../components/action-error'
import { TextField } from '../../components/text-field'
import { TimeText } from '../../components/time-text'
import { plural } from '../../lib/account-format'
import { accountKindLabels, feesText, isoOf } from '../../lib/demo-format'
import { checkBalance } from '../../lib/demo-order-validation'
import type { DemoAccount, DemoAccountKind } from '../../lib/demo-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import type { Resource } from '../../lib/use-resource'
import { PolledView } from './polled'

export const DEFAULT_BALANCE = '10000'
/** The server's limit (createDemoAccountBody in src/demo/demo-types.ts). */
const MAX_NAME = 60

type ResetProps = { workspaceId: string; account: DemoAccount; onReset: (account: DemoAccount) => void }

/** Reset asks first (with the balance to start again from): open orders and positions go, history stays. */
const ResetAccount = ({ workspaceId, account, onReset }: ResetProps) => {
  const { client } = useAppSession()
  const [isAsking, setIsAsking] = useState(false)
  const [balance, setBalance] = useState(DEFAULT_BALANCE)
  const [balanceError, setBalanceError] = useState<string | undefined>(undefined)
  const action = useAction()
  const startRef = useRef<HTMLButtonElement>(null)
  const hasAskedRef = useRef(false)
  const fieldId = useId()

  useEffect(() => {
    if (!isAsking && hasAskedRef.current) startRef.current?.focus()
  }, [isAsking])

  if (!isAsking) {
    return (
      <button
        type="button"
        ref={startRef}
        className="button button--secondary button--small"
        aria-label={`Reset demo account ${account.name}`}
        onClick={() => {
          hasAskedRef.current = true
          setIsAsking(true)
        }}
      >
        Reset
      </button>
    )
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const checked = checkBalance(balance, 'The balance')
    if (!checked.ok) {
      setBalanceError(checked.error)
      return
    }
    setBalanceError(undefined)
    void action.run(async () => {
      const updated = await resetDemoAccount(client, workspaceId, account.id, checked.balance)
      setIsAsking(false)
      onReset(updated)
    })
  }

  const question = `Reset the demo account "${account.name}"?`
  return (
    <form className="confirm" aria-label={question} onSubmit={submit} noValidate aria-busy={action.isBusy}>
      <p className="confirm__question">{question}</p>
      <p>Open orders are cancelled, positions closed and the balance set to the amount below. Orders and fills stay in the history.</p>
      <TextField
        id={fieldId}
        label="Balance after reset"
        help="In USDT."
        inputMode="decimal"
        autoComplete="off"
        className="field__input--short"
        value={balance}
        error={balanceError}
        autoFocus
        onChange={(event) => setBalance(event.target.value)}
      />
      <ActionError action={action} />
      <div className="confirm__actions">
        <button type="submit" className="button button--small button--danger" disabled={action.isBusy}>
          {action.isBusy ? 'Resetting…' : 'Yes, reset'}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={() => setIsAsking(false)}>
          Cancel
        </button>
      </div>
    </form>
  )
}

type ListProps = {
  workspaceId: string
  accounts: Resource<DemoAccount[]>
  /** The last list loaded, kept through a failed refresh. */
  kept: DemoAccount[] | undefined
  onRetry: () => void
  selectedId: string | undefined
  onSelect: (id: string) => void
  onChanged: () => void
}

/** The workspace's demo accounts: which one is shown below, and reset. */
export const DemoAccountList = ({ workspaceId, accounts, kept, onRetry, selectedId, onSelect, onChanged }: ListProps) => (
  <PolledView resource={accounts} kept={kept} loadingLabel="Loading demo accounts" onRetry={onRetry}>
    {(list) =>
      list.length === 0 ? (
        <p className="empty">No demo accounts yet. Create one below to start paper trading.</p>
      ) : (
        <ul className="rows" aria-label="Demo accounts">
          {list.map((account) => {
            const isSelected = account.id === selectedId
            return (
              <li key={account.id} className="row" aria-current={isSelected ? 'true' : undefined}>
                <div className="row__main">
                  <span className="row__title">
                    {account.name}
                    <span className="tag">{accountKindLabels[account.kind]}</span>
                    {isSelected ? <span className="tag tag--current">Shown below</span> : null}
                  </span>
                  <span className="row__meta">
                    Created <TimeText iso={isoOf(account.createdAtMs)} /> · {account.resetCount === 0 ? 'never reset' : `reset ${plural(account.resetCount, 'time', 'times')}`} · fees{' '}
                    {feesText(account.fees)}
                  </span>
                </div>
                <div className="row__actions">
                  {isSelected ? null : (
                    <button type="button" className="button button--secondary button--small" aria-label={`Open demo account ${account.name}`} onClick={() => onSelect(account.id)}>
                      Open
                    </button>
                  )}
                  <ResetAccount workspaceId={workspaceId} account={account} onReset={onChanged} />
                </div>
              </li>
            )
          })}
        </ul>
      )
    }
  </PolledView>
)

type CreateProps = { workspaceId: string; onCreated: (account: DemoAccount) => void }

/** A new demo account: a name, spot or futures, and its starting USDT. */
export const CreateDemoAccountForm = ({ workspaceId, onCreated }: CreateProps) => {
  const { client } = useAppSession()
  const [name, setName] = useState('')
  const [kind, setKind] = useState<DemoAccountKind>('spot')
  const [balance, setBalance] = useState(DEFAULT_BALANCE)
  const [errors, setErrors] = useState<{ name?: string; balance?: string }>({})
  const action = useAction()
  const nameRef = useRef<HTMLInputElement>(null)
  const balanceRef = useRef<HTMLInputElement>(null)
  const idPrefix = useId()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const trimmed = name.trim()
    const checked = checkBalance(balance, 'The initial balance')
    const found = {
      ...(trimmed === '' ? { name: 'Give the account a name.' } : {}),
      ...(checked.ok ? {} : { balance: checked.error }),
    }
    setErrors(found)
    if (found.name !== undefined) {
      nameRef.current?.focus()
      return
    }
    if (!checked.ok) {
      balanceRef.current?.focus()
      return
    }
    void action.run(async () => {
      const account = await createDemoAccount(client, workspaceId, { name: trimmed, kind, initialBalance: checked.balance })
      setName('')
      onCreated(account)
    })
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-labelledby="demo-create-title">
      <TextField
        id={`${idPrefix}-name`}
        ref={nameRef}
        label="Account name"
        maxLength={MAX_NAME}
        autoComplete="off"
        value={name}
        error={errors.name}
        onChange={(event) => setName(event.target.value)}
      />
      <fieldset className="choices">
        <legend className="field__label">Market</legend>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-kind`} value="spot" checked={kind === 'spot'} onChange={() => setKind('spot')} />
          Demo Spot
        </label>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-kind`} value="futures" checked={kind === 'futures'} onChange={() => setKind('futures')} />
          Demo Futures (USDT-margined perpetuals)
        </label>
      </fieldset>
      <TextField
        id={`${idPrefix}-balance`}
        ref={balanceRef}
        label="Initial balance"
        help="In USDT; virtual money, set again at any reset."
        inputMode="decimal"
        autoComplete="off"
        className="field__input--short"
        value={balance}
        error={errors.balance}
        onChange={(event) => setBalance(event.target.value)}
      />
      <ActionError action={action} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Creating…' : 'Create demo account'}
        </button>
      </div>
    </form>
  )
}
