import type { KeyLimits } from './exchange-parsers'

/**
 * The limits form: what the signer enforces on every order a key sends (markets, amount per order and
 * per 24 h, orders per minute, distance from the market price). The rules mirror the signer's schema
 * (src/signer/signer-types.ts `keyLimits`) so a refusal is explained here, in the field, not by a 400.
 * Amounts stay decimal strings end to end: no float ever touches money.
 */

export const MAX_SYMBOLS = 200
export const MIN_ORDERS_PER_MINUTE = 1
export const MAX_ORDERS_PER_MINUTE = 1_200
export const MAX_PRICE_BAND_PCT = '100'

const SYMBOL = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/

export type LimitsFields = {
  /** One symbol per line, or separated by commas or spaces. */
  symbols: string
  maxOrderNotional: string
  max24hNotional: string
  maxOrdersPerMinute: string
  priceBandPct: string
}
export type LimitsFieldName = keyof LimitsFields
export type LimitsErrors = Partial<Record<LimitsFieldName, string>>

export const limitsFieldOrder: readonly LimitsFieldName[] = ['symbols', 'maxOrderNotional', 'max24hNotional', 'maxOrdersPerMinute', 'priceBandPct']

export const limitsToFields = (limits: KeyLimits): LimitsFields => ({
  symbols: limits.symbols.join('\n'),
  maxOrderNotional: limits.maxOrderNotional,
  max24hNotional: limits.max24hNotional,
  maxOrdersPerMinute: String(limits.maxOrdersPerMinute),
  priceBandPct: limits.priceBandPct,
})

/** "btc/usdt, eth/usdt" → ["BTC/USDT", "ETH/USDT"]: upper case, duplicates dropped, order kept. */
export const parseSymbolList = (text: string): { symbols: string[]; invalid: string[] } => {
  const symbols: string[] = []
  const invalid: string[] = []
  for (const part of text.split(/[\s,;]+/)) {
    const symbol = part.trim().toUpperCase()
    if (symbol === '' || symbols.includes(symbol) || invalid.includes(part)) continue
    if (SYMBOL.test(symbol)) symbols.push(symbol)
    else invalid.push(part)
  }
  return { symbols, invalid }
}

/**
 * A typed amount as the decimal string the signer accepts: "0100" → "100", ".5" → "0.5", "1_000" and
 * "1 000" → "1000". Commas are refused rather than guessed (a thousands separator or a decimal one?).
 */
export const normalizeDecimal = (text: string): string | undefined => {
  const compact = text.trim().replace(/[\s_]/g, '')
  if (!/^\d*(\.\d+)?$/.test(compact) || compact === '' || compact === '.') return undefined
  const [whole = '', fraction] = compact.split('.')
  const integer = whole.replace(/^0+(?=\d)/, '') || '0'
  const normalized = fraction === undefined ? integer : `${integer}.${fraction}`
  return DECIMAL.test(normalized) ? normalized : undefined
}

/** Compares two non-negative decimal strings exactly: -1, 0 or 1. */
export const compareDecimal = (a: string, b: string): -1 | 0 | 1 => {
  const [aWhole = '0', aFraction = ''] = a.split('.')
  const [bWhole = '0', bFraction = ''] = b.split('.')
  const aInt = aWhole.replace(/^0+(?=\d)/, '')
  const bInt = bWhole.replace(/^0+(?=\d)/, '')
  if (aInt.length !== bInt.length) return aInt.length < bInt.length ? -1 : 1
  if (aInt !== bInt) return aInt < bInt ? -1 : 1
  const width = Math.max(aFraction.length, bFraction.length)
  const aFrac = aFraction.padEnd(width, '0')
  const bFrac = bFraction.padEnd(width, '0')
  return aFrac === bFrac ? 0 : aFrac < bFrac ? -1 : 1
}

const isZero = (decimal: string) => compareDecimal(decimal, '0') === 0

const amountProblem = (text: string, what: string): { value?: string; problem?: string } => {
  if (text.trim() === '') return { problem: `Enter the ${what}.` }
  if (text.includes(',')) return { problem: 'Use a dot for decimals and no thousands separators, e.g. 1500.50.' }
  const value = normalizeDecimal(text)
  if (value === undefined) return { problem: 'Enter an amount such as 250 or 99.5 (digits and at most one dot).' }
  if (isZero(value)) return { problem: 'Enter more than 0: a key with a zero limit cannot trade at all (disable it instead).' }
  return { value }
}

