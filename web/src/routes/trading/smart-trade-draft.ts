import { createSmartTradeBody, smartTradeConfigSchema, type CreateSmartTradeBody, type SmartTradeConfig } from '../../api/trading/schemas'
import type { EditSmartTradeBody } from '../../api/trading/mutations'
import { fieldErrorsOf, formErrorMap, type FieldErrors } from './form-errors'
import { emptyRiskDraft, minutesToSeconds, riskCandidate, riskFieldOf, tidyDecimal, type RiskDraft } from './risk-draft'

/**
 * The Smart Trade form: what people type (strings everywhere) → the API's body, checked with the
 * API's own schema. The exits (targets, stop, timeout) are also the "edit" form of a running trade.
 */

export const MAX_TARGETS = 5
/** The schema's timeout bounds (60 s to 90 days), in the form's minutes. */
export const MAX_TIMEOUT_MINUTES = 90 * 24 * 60

export type TargetDraft = { mode: 'price' | 'percent'; value: string; share: string }
export type EntryType = 'market' | 'limit' | 'conditional'
export type StopMode = 'none' | 'price' | 'percent'

export type ExitsDraft = {
  targets: TargetDraft[]
  /** Follows the price past the last target, in percent. */
  takeProfitTrailing: string
  stopMode: StopMode
  stopValue: string
  stopTrailing: string
  breakeven: boolean
  timeoutMinutes: string
}

export type SmartTradeDraft = ExitsDraft & {
  name: string
  /** "demo:<id>" or "exchange:<id>", or "" before one is chosen. */
  accountKey: string
  symbol: string
  direction: 'long' | 'short'
  amount: string
  entryType: EntryType
  entryPrice: string
  triggerPrice: string
  triggerDirection: 'above' | 'below'
  triggerLimitPrice: string
  risk: RiskDraft
}

export const emptyTarget = (): TargetDraft => ({ mode: 'percent', value: '', share: '' })

export const emptyExits: ExitsDraft = { targets: [], takeProfitTrailing: '', stopMode: 'none', stopValue: '', stopTrailing: '', breakeven: false, timeoutMinutes: '' }

export const emptySmartTradeDraft = (accountKey = ''): SmartTradeDraft => ({
  ...emptyExits,
  name: '',
  accountKey,
  symbol: '',
  direction: 'long',
  amount: '',
  entryType: 'market',
  entryPrice: '',
  triggerPrice: '',
  triggerDirection: 'above',
  triggerLimitPrice: '',
  risk: emptyRiskDraft,
})

export const accountKeyOf = (account: { kind: 'demo' | 'exchange'; id: string }): string => `${account.kind}:${account.id}`

export const accountRefOf = (key: string): { kind: 'demo' | 'exchange'; id: string } | undefined => {
  const [kind, id] = key.split(':')
  return (kind === 'demo' || kind === 'exchange') && id !== undefined && id !== '' ? { kind, id } : undefined
}

/** Futures symbols carry the settle currency ("BTC/USDT:USDT"); only they can go short. */
export const isFuturesSymbol = (symbol: string): boolean => symbol.includes(':')

/** "btc/usdt " → "BTC/USDT". */
export const tidySymbol = (text: string): string => text.trim().toUpperCase()

/** Whether a target row was touched: empty rows are left out rather than refused. */
const isFilled = (target: TargetDraft) => target.value.trim() !== '' || target.share.trim() !== ''

/** The shares typed so far, for the "adds up to" hint (display only; the schema decides). */
export const sharesTotal = (targets: readonly TargetDraft[]): number =>
  targets.filter(isFilled).reduce((sum, target) => sum + (Number(target.share.trim()) || 0), 0)

