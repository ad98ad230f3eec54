import { createSignalBotBody, signalBotConfigSchema, type CreateSignalBotBody, type IndicatorConfig, type SignalBotConfig } from '../../api/trading/schemas'
import { fieldErrorsOf, formErrorMap, numberFrom, type FieldErrors } from './form-errors'
import { emptyRiskDraft, riskCandidate, riskDraftFrom, riskFieldOf, tidyDecimal, type RiskDraft } from './risk-draft'
import type { Checked } from './smart-trade-draft'

/**
 * The Signal Bot form: what people type → the API's body, checked with the API's own schema. A new bot
 * always starts on a demo account; the same form edits a bot that is not running.
 */

/** The allowlist entry the server expands to TradingView's published sender addresses. */
export const TRADINGVIEW_PRESET = 'tradingview'

export type IndicatorType = IndicatorConfig['type']
export type Timeframe = '1m' | '5m' | '15m' | '1h' | '4h' | '1d'
export const timeframes: readonly Timeframe[] = ['1m', '5m', '15m', '1h', '4h', '1d']

type ParamSpec = { key: string; label: string; fallback: string }

/** Each indicator's parameters with the usual defaults (RSI 14 30/70, MACD 12/26/9, Bollinger 20 × 2). */
export const indicatorSpecs: Readonly<Record<IndicatorType, { label: string; help: string; params: readonly ParamSpec[] }>> = {
  rsi: {
    label: 'RSI thresholds',
    help: 'Enters long when the RSI crosses up out of oversold, short (or exits) when it crosses down out of overbought.',
    params: [
      { key: 'period', label: 'Period', fallback: '14' },
      { key: 'oversold', label: 'Oversold below', fallback: '30' },
      { key: 'overbought', label: 'Overbought above', fallback: '70' },
    ],
  },
  ema_cross: {
    label: 'EMA cross',
    help: 'Enters long when the fast EMA crosses above the slow one, short (or exits) when it crosses below.',
    params: [
      { key: 'fast', label: 'Fast period', fallback: '9' },
      { key: 'slow', label: 'Slow period', fallback: '21' },
    ],
  },
  sma_cross: {
    label: 'SMA cross',
    help: 'Enters long when the fast SMA crosses above the slow one, short (or exits) when it crosses below.',
    params: [
      { key: 'fast', label: 'Fast period', fallback: '20' },
      { key: 'slow', label: 'Slow period', fallback: '50' },
    ],
  },
  macd_cross: {
    label: 'MACD cross',
    help: 'Enters long when the MACD line crosses above its signal line, short (or exits) when it crosses below.',
    params: [
      { key: 'fast', label: 'Fast period', fallback: '12' },
      { key: 'slow', label: 'Slow period', fallback: '26' },
      { key: 'signal', label: 'Signal period', fallback: '9' },
    ],
  },
  bollinger: {
    label: 'Bollinger bands',
    help: 'Enters long when the price closes below the lower band, short (or exits) above the upper band.',
    params: [
      { key: 'period', label: 'Period', fallback: '20' },
      { key: 'deviation', label: 'Standard deviations', fallback: '2' },
    ],
  },
}
export const indicatorTypes = Object.keys(indicatorSpecs) as IndicatorType[]

const defaultParams = (): Record<IndicatorType, Record<string, string>> =>
  Object.fromEntries(indicatorTypes.map((type) => [type, Object.fromEntries(indicatorSpecs[type].params.map((param) => [param.key, param.fallback]))])) as Record<
    IndicatorType,
    Record<string, string>
  >

export type SignalBotDraft = {
  name: string
  demoAccountId: string
  /** One per line, or separated by commas or spaces. */
  symbols: string
  sizingKind: 'base' | 'quote'
  sizingAmount: string
  sides: 'long' | 'short' | 'both'
  takeProfitPercent: string
  stopLossPercent: string
  trailingStopPercent: string
  sourceKind: 'webhook' | 'indicator'
  /** Addresses or CIDR ranges besides the TradingView preset, one per line. */
  allowIps: string
  tradingViewPreset: boolean
  maxLagSeconds: string
  ratePerMinute: string
  requireSignature: boolean
  indicator: IndicatorType
  /** Parameters of every indicator, so switching back and forth keeps what was typed. */
  params: Record<IndicatorType, Record<string, string>>
  timeframe: Timeframe
  onRejection: 'continue' | 'stop'
  risk: RiskDraft
}

