import { useEffect, useRef, useState, type FormEvent, type RefObject } from 'react'
import { placeDemoOrder } from '../../api/demo/mutations'
import { ActionError } from '../../components/action-error'
import { Notice } from '../../components/notice'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import { isPositiveDecimal, normalizeDecimal } from '../../lib/decimal-string'
import {
  canPostOnly,
  checkOrder,
  needsPrice,
  needsStopPrice,
  orderNotional,
  orderTypeLabels,
  positionSideLabels,
  suggestAmount,
  suggestPrice,
  symbolParts,
  takesTimeInForce,
  timeInForceLabels,
  type DemoOrderType,
  type OrderDraft,
  type OrderField,
  type PositionSide,
  type TimeInForce,
} from '../../lib/demo-order-validation'
import type { DemoAccount, DemoMarket, DemoOrder } from '../../lib/demo-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'

const orderTypes = Object.keys(orderTypeLabels) as DemoOrderType[]
const timesInForce = Object.keys(timeInForceLabels) as TimeInForce[]
const positionSides = Object.keys(positionSideLabels) as PositionSide[]

const emptyDraft = (symbol: string): OrderDraft => ({
  symbol,
  type: 'limit',
  side: 'buy',
  amount: '',
  price: '',
  stopPrice: '',
  timeInForce: 'GTC',
  postOnly: false,
  reduceOnly: false,
  positionSide: 'long',
})

const statusWords: Readonly<Record<string, string>> = { open: 'open', closed: 'filled', canceled: 'cancelled', expired: 'expired', rejected: 'rejected' }

/** "Order 12: buy 0.01 BTC/USDT, limit at 64000, open." */
const placedText = (order: DemoOrder): string => {
  const at = order.price === null ? '' : ` at ${order.price}`
  const amount = order.amount === null ? '' : ` ${order.amount}`
  const type = orderTypeLabels[order.type as DemoOrderType]?.toLowerCase() ?? order.type
  return `Order ${order.id}: ${order.side}${amount} ${order.symbol}, ${type}${at}, ${statusWords[order.status] ?? order.status}.`
}

/** A "use this instead" button under a field the exchange would refuse, rounded to its grid. */
const Suggestion = ({ value, what, onUse }: { value: string | undefined; what: string; onUse: (value: string) => void }) =>
  value === undefined ? null : (
    <button type="button" className="button button--secondary button--small suggestion" aria-label={`Use ${what} ${value}`} onClick={() => onUse(value)}>
      Use {value}
    </button>
  )

type Props = {
  workspaceId: string
  account: DemoAccount
  market: DemoMarket
  /** Futures in hedge mode: each order names the long or the short position. */
  hedged: boolean
  /** After an order was accepted: balances, orders and fills change. */
  onPlaced: () => void
}

/**
 * An order on the demo exchange. The form checks tick size, lot size and the minimum order value the
 * way the exchange does (same words) before sending; what the exchange still refuses comes back as
 * its own message, read out as an alert.
 */
