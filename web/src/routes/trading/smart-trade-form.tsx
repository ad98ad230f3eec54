import { useId, useRef, useState, type Dispatch, type FormEvent, type SetStateAction } from 'react'
import { createSmartTrade } from '../../api/trading/mutations'
import type { BotView, TradingAccountView } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { ExitsFields } from './exits-fields'
import { useFieldRefs } from './field-refs'
import { serverFieldErrors, type FieldErrors } from './form-errors'
import { sendIdempotent, type PendingKey } from './idempotency'
import { stopPlacementHelp, stopPlacementText } from './live-state'
import { RiskFields, hasRiskError } from './risk-fields'
import {
  accountKeyOf,
  bodyFieldOf,
  emptySmartTradeDraft,
  exitsFieldOrder,
  isFuturesSymbol,
  smartTradeBodyFrom,
  tidySymbol,
  type EntryType,
  type SmartTradeDraft,
} from './smart-trade-draft'
import { mayTradeOn, stopPlacementFor, tradingAccountOption } from './trading-format'

const entryTypes: Readonly<Record<EntryType, string>> = { market: 'At market', limit: 'Limit price', conditional: 'When the price crosses a level' }

const fieldOrder = (draft: SmartTradeDraft): string[] => [
  'name',
  'accountKey',
  'symbol',
  'direction',
  'amount',
  'entryPrice',
  'triggerPrice',
  'triggerDirection',
  'triggerLimitPrice',
  ...exitsFieldOrder(draft.targets.length),
  'risk.maxOrderNotional',
  'risk.maxPositionNotional',
  'risk.maxOpenOrders',
  'risk.maxDailyLoss',
  'risk.cooldownMinutes',
  'risk.priceBandPercent',
]

/** The account a new form starts on: a demo one first (the safe place to try), else any that can trade. */
export const firstTradableAccount = (accounts: readonly TradingAccountView[]): TradingAccountView | undefined =>
  accounts.find((account) => mayTradeOn(account) && account.kind === 'demo') ?? accounts.find((account) => mayTradeOn(account))

type Props = {
  workspaceId: string
  accounts: readonly TradingAccountView[]
  /** Held by the page, which draws it on the chart and writes dragged lines back into it. */
  draft: SmartTradeDraft
  onDraftChange: Dispatch<SetStateAction<SmartTradeDraft>>
  /** Suggestions for the symbol field (the demo exchange's markets of the account's kind). */
  symbolOptions: readonly string[]
  onCreated: (bot: BotView) => void
}

/**
 * A new Smart Trade: account, symbol, direction, amount, entry, targets, stop, timeout and optional
 * risk limits. Checked with the API's schema before sending; it starts as soon as the server has it.
 * The create request carries an idempotency key, kept for a retry after a lost answer. Errors show on
 * the field they are about, the server's validation errors too; what belongs to no field, by the button.
 */