export const emptySignalBotDraft = (demoAccountId = ''): SignalBotDraft => ({
  name: '',
  demoAccountId,
  symbols: '',
  sizingKind: 'quote',
  sizingAmount: '',
  sides: 'long',
  takeProfitPercent: '',
  stopLossPercent: '',
  trailingStopPercent: '',
  sourceKind: 'webhook',
  allowIps: '',
  tradingViewPreset: true,
  maxLagSeconds: '60',
  ratePerMinute: '30',
  requireSignature: false,
  indicator: 'rsi',
  params: defaultParams(),
  timeframe: '1h',
  onRejection: 'continue',
  risk: emptyRiskDraft,
})

/** "btc/usdt, eth/usdt" → ["BTC/USDT", "ETH/USDT"]: upper case, duplicates dropped, order kept. */
export const listFrom = (text: string, upper: boolean): string[] => [
  ...new Set(
    text
      .split(/[\s,;]+/)
      .map((part) => (upper ? part.trim().toUpperCase() : part.trim()))
      .filter((part) => part !== ''),
  ),
]

const sourceCandidate = (draft: SignalBotDraft) => {
  if (draft.sourceKind === 'indicator') {
    const params = draft.params[draft.indicator]
    const indicator = Object.fromEntries([['type', draft.indicator], ...indicatorSpecs[draft.indicator].params.map((param) => [param.key, numberFrom(params[param.key] ?? '')])])
    return { kind: 'indicator', indicator, timeframe: draft.timeframe }
  }
  const typed = listFrom(draft.allowIps, false).filter((entry) => entry.toLowerCase() !== TRADINGVIEW_PRESET)
  return {
    kind: 'webhook',
    allowIps: draft.tradingViewPreset ? [TRADINGVIEW_PRESET, ...typed] : typed,
    maxLagSeconds: numberFrom(draft.maxLagSeconds),
    ratePerMinute: numberFrom(draft.ratePerMinute),
    requireSignature: draft.requireSignature,
  }
}

const configFieldOf = (path: readonly PropertyKey[]): string | undefined => {
  const [key, second, third] = path
  switch (key) {
    case 'symbols':
      return 'symbols'
    case 'sizing':
      return 'sizingAmount'
    case 'sides':
    case 'takeProfitPercent':
    case 'stopLossPercent':
    case 'trailingStopPercent':
    case 'onRejection':
      return key
    case 'source':
      if (second === 'indicator') return typeof third === 'string' && third !== 'type' ? `param.${third}` : 'indicator'
      if (second === 'allowIps' || second === 'maxLagSeconds' || second === 'ratePerMinute' || second === 'timeframe') return second
      return 'sourceKind'
    case 'risk': {
      const field = riskFieldOf(second)
      return field === undefined ? undefined : `risk.${field}`
    }
    default:
      return undefined
  }
}