export const OrderForm = ({ workspaceId, account, market, hedged, onPlaced }: Props) => {
  const { client } = useAppSession()
  const [draft, setDraft] = useState<OrderDraft>(() => emptyDraft(market.symbol))
  const [hasTried, setHasTried] = useState(false)
  const [placed, setPlaced] = useState<DemoOrder | undefined>(undefined)
  const action = useAction()
  const refs: Record<Exclude<OrderField, 'order'>, RefObject<HTMLInputElement | null>> = {
    amount: useRef<HTMLInputElement>(null),
    price: useRef<HTMLInputElement>(null),
    stopPrice: useRef<HTMLInputElement>(null),
  }
  const orderErrorRef = useRef<HTMLDivElement>(null)
  // The form-level error exists only after the render that follows the failed submit.
  const isOrderErrorFocusDueRef = useRef(false)
  useEffect(() => {
    if (!isOrderErrorFocusDueRef.current) return
    isOrderErrorFocusDueRef.current = false
    orderErrorRef.current?.focus()
  })
  const idPrefix = `order-${account.id}`

  const { base, quote } = symbolParts(market.symbol)
  const isHedged = hedged && account.kind === 'futures'
  const check = checkOrder({ ...draft, symbol: market.symbol }, market, account.kind, isHedged)
  const errors = hasTried && !check.ok ? check.errors : {}
  const update = (change: Partial<OrderDraft>) => {
    setPlaced(undefined)
    setDraft((previous) => ({ ...previous, ...change }))
  }

  const amountText = draft.amount.trim()
  const referencePrice = needsPrice(draft.type) ? draft.price.trim() : needsStopPrice(draft.type) ? draft.stopPrice.trim() : market.last
  const estimate =
    isPositiveDecimal(amountText) && referencePrice !== null && isPositiveDecimal(referencePrice) ? orderNotional(normalizeDecimal(amountText), normalizeDecimal(referencePrice)) : null

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setHasTried(true)
    setPlaced(undefined)
    action.clearError()
    if (!check.ok) {
      const first = (['amount', 'price', 'stopPrice'] as const).find((field) => check.errors[field] !== undefined)
      if (first !== undefined) refs[first].current?.focus()
      else if (orderErrorRef.current === null) isOrderErrorFocusDueRef.current = true
      else orderErrorRef.current.focus()
      return
    }
    void action.run(async () => {
      const order = await placeDemoOrder(client, workspaceId, account.id, check.body)
      setPlaced(order)
      setHasTried(false)
      onPlaced()
    })
  }

  return (
    <form className="form order-form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Place an order on ${market.symbol}`}>
      <fieldset className="choices">
        <legend className="field__label">Side</legend>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-side`} value="buy" checked={draft.side === 'buy'} onChange={() => update({ side: 'buy' })} />
          Buy
        </label>
        <label className="choice">
          <input type="radio" name={`${idPrefix}-side`} value="sell" checked={draft.side === 'sell'} onChange={() => update({ side: 'sell' })} />
          Sell
        </label>
      </fieldset>
      {isHedged ? (
        <fieldset className="choices" aria-describedby={`${idPrefix}-position-side-help`}>
          <legend className="field__label">Position side</legend>
          {positionSides.map((positionSide) => (
            <label key={positionSide} className="choice">
              <input
                type="radio"
                name={`${idPrefix}-position-side`}
                value={positionSide}
                checked={draft.positionSide === positionSide}
                onChange={() => update({ positionSide })}
              />
              {positionSideLabels[positionSide]}
            </label>
          ))}
          <span className="field__help" id={`${idPrefix}-position-side-help`}>
            Hedge mode: buy long or sell short opens; sell long or buy short closes.
          </span>
        </fieldset>
      ) : null}
      <SelectField id={`${idPrefix}-type`} label="Order type" value={draft.type} onChange={(event) => update({ type: event.target.value as DemoOrderType })}>
        {orderTypes.map((type) => (
          <option key={type} value={type}>
            {orderTypeLabels[type]}
          </option>
        ))}
      </SelectField>
      <div className="field-group">
        <TextField
          id={`${idPrefix}-amount`}
          ref={refs.amount}
          label="Amount"
          help={`In ${base}; a multiple of ${normalizeDecimal(market.lotSize)}.`}
          inputMode="decimal"
          autoComplete="off"
          value={draft.amount}
          error={errors.amount}
          onChange={(event) => update({ amount: event.target.value })}
        />
        {errors.amount === undefined ? null : <Suggestion value={suggestAmount(draft.amount, market.lotSize)} what="amount" onUse={(amount) => update({ amount })} />}
      </div>
      {needsStopPrice(draft.type) ? (
        <div className="field-group">
          <TextField
            id={`${idPrefix}-stop`}
            ref={refs.stopPrice}
            label="Stop price"
            help={`In ${quote}; the order is sent when the last price reaches it.`}
            inputMode="decimal"
            autoComplete="off"
            value={draft.stopPrice}
            error={errors.stopPrice}
            onChange={(event) => update({ stopPrice: event.target.value })}
          />
          {errors.stopPrice === undefined ? null : (
            <Suggestion value={suggestPrice(draft.stopPrice, market.tickSize)} what="stop price" onUse={(stopPrice) => update({ stopPrice })} />
          )}
        </div>
      ) : null}
      {needsPrice(draft.type) ? (
        <div className="field-group">
          <TextField
            id={`${idPrefix}-price`}
            ref={refs.price}
            label="Limit price"
            help={`In ${quote}; a multiple of the tick size ${normalizeDecimal(market.tickSize)}.`}
            inputMode="decimal"
            autoComplete="off"
            value={draft.price}
            error={errors.price}
            onChange={(event) => update({ price: event.target.value })}
          />
          {errors.price === undefined ? null : <Suggestion value={suggestPrice(draft.price, market.tickSize)} what="limit price" onUse={(price) => update({ price })} />}
        </div>
      ) : null}
      {takesTimeInForce(draft.type) ? (
        <SelectField
          id={`${idPrefix}-tif`}
          label="Time in force"
          value={draft.timeInForce}
          onChange={(event) => {
            const timeInForce = event.target.value as TimeInForce
            update({ timeInForce, ...(timeInForce === 'GTC' ? {} : { postOnly: false }) })
          }}
        >
          {timesInForce.map((value) => (
            <option key={value} value={value}>
              {timeInForceLabels[value]}
            </option>
          ))}
        </SelectField>
      ) : null}
      {draft.type === 'limit' ? (
        <div className="checkbox">
          <input
            id={`${idPrefix}-post-only`}
            type="checkbox"
            checked={draft.postOnly}
            disabled={!canPostOnly(draft.type, draft.timeInForce)}
            aria-describedby={`${idPrefix}-post-only-help`}
            onChange={(event) => update({ postOnly: event.target.checked })}
          />
          <label htmlFor={`${idPrefix}-post-only`}>Post-only</label>
          <span className="field__help" id={`${idPrefix}-post-only-help`}>
            Rejected rather than taking liquidity; GTC only.
          </span>
        </div>
      ) : null}
      {account.kind === 'futures' ? (
        <div className="checkbox">
          <input
            id={`${idPrefix}-reduce-only`}
            type="checkbox"
            checked={draft.reduceOnly}
            aria-describedby={`${idPrefix}-reduce-only-help`}
            onChange={(event) => update({ reduceOnly: event.target.checked })}
          />
          <label htmlFor={`${idPrefix}-reduce-only`}>Reduce-only</label>
          <span className="field__help" id={`${idPrefix}-reduce-only-help`}>
            Only closes a position, never opens or grows one.
          </span>
        </div>
      ) : null}
      <p className="order-form__value">
        Order value: {estimate === null ? '—' : `${draft.type === 'market' || draft.type === 'stop_market' ? '≈ ' : ''}${estimate} ${quote}`}
        <span className="order-form__minimum"> (minimum {normalizeDecimal(market.minNotional)} {quote})</span>
      </p>
      {errors.order === undefined ? null : (
        <div className="notice notice--error" role="alert" tabIndex={-1} ref={orderErrorRef}>
          <p className="notice__message">{errors.order}</p>
        </div>
      )}
      <ActionError action={action} />
      {placed === undefined ? null : <Notice tone="success">{placedText(placed)}</Notice>}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Placing…' : 'Place order'}
        </button>
      </div>
    </form>
  )
}