const exitsCandidate = (draft: ExitsDraft): { exits: Record<string, unknown>; timeoutError: string | undefined } => {
  const exits: Record<string, unknown> = {}
  const targets = draft.targets.filter(isFilled).map((target) => ({ [target.mode]: tidyDecimal(target.value), sharePercent: tidyDecimal(target.share) }))
  const trailing = draft.takeProfitTrailing.trim()
  if (targets.length > 0 || trailing !== '') exits.takeProfit = { targets, ...(trailing === '' ? {} : { trailingPercent: tidyDecimal(trailing) }) }
  const stopTrailing = draft.stopTrailing.trim()
  if (draft.stopMode !== 'none' || stopTrailing !== '' || draft.breakeven) {
    exits.stopLoss = {
      ...(draft.stopMode === 'none' ? {} : { [draft.stopMode]: tidyDecimal(draft.stopValue) }),
      ...(stopTrailing === '' ? {} : { trailingPercent: tidyDecimal(stopTrailing) }),
      ...(draft.breakeven ? { moveToBreakevenAfterFirstTarget: true } : {}),
    }
  }
  let timeoutError: string | undefined
  if (draft.timeoutMinutes.trim() !== '') {
    const seconds = minutesToSeconds(draft.timeoutMinutes)
    if (Number.isNaN(seconds) || seconds < 60 || seconds > MAX_TIMEOUT_MINUTES * 60) timeoutError = `Enter whole minutes from 1 to ${MAX_TIMEOUT_MINUTES} (90 days).`
    else exits.timeoutSeconds = seconds
  }
  return { exits, timeoutError }
}

const entryFields: Readonly<Record<string, string>> = { price: 'entryPrice', triggerPrice: 'triggerPrice', direction: 'triggerDirection', limitPrice: 'triggerLimitPrice' }

/** The form field of a path inside a Smart Trade config. */
export const configFieldOf = (path: readonly PropertyKey[]): string | undefined => {
  const [key, second, third, fourth] = path
  switch (key) {
    case 'symbol':
    case 'direction':
    case 'amount':
      return key
    case 'entry':
      return typeof second === 'string' ? entryFields[second] : 'entryPrice'
    case 'takeProfit':
      if (second === 'trailingPercent') return 'takeProfitTrailing'
      if (second !== 'targets' || typeof third !== 'number') return 'targets'
      return fourth === 'sharePercent' ? `target.${third}.share` : `target.${third}.value`
    case 'stopLoss':
      return second === 'trailingPercent' ? 'stopTrailing' : 'stopValue'
    case 'timeoutSeconds':
      return 'timeoutMinutes'
    case 'risk': {
      const field = riskFieldOf(second)
      return field === undefined ? undefined : `risk.${field}`
    }
    default:
      return undefined
  }
}

/** The form field of a path inside the create body (for the server's own validation errors too). */
export const bodyFieldOf = (path: readonly PropertyKey[]): string | undefined => {
  const [key, ...rest] = path
  if (key === 'name') return 'name'
  if (key === 'account') return 'accountKey'
  return key === 'config' ? configFieldOf(rest) : undefined
}

/** Errors the form finds before the schema (a choice not made, minutes the schema counts in seconds). */
const ownErrors = (errors: Record<string, string | undefined>): FieldErrors =>
  Object.fromEntries(Object.entries(errors).filter((entry): entry is [string, string] => entry[1] !== undefined))

export type Checked<T> = { ok: true; body: T } | { ok: false; errors: FieldErrors }

/**
 * A spot account trades "BTC/USDT", a futures account perpetuals like "BTC/USDT:USDT": the server's
 * rule (src/trading/trading-accounts.ts), said on the symbol field before the request is sent.
 */
export const symbolMarketError = (symbol: string, market: 'spot' | 'linear' | undefined): string | undefined => {
  const tidy = tidySymbol(symbol)
  if (tidy === '' || market === undefined) return undefined
  if (market === 'spot' && isFuturesSymbol(tidy)) return `"${tidy}" is a perpetual and this is a spot account: use a symbol like "BTC/USDT".`
  if (market === 'linear' && !isFuturesSymbol(tidy)) return `"${tidy}" is a spot symbol and this account trades perpetuals: use a symbol like "BTC/USDT:USDT".`
  return undefined
}

/**
 * The create body, or every field's message (the form's own and the schema's). `accountMarket`, the
 * chosen account's market when known, also checks that the symbol is one the account trades.
 */
