import { AppError } from '../lib/errors.js'
import { Decimal, isDecimalString } from '../lib/decimal.js'
import { isTimeframe, timeframeMs, type Candle, type Timeframe, type Trade } from './market-types.js'

/**
 * Parsers for the replay CSV format of ../shared/data/market (see data/market/README.md):
 *   candles  `time,open,high,low,close,volume`  — time is the open time, strictly increasing
 *   trades   `time,id,price,amount,side`        — time never decreases, side is the taker's
 * A bad row fails the whole file with BAD_INPUT naming the source, the 1-based line and the field, so a
 * corrupted file is never replayed half-read.
 */

export const candleHeader = 'time,open,high,low,close,volume'
export const tradeHeader = 'time,id,price,amount,side'

type Where = { source: string; line: number }

const fail = (where: Where, field: string, problem: string): never => {
  throw new AppError('BAD_INPUT', `${where.source} line ${where.line}, field "${field}": ${problem}`, {
    details: { source: where.source, line: where.line, field },
  })
}

const show = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)

const parseTime = (where: Where, value: string): number => {
  if (!/^\d{1,16}$/.test(value)) fail(where, 'time', `${show(value)} is not a Unix time in milliseconds`)
  const time = Number(value)
  if (!Number.isSafeInteger(time)) fail(where, 'time', `${show(value)} is out of range`)
  return time
}

const parseDecimal = (where: Where, field: string, value: string, allowZero: boolean): Decimal => {
  if (!isDecimalString(value) || value.startsWith('-')) fail(where, field, `${show(value)} is not a plain positive decimal number`)
  const d = new Decimal(value)
  if (!allowZero && d.isZero()) fail(where, field, 'must be greater than 0')
  return d
}

/** Splits lines, dropping one trailing empty line and `\r`; yields 1-based line numbers. */
const lines = (text: string): string[] => {
  const all = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  if (all.length > 0 && all[all.length - 1] === '') all.pop()
  return all
}

const checkHeader = (source: string, first: string | undefined, expected: string) => {
  const header = (first ?? '').replace(/^\uFEFF/, '')
  if (header !== expected) {
    throw new AppError('BAD_INPUT', `${source} line 1: the header must be "${expected}", found ${show(header)}`, {
      details: { source, line: 1, field: 'header' },
    })
  }
}

const fieldsOf = (where: Where, row: string, names: readonly string[]): string[] => {
  const fields = row.split(',')
  if (fields.length !== names.length) {
    const missing = names[fields.length]
    if (fields.length < names.length && missing !== undefined) fail(where, missing, `missing (expected ${names.length} fields, found ${fields.length})`)
    fail(where, names[names.length - 1] ?? 'row', `too many fields (expected ${names.length}, found ${fields.length})`)
  }
  return fields
}

const candleFields = candleHeader.split(',')
const tradeFields = tradeHeader.split(',')

export type ParseCandlesOptions = {
  /** Names the file in error messages. */
  source?: string
  /** When given, every time must be aligned to it. */
  timeframe?: Timeframe
}

/** @throws AppError BAD_INPUT naming the line and field of the first bad row */
export const parseCandleCsv = (text: string, opts: ParseCandlesOptions = {}): Candle[] => {
  const source = opts.source ?? 'candles'
  const rows = lines(text)
  checkHeader(source, rows[0], candleHeader)
  const stepMs = opts.timeframe === undefined ? undefined : timeframeMs[opts.timeframe]
  const out: Candle[] = []
  let previous = -1
  for (let i = 1; i < rows.length; i++) {
    const where = { source, line: i + 1 }
    const row = rows[i] ?? ''
    if (row === '') fail(where, 'time', 'empty line')
    const [t = '', o = '', h = '', l = '', c = '', v = ''] = fieldsOf(where, row, candleFields)
    const time = parseTime(where, t)
    if (time <= previous) fail(where, 'time', `${time} does not come after the previous row's ${previous}`)
    if (stepMs !== undefined && time % stepMs !== 0) fail(where, 'time', `${time} is not aligned to ${opts.timeframe}`)
    const open = parseDecimal(where, 'open', o, false)
    const high = parseDecimal(where, 'high', h, false)
    const low = parseDecimal(where, 'low', l, false)
    const close = parseDecimal(where, 'close', c, false)
    parseDecimal(where, 'volume', v, true)
    if (high.lt(open) || high.lt(close) || high.lt(low)) fail(where, 'high', `${h} is below open, close or low`)
    if (low.gt(open) || low.gt(close)) fail(where, 'low', `${l} is above open or close`)
    out.push({ time, open: o, high: h, low: l, close: c, volume: v })
    previous = time
  }
  return out
}

/** @throws AppError BAD_INPUT naming the line and field of the first bad row */
export const parseTradeCsv = (text: string, opts: { source?: string } = {}): Trade[] => {
  const source = opts.source ?? 'trades'
  const rows = lines(text)
  checkHeader(source, rows[0], tradeHeader)
  const out: Trade[] = []
  let previous = -1
  for (let i = 1; i < rows.length; i++) {
    const where = { source, line: i + 1 }
    const row = rows[i] ?? ''
    if (row === '') fail(where, 'time', 'empty line')
    const [t = '', id = '', p = '', a = '', side = ''] = fieldsOf(where, row, tradeFields)
    const time = parseTime(where, t)
    if (time < previous) fail(where, 'time', `${time} is before the previous row's ${previous}`)
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) fail(where, 'id', `${show(id)} is not a trade id`)
    parseDecimal(where, 'price', p, false)
    parseDecimal(where, 'amount', a, false)
    if (side !== 'buy' && side !== 'sell') fail(where, 'side', `${show(side)} must be "buy" or "sell"`)
    out.push({ time, id, price: p, amount: a, side: side as 'buy' | 'sell' })
    previous = time
  }
  return out
}

/** What a file name in the `<venue>_<BASE>-<QUOTE>_<timeframe|trades>.csv` convention says. */
export type ReplayFileName =
  | { venue: string; symbol: string; kind: 'candles'; timeframe: Timeframe }
  | { venue: string; symbol: string; kind: 'trades' }

/** @throws AppError BAD_INPUT when the name does not follow the convention */
export const parseReplayFileName = (fileName: string): ReplayFileName => {
  const m = /^([a-z0-9]+)_([A-Z0-9]+)-([A-Z0-9]+)_([a-z0-9]+)\.csv$/.exec(fileName)
  const kind = m?.[4]
  if (!m || kind === undefined) {
    throw new AppError('BAD_INPUT', `"${fileName}" is not named <venue>_<BASE>-<QUOTE>_<timeframe or trades>.csv`)
  }
  const venue = m[1] ?? ''
  const symbol = `${m[2]}/${m[3]}`
  if (kind === 'trades') return { venue, symbol, kind: 'trades' }
  if (!isTimeframe(kind)) throw new AppError('BAD_INPUT', `"${fileName}": "${kind}" is not a timeframe this feed knows`)
  return { venue, symbol, kind: 'candles', timeframe: kind }
}