/** Checks the form; `limits` is set only when every field is valid. */
export const validateLimits = (fields: LimitsFields): { limits: KeyLimits | undefined; errors: LimitsErrors } => {
  const errors: LimitsErrors = {}

  const { symbols, invalid } = parseSymbolList(fields.symbols)
  if (invalid.length > 0) errors.symbols = `Not a market symbol: ${invalid.slice(0, 3).join(', ')}. Write markets as BASE/QUOTE, e.g. BTC/USDT (futures: BTC/USDT:USDT).`
  else if (symbols.length === 0) errors.symbols = 'List at least one market, e.g. BTC/USDT.'
  else if (symbols.length > MAX_SYMBOLS) errors.symbols = `List at most ${MAX_SYMBOLS} markets.`

  const perOrder = amountProblem(fields.maxOrderNotional, 'largest amount for one order')
  if (perOrder.problem !== undefined) errors.maxOrderNotional = perOrder.problem
  const perDay = amountProblem(fields.max24hNotional, 'largest total for 24 hours')
  if (perDay.problem !== undefined) errors.max24hNotional = perDay.problem

  const rateText = fields.maxOrdersPerMinute.trim()
  const rate = /^\d+$/.test(rateText) ? Number(rateText) : Number.NaN
  if (!Number.isInteger(rate) || rate < MIN_ORDERS_PER_MINUTE || rate > MAX_ORDERS_PER_MINUTE) {
    errors.maxOrdersPerMinute = `Enter a whole number from ${MIN_ORDERS_PER_MINUTE} to ${MAX_ORDERS_PER_MINUTE}.`
  }

  const band = amountProblem(fields.priceBandPct, 'price band in percent')
  if (band.problem !== undefined) errors.priceBandPct = band.problem
  else if (band.value !== undefined && compareDecimal(band.value, MAX_PRICE_BAND_PCT) > 0) errors.priceBandPct = `Enter at most ${MAX_PRICE_BAND_PCT} percent.`

  if (Object.keys(errors).length > 0 || perOrder.value === undefined || perDay.value === undefined || band.value === undefined) return { limits: undefined, errors }
  return { limits: { symbols, maxOrderNotional: perOrder.value, max24hNotional: perDay.value, maxOrdersPerMinute: rate, priceBandPct: band.value }, errors }
}

export type LimitChange = { field: LimitsFieldName; text: string }

/**
 * What a change raises (needs a passkey confirmation or the signer's delay) and what it lowers
 * (applies at once). The signer decides; this only lets the page say so before the person submits.
 */
export const limitChanges = (current: KeyLimits, next: KeyLimits): { widening: LimitChange[]; narrowing: LimitChange[] } => {
  const widening: LimitChange[] = []
  const narrowing: LimitChange[] = []
  const added = next.symbols.filter((symbol) => !current.symbols.includes(symbol))
  const removed = current.symbols.filter((symbol) => !next.symbols.includes(symbol))
  if (added.length > 0) widening.push({ field: 'symbols', text: `adds ${added.join(', ')}` })
  if (removed.length > 0) narrowing.push({ field: 'symbols', text: `removes ${removed.join(', ')}` })

  const amounts = [
    ['maxOrderNotional', 'per-order maximum', ''],
    ['max24hNotional', '24-hour maximum', ''],
    ['priceBandPct', 'price band', ' %'],
  ] as const
  for (const [field, name, unit] of amounts) {
    const order = compareDecimal(next[field], current[field])
    if (order === 0) continue
    const change = { field, text: `${order > 0 ? 'raises' : 'lowers'} the ${name} from ${current[field]}${unit} to ${next[field]}${unit}` }
    ;(order > 0 ? widening : narrowing).push(change)
  }
  if (next.maxOrdersPerMinute !== current.maxOrdersPerMinute) {
    const change = { field: 'maxOrdersPerMinute' as const, text: `${next.maxOrdersPerMinute > current.maxOrdersPerMinute ? 'raises' : 'lowers'} orders per minute from ${current.maxOrdersPerMinute} to ${next.maxOrdersPerMinute}` }
    ;(next.maxOrdersPerMinute > current.maxOrdersPerMinute ? widening : narrowing).push(change)
  }
  return { widening, narrowing }
}