export const SmartTradeForm = ({ workspaceId, accounts, draft, onDraftChange, symbolOptions, onCreated }: Props) => {
  const { client } = useAppSession()
  const [ownErrors, setErrors] = useState<FieldErrors>({})
  const [isRiskShown, setIsRiskShown] = useState(false)
  const pendingKey = useRef<PendingKey | undefined>(undefined)
  const action = useAction()
  const { register, focusFirstAfterRender } = useFieldRefs()
  const idPrefix = useId()
  const errors: FieldErrors = { ...serverFieldErrors(action.error, bodyFieldOf), ...ownErrors }

  const account = accounts.find((candidate) => accountKeyOf(candidate) === draft.accountKey)
  const isFutures = isFuturesSymbol(draft.symbol)

  const update = (patch: Partial<SmartTradeDraft>) => onDraftChange((previous) => ({ ...previous, ...patch }))

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    action.clearError()
    const checked = smartTradeBodyFrom(draft, account?.market)
    if (!checked.ok) {
      setErrors(checked.errors)
      if (hasRiskError(checked.errors)) setIsRiskShown(true)
      focusFirstAfterRender(checked.errors, fieldOrder(draft))
      return
    }
    setErrors({})
    void action.run(async () => {
      const bot = await sendIdempotent(pendingKey, JSON.stringify(checked.body), (key) => createSmartTrade(client, workspaceId, checked.body, key))
      onDraftChange(emptySmartTradeDraft(draft.accountKey))
      onCreated(bot)
    })
  }

  const tradable = accounts.filter((candidate) => mayTradeOn(candidate))
  if (tradable.length === 0) {
    return <p className="empty">No account can trade yet. Create a demo account on the Demo page, or connect an exchange account with an active key.</p>
  }

  return (
    <form className="form trading-form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-labelledby="smart-trade-create-title">
      <SelectField
        id={`${idPrefix}-account`}
        ref={register('accountKey')}
        label="Account"
        value={draft.accountKey}
        error={errors.accountKey}
        help={account === undefined ? undefined : `Stops: ${stopPlacementText[stopPlacementFor(account)]}. ${stopPlacementHelp[stopPlacementFor(account)]}`}
        onChange={(event) => update({ accountKey: event.target.value })}
      >
        <option value="">Choose an account</option>
        {accounts.map((option) => (
          <option key={accountKeyOf(option)} value={accountKeyOf(option)} disabled={!mayTradeOn(option)}>
            {tradingAccountOption(option)}
          </option>
        ))}
      </SelectField>
      <TextField
        id={`${idPrefix}-symbol`}
        ref={register('symbol')}
        label="Symbol"
        help={account?.market === 'linear' ? 'A futures symbol, e.g. BTC/USDT:USDT.' : 'e.g. BTC/USDT; futures symbols carry the settle currency: BTC/USDT:USDT.'}
        autoComplete="off"
        spellCheck={false}
        list={symbolOptions.length === 0 ? undefined : `${idPrefix}-symbols`}
        className="field__input--mono"
        value={draft.symbol}
        error={errors.symbol}
        onChange={(event) => update({ symbol: event.target.value })}
        onBlur={() => update({ symbol: tidySymbol(draft.symbol), ...(isFuturesSymbol(draft.symbol) ? {} : { direction: 'long' }) })}
      />
      {symbolOptions.length === 0 ? null : (
        <datalist id={`${idPrefix}-symbols`}>
          {symbolOptions.map((symbol) => (
            <option key={symbol} value={symbol} />
          ))}
        </datalist>
      )}
      <fieldset className="choices" aria-describedby={`${idPrefix}-direction-help`}>
        <legend className="field__label">Direction</legend>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-direction`} value="long" checked={draft.direction === 'long'} onChange={() => update({ direction: 'long' })} ref={register('direction')} />
          Long (buy, then sell)
        </label>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-direction`} value="short" checked={draft.direction === 'short'} disabled={!isFutures} onChange={() => update({ direction: 'short' })} />
          Short (sell, then buy back)
        </label>
        <span className="field__help" id={`${idPrefix}-direction-help`}>
          {isFutures ? 'Futures can go long or short.' : 'Spot trades go long only; short needs a futures symbol (with ":").'}
        </span>
        {errors.direction === undefined ? null : <span className="field__error">{errors.direction}</span>}
      </fieldset>
      <TextField
        id={`${idPrefix}-name`}
        ref={register('name')}
        label="Name (optional)"
        maxLength={80}
        autoComplete="off"
        value={draft.name}
        error={errors.name}
        onChange={(event) => update({ name: event.target.value })}
      />
      <TextField
        id={`${idPrefix}-amount`}
        ref={register('amount')}
        label="Amount"
        help="In the base currency (BTC for BTC/USDT)."
        inputMode="decimal"
        autoComplete="off"
        className="field__input--short"
        value={draft.amount}
        error={errors.amount}
        onChange={(event) => update({ amount: event.target.value })}
      />
      <SelectField id={`${idPrefix}-entry`} label="Entry" value={draft.entryType} onChange={(event) => update({ entryType: event.target.value as EntryType })}>
        {(Object.keys(entryTypes) as EntryType[]).map((type) => (
          <option key={type} value={type}>
            {entryTypes[type]}
          </option>
        ))}
      </SelectField>
      {draft.entryType === 'limit' ? (
        <TextField
          id={`${idPrefix}-entry-price`}
          ref={register('entryPrice')}
          label="Limit price"
          inputMode="decimal"
          autoComplete="off"
          className="field__input--short"
          value={draft.entryPrice}
          error={errors.entryPrice}
          onChange={(event) => update({ entryPrice: event.target.value })}
        />
      ) : null}
      {draft.entryType === 'conditional' ? (
        <div className="trading-row">
          <SelectField
            id={`${idPrefix}-trigger-direction`}
            label="When the price goes"
            value={draft.triggerDirection}
            onChange={(event) => update({ triggerDirection: event.target.value === 'below' ? 'below' : 'above' })}
          >
            <option value="above">Above (a breakout)</option>
            <option value="below">Below (a dip)</option>
          </SelectField>
          <TextField
            id={`${idPrefix}-trigger`}
            ref={register('triggerPrice')}
            label="Trigger price"
            inputMode="decimal"
            autoComplete="off"
            className="field__input--short"
            value={draft.triggerPrice}
            error={errors.triggerPrice}
            onChange={(event) => update({ triggerPrice: event.target.value })}
          />
          <TextField
            id={`${idPrefix}-trigger-limit`}
            ref={register('triggerLimitPrice')}
            label="Limit price (optional)"
            help="Empty: enter at market once triggered."
            inputMode="decimal"
            autoComplete="off"
            className="field__input--short"
            value={draft.triggerLimitPrice}
            error={errors.triggerLimitPrice}
            onChange={(event) => update({ triggerLimitPrice: event.target.value })}
          />
        </div>
      ) : null}
      <ExitsFields idPrefix={idPrefix} draft={draft} errors={errors} onChange={update} register={register} />
      <div className="trading-disclosure">
        <button type="button" className="button button--secondary button--small" aria-expanded={isRiskShown} aria-controls={`${idPrefix}-risk`} onClick={() => setIsRiskShown(!isRiskShown)}>
          {isRiskShown ? 'Hide risk limits' : 'Risk limits (optional)'}
        </button>
        <div id={`${idPrefix}-risk`} hidden={!isRiskShown}>
          {isRiskShown ? (
            <RiskFields idPrefix={idPrefix} draft={draft.risk} errors={errors} namePrefix="risk." onChange={(patch) => update({ risk: { ...draft.risk, ...patch } })} register={register} />
          ) : null}
        </div>
      </div>
      {errors.form === undefined ? null : (
        <div className="notice notice--error" role="alert" tabIndex={-1} ref={register('form')}>
          <p className="notice__message">{errors.form}</p>
        </div>
      )}
      <ActionError action={action} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Starting…' : 'Start the Smart Trade'}
        </button>
      </div>
    </form>
  )
}
