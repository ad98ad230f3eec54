import { useId, useState, type FormEvent } from 'react'
import { createSignalBot, editSignalBot, type CreatedSignalBot } from '../../api/trading/mutations'
import type { BotView, TradingAccountView } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { Link } from '../../components/link'
import { SelectField } from '../../components/select-field'
import { TextAreaField } from '../../components/text-area-field'
import { TextField } from '../../components/text-field'
import { routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { useFieldRefs } from './field-refs'
import type { FieldErrors } from './form-errors'
import { RiskFields, hasRiskError } from './risk-fields'
import { emptySignalBotDraft, signalBotBodyFrom, signalBotFieldOrder, type SignalBotDraft } from './signal-bot-draft'
import { SourceFields } from './source-fields'
import { tradingAccountOption } from './trading-format'

const sideLabels: Readonly<Record<SignalBotDraft['sides'], string>> = {
  long: 'Long only (spot or futures)',
  short: 'Short only (futures)',
  both: 'Long and short (futures)',
}

const riskOrder = ['maxOrderNotional', 'maxPositionNotional', 'maxOpenOrders', 'maxDailyLoss', 'cooldownMinutes', 'priceBandPercent'].map((field) => `risk.${field}`)

type Props =
  | { mode: 'create'; workspaceId: string; accounts: readonly TradingAccountView[]; onCreated: (created: CreatedSignalBot) => void }
  | { mode: 'edit'; workspaceId: string; bot: BotView; initial: SignalBotDraft; onSaved: (bot: BotView) => void; onCancel: () => void }

/**
 * A Signal Bot's settings: symbols, sizing, sides, default exits, where signals come from, what a
 * rejected order does, optional risk limits. A new bot is created on a demo account as a draft (start
 * it from its page); the same form edits a bot that is not running.
 */
export const SignalBotForm = (props: Props) => {
  const { client } = useAppSession()
  const demoAccounts = props.mode === 'create' ? props.accounts.filter((account) => account.kind === 'demo') : []
  const [draft, setDraft] = useState<SignalBotDraft>(() => (props.mode === 'edit' ? props.initial : emptySignalBotDraft(demoAccounts[0]?.id ?? '')))
  const [errors, setErrors] = useState<FieldErrors>({})
  const [isRiskShown, setIsRiskShown] = useState(props.mode === 'edit' && Object.values(props.initial.risk).some((value) => value !== ''))
  const action = useAction()
  const { register, focusFirstAfterRender } = useFieldRefs()
  const idPrefix = useId()

  const update = (patch: Partial<SignalBotDraft>) => setDraft((previous) => ({ ...previous, ...patch }))

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    action.clearError()
    const checked = signalBotBodyFrom(draft)
    if (!checked.ok) {
      setErrors(checked.errors)
      if (hasRiskError(checked.errors)) setIsRiskShown(true)
      focusFirstAfterRender(checked.errors, [...signalBotFieldOrder, ...riskOrder])
      return
    }
    setErrors({})
    void action.run(async () => {
      if (props.mode === 'create') props.onCreated(await createSignalBot(client, props.workspaceId, checked.body))
      else props.onSaved(await editSignalBot(client, props.workspaceId, props.bot.id, { name: checked.body.name, config: checked.body.config }))
    })
  }

  if (props.mode === 'create' && demoAccounts.length === 0) {
    return (
      <p className="empty">
        A new bot starts on a demo account, and there is none yet. Create one on the <Link to={routePaths.demo}>Demo page</Link> first.
      </p>
    )
  }

  return (
    <form
      className="form trading-form"
      onSubmit={submit}
      noValidate
      aria-busy={action.isBusy}
      {...(props.mode === 'create' ? { 'aria-labelledby': 'signal-bot-create-title' } : { 'aria-label': `Settings of ${props.bot.name}` })}
    >
      <TextField
        id={`${idPrefix}-name`}
        ref={register('name')}
        label="Name"
        maxLength={80}
        autoComplete="off"
        value={draft.name}
        error={errors.name}
        onChange={(event) => update({ name: event.target.value })}
      />
      {props.mode === 'create' ? (
        <SelectField
          id={`${idPrefix}-account`}
          ref={register('demoAccountId')}
          label="Demo account"
          help="Every new bot trades virtual money first. Its record there is what you decide a promotion to a real account on."
          value={draft.demoAccountId}
          error={errors.demoAccountId}
          onChange={(event) => update({ demoAccountId: event.target.value })}
        >
          <option value="">Choose a demo account</option>
          {demoAccounts.map((account) => (
            <option key={account.id} value={account.id}>
              {tradingAccountOption(account)}
            </option>
          ))}
        </SelectField>
      ) : null}
      <TextAreaField
        id={`${idPrefix}-symbols`}
        ref={register('symbols')}
        label="Symbols"
        help="Up to 20, one per line or separated by commas, e.g. BTC/USDT; futures: BTC/USDT:USDT."
        rows={2}
        spellCheck={false}
        className="field__input--mono"
        value={draft.symbols}
        error={errors.symbols}
        onChange={(event) => update({ symbols: event.target.value })}
      />
      <fieldset className="choices">
        <legend className="field__label">Size of each entry</legend>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-sizing`} value="quote" checked={draft.sizingKind === 'quote'} onChange={() => update({ sizingKind: 'quote' })} />
          In the quote currency (USDT), converted at the last price
        </label>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-sizing`} value="base" checked={draft.sizingKind === 'base'} onChange={() => update({ sizingKind: 'base' })} />
          In the base currency (BTC)
        </label>
      </fieldset>
      <TextField
        id={`${idPrefix}-sizing-amount`}
        ref={register('sizingAmount')}
        label={draft.sizingKind === 'quote' ? 'Amount per entry (quote)' : 'Amount per entry (base)'}
        help="A signal may name its own amount instead."
        inputMode="decimal"
        autoComplete="off"
        className="field__input--short"
        value={draft.sizingAmount}
        error={errors.sizingAmount}
        onChange={(event) => update({ sizingAmount: event.target.value })}
      />
      <SelectField id={`${idPrefix}-sides`} ref={register('sides')} label="Entries it takes" value={draft.sides} error={errors.sides} onChange={(event) => update({ sides: event.target.value as SignalBotDraft['sides'] })}>
        {(Object.keys(sideLabels) as SignalBotDraft['sides'][]).map((sides) => (
          <option key={sides} value={sides}>
            {sideLabels[sides]}
          </option>
        ))}
      </SelectField>
      <fieldset className="trading-fieldset">
        <legend className="field__label">Default exits (optional)</legend>
        <p className="field__help">Applied to every entry; a signal's own take-profit and stop-loss prices override them.</p>
        <div className="trading-row">
          {(
            [
              ['takeProfitPercent', 'Take profit (%)'],
              ['stopLossPercent', 'Stop loss (%)'],
              ['trailingStopPercent', 'Trailing stop (%)'],
            ] as const
          ).map(([field, label]) => (
            <TextField
              key={field}
              id={`${idPrefix}-${field}`}
              ref={register(field)}
              label={label}
              inputMode="decimal"
              autoComplete="off"
              className="field__input--short"
              value={draft[field]}
              error={errors[field]}
              onChange={(event) => update({ [field]: event.target.value })}
            />
          ))}
        </div>
      </fieldset>
      <SourceFields idPrefix={idPrefix} draft={draft} errors={errors} onChange={update} register={register} />
      <fieldset className="choices">
        <legend className="field__label">When the exchange rejects an order</legend>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-rejection`} value="continue" checked={draft.onRejection === 'continue'} onChange={() => update({ onRejection: 'continue' })} />
          Log it and keep going
        </label>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-rejection`} value="stop" checked={draft.onRejection === 'stop'} onChange={() => update({ onRejection: 'stop' })} />
          Stop the bot
        </label>
      </fieldset>
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
          {props.mode === 'create' ? (action.isBusy ? 'Creating…' : 'Create the bot') : action.isBusy ? 'Saving…' : 'Save settings'}
        </button>
        {props.mode === 'edit' ? (
          <button type="button" className="button button--secondary" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  )
}
