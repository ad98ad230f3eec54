import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../lib/errors.js'
import { parseCandleCsv, parseReplayFileName, parseTradeCsv } from './csv.js'
import { bundledMarketDataDir, loadReplaySet } from './replay.js'

const header = 'time,open,high,low,close,volume'
const good = '1621123200000,46762.99,46995,46754.31,46969.15,150.908437'

/** The AppError a parse throws, so a test can look at its code, message and details. */
const failure = (fn: () => unknown): AppError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected the parse to fail')
}

describe('candle CSV', () => {
  it('parses the bundled BTC/USDT file row for row, keeping the decimal text', () => {
    const text = readFileSync(join(bundledMarketDataDir(), 'binance_BTC-USDT_1m.csv'), 'utf8')
    const candles = parseCandleCsv(text, { source: 'btc', timeframe: '1m' })
    expect(candles).toHaveLength(text.trim().split('\n').length - 1)
    expect(candles[0]).toEqual({ time: 1621123200000, open: '46762.99', high: '46995', low: '46754.31', close: '46969.15', volume: '150.908437' })
    expect(candles.at(-1)?.time).toBe(Date.UTC(2021, 4, 20, 20, 40))
  })

  it('accepts CRLF line ends and a missing final newline', () => {
    expect(parseCandleCsv(`${header}\r\n${good}`)).toHaveLength(1)
  })

  const badRows: Array<[string, string, number, string, RegExp]> = [
    ['a header with another column order', 'time,open,low,high,close,volume\n' + good, 1, 'header', /header must be/],
    ['a time that is not a number', `${header}\n${good}\nabc,1,1,1,1,1`, 3, 'time', /not a Unix time/],
    ['a time that does not increase', `${header}\n${good}\n1621123200000,1,1,1,1,1`, 3, 'time', /does not come after/],
    ['a price in exponent form', `${header}\n1621123260000,1e3,1,1,1,1`, 2, 'open', /not a plain positive decimal/],
    ['a negative price', `${header}\n1621123260000,1,1,-1,1,1`, 2, 'low', /not a plain positive decimal/],
    ['a zero price', `${header}\n1621123260000,1,1,1,0,1`, 2, 'close', /greater than 0/],
    ['a high below the close', `${header}\n1621123260000,1,2,1,3,1`, 2, 'high', /below open, close or low/],
    ['a low above the open', `${header}\n1621123260000,1,3,2,2,1`, 2, 'low', /above open or close/],
    ['a missing volume', `${header}\n${good}\n1621123260000,1,1,1,1`, 3, 'volume', /missing/],
    ['an extra field', `${header}\n1621123260000,1,1,1,1,1,7`, 2, 'volume', /too many fields/],
    ['an empty line in the middle', `${header}\n${good}\n\n1621123320000,1,1,1,1,1`, 3, 'time', /empty line/],
    ['NaN as volume', `${header}\n1621123260000,1,1,1,1,NaN`, 2, 'volume', /not a plain positive decimal/],
  ]
  it.each(badRows)('rejects %s, naming line and field', (_name, text, line, field, message) => {
    const err = failure(() => parseCandleCsv(text, { source: 'x.csv' }))
    expect(err.code).toBe('BAD_INPUT')
    expect(err.message).toMatch(new RegExp(`^x\\.csv line ${line}, field "${field}": |^x\\.csv line ${line}: `))
    expect(err.message).toMatch(message)
    expect(err.details).toEqual({ source: 'x.csv', line, field })
  })

  it('rejects a row that is not aligned to the timeframe the file name gives', () => {
    const err = failure(() => parseCandleCsv(`${header}\n1621123230000,1,1,1,1,1`, { source: 'y', timeframe: '1m' }))
    expect(err.message).toBe('y line 2, field "time": 1621123230000 is not aligned to 1m')
  })
})

describe('trade CSV', () => {
  it('parses the bundled trades file', () => {
    const text = readFileSync(join(bundledMarketDataDir(), 'binance_BTC-USDT_trades.csv'), 'utf8')
    const trades = parseTradeCsv(text)
    expect(trades).toHaveLength(2001)
    expect(trades[0]).toEqual({ time: 1610064000278, id: '553287559', price: '39432.48', amount: '0.000263', side: 'sell' })
    // 630 trades share their millisecond with the previous one (data/market/README.md): equal times are allowed.
    expect(trades.filter((t, i) => i > 0 && t.time === trades[i - 1]?.time)).toHaveLength(630)
  })

  const th = 'time,id,price,amount,side'
  const badRows: Array<[string, string, number, string]> = [
    ['a side that is neither buy nor sell', `${th}\n1,7,1,1,BUY`, 2, 'side'],
    ['an id with a comma-free but odd character', `${th}\n1,7$,1,1,buy`, 2, 'id'],
    ['a zero amount', `${th}\n1,7,1,0,buy`, 2, 'amount'],
    ['a time going backwards', `${th}\n5,7,1,1,buy\n4,8,1,1,sell`, 3, 'time'],
    ['a missing side', `${th}\n1,7,1,1`, 2, 'side'],
  ]
  it.each(badRows)('rejects %s, naming line and field', (_name, text, line, field) => {
    const err = failure(() => parseTradeCsv(text, { source: 't.csv' }))
    expect(err.code).toBe('BAD_INPUT')
    expect(err.message.startsWith(`t.csv line ${line}, field "${field}": `)).toBe(true)
  })
})

describe('replay file names and loading', () => {
  it('reads venue, symbol and timeframe from the name', () => {
    expect(parseReplayFileName('binance_BTC-USDT_1m.csv')).toEqual({ venue: 'binance', symbol: 'BTC/USDT', kind: 'candles', timeframe: '1m' })
    expect(parseReplayFileName('binance_BTC-USDT_trades.csv')).toEqual({ venue: 'binance', symbol: 'BTC/USDT', kind: 'trades' })
    expect(() => parseReplayFileName('btc.csv')).toThrow(/is not named/)
    expect(() => parseReplayFileName('binance_BTC-USDT_7m.csv')).toThrow(/"7m" is not a timeframe/)
  })

  it('loads the bundled default set and names a missing file', async () => {
    const set = await loadReplaySet()
    expect(set.map((s) => `${s.symbol} ${s.kind}`)).toEqual(['BTC/USDT candles', 'ETH/USDT candles'])
    await expect(loadReplaySet({ files: ['binance_SOL-USDT_1m.csv'] })).rejects.toThrow(/"binance_SOL-USDT_1m.csv" does not exist/)
  })
})
