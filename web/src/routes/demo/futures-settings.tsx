import { useState, type FormEvent } from 'react'
import { setDemoLeverage, setDemoMarginMode } from '../../api/demo/mutations'
import { ActionError } from '../../components/action-error'
import { Notice } from '../../components/notice'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import { checkLeverage } from '../../lib/demo-order-validation'
import type { DemoMarket, DemoPosition } from '../../lib/demo-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'

type MarginMode = 'isolated' | 'cross'

type Props = {
  workspaceId: string
  accountId: string
  market: DemoMarket
  /** The open position on this symbol, whose settings the fields start from. */
  position: DemoPosition | undefined
  onChanged: () => void
}

/**
 * Leverage and margin mode of one futures symbol. The exchange refuses a margin-mode change while
 * the symbol has a position or open orders, and leverage beyond the bracket of the position; its
 * words come back as an alert.
 */
export const FuturesSettings = ({ workspaceId, accountId, market, position, onChanged }: Props) => {
  const { client } = useAppSession()
  const [leverage, setLeverage] = useState(position === undefined ? '' : String(position.leverage))
  const [leverageError, setLeverageError] = useState<string | undefined>(undefined)
  const [mode, setMode] = useState<MarginMode>(position?.marginMode ?? 'cross')
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
          help={`1 to ${market.maxLeverage ?? 125}×${position === undefined ? '' : `; now ${position.leverage}×`}.`}
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
          help={position === undefined ? 'Cannot change while the symbol has a position or open orders.' : `Now ${position.marginMode}; cannot change while the position is open.`}
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
