import { useState, type FormEvent } from 'react'
import { setDemoLeverage, setDemoMarginMode, setDemoPositionMode } from '../../api/demo/mutations'
import { ActionError } from '../../components/action-error'
import { Notice } from '../../components/notice'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import { checkLeverage } from '../../lib/demo-order-validation'
import type { DemoMarket, DemoSymbolSettings } from '../../lib/demo-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'

type MarginMode = 'isolated' | 'cross'

type Props = {
  workspaceId: string
  accountId: string
  market: DemoMarket
  /** The symbol's settings as the server holds them (GET …/settings), which the fields start from. */
  current: DemoSymbolSettings | undefined
  onChanged: () => void
}

/**
 * Leverage and margin mode of one futures symbol. The exchange refuses a margin-mode change while
 * the symbol has a position or open orders, and leverage beyond the bracket of the position; its
 * words come back as an alert.
 */
export const FuturesSettings = ({ workspaceId, accountId, market, current, onChanged }: Props) => {
  const { client } = useAppSession()
  const [leverage, setLeverage] = useState(current === undefined ? '' : String(current.leverage))
  const [leverageError, setLeverageError] = useState<string | undefined>(undefined)
  const [mode, setMode] = useState<MarginMode>(current?.marginMode ?? 'cross')
  const [done, setDone] = useState<string | undefined>(undefined)
  const leverageAction = useAction()
  const modeAction = useAction()
  const idPrefix = `futures-${accountId}`

  const submitLeverage = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setDone(undefined)
    const checked = checkLeverage(leverage, market)
    if (!checked.ok) {
      setLeverageError(checked.error)
      return
    }
    setLeverageError(undefined)
    void leverageAction.run(async () => {
      await setDemoLeverage(client, workspaceId, accountId, market.symbol, checked.leverage)
      setDone(`Leverage for ${market.symbol} set to ${checked.leverage}×.`)
      onChanged()
    })
  }

  const submitMode = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setDone(undefined)
    void modeAction.run(async () => {
      await setDemoMarginMode(client, workspaceId, accountId, market.symbol, mode)
      setDone(`Margin mode for ${market.symbol} set to ${mode}.`)
      onChanged()
    })
  }

  return (
    <div className="futures-settings">
      <form className="form form--row" onSubmit={submitLeverage} noValidate aria-busy={leverageAction.isBusy}>
        <TextField
          id={`${idPrefix}-leverage`}
          label="Leverage"
          help={`1 to ${market.maxLeverage ?? 125}×${current === undefined ? '' : `; now ${current.leverage}×`}.`}
          inputMode="numeric"
          autoComplete="off"
          className="field__input--short"
          value={leverage}
          error={leverageError}
          onChange={(event) => setLeverage(event.target.value)}
        />
        <div className="form__actions">
          <button type="submit" className="button button--secondary" disabled={leverageAction.isBusy}>
            {leverageAction.isBusy ? 'Setting…' : 'Set leverage'}
          </button>
        </div>
      </form>
      <form className="form form--row" onSubmit={submitMode} noValidate aria-busy={modeAction.isBusy}>
        <SelectField
          id={`${idPrefix}-margin-mode`}
          label="Margin mode"
          help={`${current === undefined ? '' : `Now ${current.marginMode}; `}cannot change while the symbol has a position or open orders.`}
          value={mode}
          onChange={(event) => setMode(event.target.value === 'isolated' ? 'isolated' : 'cross')}
        >
          <option value="cross">Cross</option>
          <option value="isolated">Isolated</option>
        </SelectField>
        <div className="form__actions">
          <button type="submit" className="button button--secondary" disabled={modeAction.isBusy}>
            {modeAction.isBusy ? 'Setting…' : 'Set margin mode'}
          </button>
        </div>
      </form>
      <ActionError action={leverageAction} />
      <ActionError action={modeAction} />
      {done === undefined ? null : <Notice tone="success">{done}</Notice>}
    </div>
  )
}

type PositionModeProps = {
  workspaceId: string
  accountId: string
  /** As the server holds it (GET …/settings). */
  hedged: boolean
  onChanged: () => void
}

/**
 * One-way (one net position per symbol) or hedge (a long and a short side, each order naming one).
 * The exchange refuses the switch while the account has any position or open order.
 */
export const PositionModeSetting = ({ workspaceId, accountId, hedged, onChanged }: PositionModeProps) => {
  const { client } = useAppSession()
  const [wantsHedge, setWantsHedge] = useState(hedged)
  const [done, setDone] = useState<string | undefined>(undefined)
  const action = useAction()
  const name = `position-mode-${accountId}`
  const helpId = `${name}-help`

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setDone(undefined)
    void action.run(async () => {
      await setDemoPositionMode(client, workspaceId, accountId, wantsHedge)
      setDone(`Position mode set to ${wantsHedge ? 'hedge' : 'one-way'}.`)
      onChanged()
    })
  }

  return (
    <div className="futures-settings">
      <form className="form form--row" onSubmit={submit} noValidate aria-busy={action.isBusy}>
        <fieldset className="choices" aria-describedby={helpId}>
          <legend className="field__label">Position mode</legend>
          <label className="choice">
            <input type="radio" name={name} value="one-way" checked={!wantsHedge} onChange={() => setWantsHedge(false)} />
            One-way
          </label>
          <label className="choice">
            <input type="radio" name={name} value="hedge" checked={wantsHedge} onChange={() => setWantsHedge(true)} />
            Hedge
          </label>
          <span className="field__help" id={helpId}>
            Now {hedged ? 'hedge: long and short positions are kept apart' : 'one-way: one position per symbol'}; cannot change while the account has a position or open orders.
          </span>
        </fieldset>
        <div className="form__actions">
          <button type="submit" className="button button--secondary" disabled={action.isBusy}>
            {action.isBusy ? 'Setting…' : 'Set position mode'}
          </button>
        </div>
      </form>
      <ActionError action={action} />
      {done === undefined ? null : <Notice tone="success">{done}</Notice>}
    </div>
  )
}