export const smartTradeBodyFrom = (draft: SmartTradeDraft, accountMarket?: 'spot' | 'linear'): Checked<CreateSmartTradeBody> => {
  const account = accountRefOf(draft.accountKey)
  const { exits, timeoutError } = exitsCandidate(draft)
  const { limits, cooldownError } = riskCandidate(draft.risk)
  const entry =
    draft.entryType === 'market'
      ? { type: 'market' }
      : draft.entryType === 'limit'
        ? { type: 'limit', price: tidyDecimal(draft.entryPrice) }
        : {
            type: 'conditional',
            triggerPrice: tidyDecimal(draft.triggerPrice),
            direction: draft.triggerDirection,
            ...(draft.triggerLimitPrice.trim() === '' ? {} : { limitPrice: tidyDecimal(draft.triggerLimitPrice) }),
          }
  const name = draft.name.trim()
  const candidate = {
    ...(name === '' ? {} : { name }),
    account: account ?? { kind: 'demo', id: '' },
    config: {
      symbol: tidySymbol(draft.symbol),
      direction: draft.direction,
      amount: tidyDecimal(draft.amount),
      entry,
      ...exits,
      ...(Object.keys(limits).length === 0 ? {} : { risk: limits }),
    },
  }
  const parsed = createSmartTradeBody.safeParse(candidate, { error: formErrorMap })
  const own = ownErrors({
    accountKey: account === undefined ? 'Choose the account to trade on.' : undefined,
    symbol: symbolMarketError(draft.symbol, accountMarket),
    timeoutMinutes: timeoutError,
    'risk.cooldownMinutes': cooldownError,
  })
  if (parsed.success && Object.keys(own).length === 0) return { ok: true, body: parsed.data }
  return { ok: false, errors: { ...(parsed.success ? {} : fieldErrorsOf(parsed.error, bodyFieldOf)), ...own } }
}

/**
 * The edit body of a running trade: new exits checked together with the fixed rest of its config
 * (the shares must still add up to 100, a spot trade still goes long).
 */
export const editBodyFrom = (config: SmartTradeConfig, draft: ExitsDraft): Checked<EditSmartTradeBody> => {
  const { exits, timeoutError } = exitsCandidate(draft)
  const { takeProfit: _takeProfit, stopLoss: _stopLoss, timeoutSeconds: _timeout, ...fixed } = config
  const parsed = smartTradeConfigSchema.safeParse({ ...fixed, ...exits }, { error: formErrorMap })
  if (parsed.success && timeoutError === undefined) {
    const { takeProfit, stopLoss, timeoutSeconds } = parsed.data
    return { ok: true, body: { ...(takeProfit === undefined ? {} : { takeProfit }), ...(stopLoss === undefined ? {} : { stopLoss }), ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }) } }
  }
  return { ok: false, errors: { ...(parsed.success ? {} : fieldErrorsOf(parsed.error, configFieldOf)), ...ownErrors({ timeoutMinutes: timeoutError }) } }
}

/** A trade's config as the API sent it, or undefined when it is not one this page can read. */
export const readSmartTradeConfig = (config: unknown): SmartTradeConfig | undefined => {
  const parsed = smartTradeConfigSchema.safeParse(config)
  return parsed.success ? parsed.data : undefined
}

/** The exits of a trade's config as the edit form's starting point. */
export const exitsDraftFrom = (config: SmartTradeConfig): ExitsDraft => {
  const stop = config.stopLoss
  return {
    targets: (config.takeProfit?.targets ?? []).map((target) =>
      target.price === undefined ? { mode: 'percent', value: target.percent ?? '', share: target.sharePercent } : { mode: 'price', value: target.price, share: target.sharePercent },
    ),
    takeProfitTrailing: config.takeProfit?.trailingPercent ?? '',
    stopMode: stop?.price !== undefined ? 'price' : stop?.percent !== undefined ? 'percent' : 'none',
    stopValue: stop?.price ?? stop?.percent ?? '',
    stopTrailing: stop?.trailingPercent ?? '',
    breakeven: stop?.moveToBreakevenAfterFirstTarget === true,
    timeoutMinutes: config.timeoutSeconds === undefined ? '' : String(Math.ceil(config.timeoutSeconds / 60)),
  }
}

/** The order of the fields on the form, for moving focus to the first error. */
export const exitsFieldOrder = (targets: number): string[] => [
  ...Array.from({ length: targets }, (_, index) => [`target.${index}.value`, `target.${index}.share`]).flat(),
  'targets',
  'takeProfitTrailing',
  'stopValue',
  'stopTrailing',
  'timeoutMinutes',
]