/** The create body, or every field's message (the form's own and the schema's). */
export const signalBotBodyFrom = (draft: SignalBotDraft): Checked<CreateSignalBotBody> => {
  const symbols = listFrom(draft.symbols, true)
  const { limits, cooldownError } = riskCandidate(draft.risk)
  const optionalPercent = (text: string) => (text.trim() === '' ? undefined : tidyDecimal(text))
  const candidate = {
    name: draft.name.trim(),
    demoAccountId: draft.demoAccountId,
    config: {
      symbols,
      sizing: { kind: draft.sizingKind, amount: tidyDecimal(draft.sizingAmount) },
      sides: draft.sides,
      ...Object.fromEntries(
        (['takeProfitPercent', 'stopLossPercent', 'trailingStopPercent'] as const).flatMap((key) => {
          const value = optionalPercent(draft[key])
          return value === undefined ? [] : [[key, value]]
        }),
      ),
      source: sourceCandidate(draft),
      ...(Object.keys(limits).length === 0 ? {} : { risk: limits }),
      onRejection: draft.onRejection,
    },
  }
  const parsed = createSignalBotBody.safeParse(candidate, { error: formErrorMap })
  const own: FieldErrors = {
    ...(draft.demoAccountId === '' ? { demoAccountId: 'Choose the demo account the bot starts on.' } : {}),
    ...(cooldownError === undefined ? {} : { 'risk.cooldownMinutes': cooldownError }),
  }
  if (parsed.success && Object.keys(own).length === 0) return { ok: true, body: parsed.data }
  const schemaErrors = parsed.success
    ? {}
    : fieldErrorsOf(parsed.error, (path) => {
        const [key, ...rest] = path
        if (key === 'name') return 'name'
        if (key === 'demoAccountId') return 'demoAccountId'
        return key === 'config' ? configFieldOf(rest) : undefined
      })
  // A refused symbol is named: "BTCUSDT" must be a unified symbol like …
  const badSymbol = parsed.success ? undefined : parsed.error.issues.find((issue) => issue.path[1] === 'symbols' && typeof issue.path[2] === 'number')
  const badIndex = badSymbol?.path[2]
  const named = badSymbol === undefined || typeof badIndex !== 'number' ? {} : { symbols: `"${symbols[badIndex] ?? ''}" ${badSymbol.message}.` }
  return { ok: false, errors: { ...schemaErrors, ...named, ...own } }
}

/** A bot's config as the API sent it, or undefined when it is not one this page can read. */
export const readSignalBotConfig = (config: unknown): SignalBotConfig | undefined => {
  const parsed = signalBotConfigSchema.safeParse(config)
  return parsed.success ? parsed.data : undefined
}

/** A bot's settings as the edit form's starting point. */
export const signalBotDraftFrom = (name: string, accountId: string, config: SignalBotConfig): SignalBotDraft => {
  const draft = emptySignalBotDraft(accountId)
  const source = config.source
  const params = draft.params
  if (source.kind === 'indicator') {
    const { type, ...values } = source.indicator
    params[type] = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]))
  }
  return {
    ...draft,
    name,
    symbols: config.symbols.join('\n'),
    sizingKind: config.sizing.kind,
    sizingAmount: config.sizing.amount,
    sides: config.sides,
    takeProfitPercent: config.takeProfitPercent ?? '',
    stopLossPercent: config.stopLossPercent ?? '',
    trailingStopPercent: config.trailingStopPercent ?? '',
    sourceKind: source.kind,
    ...(source.kind === 'webhook'
      ? {
          allowIps: source.allowIps.filter((entry) => entry !== TRADINGVIEW_PRESET).join('\n'),
          tradingViewPreset: source.allowIps.includes(TRADINGVIEW_PRESET),
          maxLagSeconds: String(source.maxLagSeconds),
          ratePerMinute: String(source.ratePerMinute),
          requireSignature: source.requireSignature,
        }
      : { indicator: source.indicator.type, timeframe: source.timeframe, tradingViewPreset: false }),
    params,
    onRejection: config.onRejection,
    risk: riskDraftFrom(config.risk),
  }
}

/** The order of the fields on the form, for moving focus to the first error. */
export const signalBotFieldOrder: readonly string[] = [
  'name',
  'demoAccountId',
  'symbols',
  'sizingAmount',
  'sides',
  'takeProfitPercent',
  'stopLossPercent',
  'trailingStopPercent',
  'sourceKind',
  'allowIps',
  'maxLagSeconds',
  'ratePerMinute',
  'indicator',
  'param.period',
  'param.fast',
  'param.slow',
  'param.signal',
  'param.oversold',
  'param.overbought',
  'param.deviation',
  'timeframe',
  'onRejection',
]
