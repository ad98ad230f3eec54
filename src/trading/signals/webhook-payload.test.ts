import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { MAX_WEBHOOK_BODY_BYTES, parseSignalTime, parseWebhookBody, resolveSymbol, toSignalDecimal, toSignalInput } from './webhook-payload.js'

const secret = 'bwh_0123456789abcdef0123456789abcdef0123456'

/** The refusal's code and reason, or 'ok'. */
const refusal = (fn: () => unknown): string => {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    return `${err.code}:${err.reason ?? ''}`
  }
}
const messageOf = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    return (err as Error).message
  }
  return ''
}

const body = (fields: Record<string, unknown>) => JSON.stringify({ secret, action: 'enter_long', timestamp: '2026-03-02T10:00:00Z', ...fields })

describe('webhook body parsing', () => {
  it('reads a TradingView alert sent as text/plain or application/json', () => {
    expect(parseWebhookBody(body({ symbol: 'BTCUSDT' }), 'text/plain; charset=utf-8')).toMatchObject({ action: 'enter_long', symbol: 'BTCUSDT' })
    expect(parseWebhookBody(body({}), 'application/json')).toMatchObject({ action: 'enter_long' })
    expect(parseWebhookBody(body({}), undefined)).toMatchObject({ action: 'enter_long' })
  })

  it('refuses what is not a JSON object of the webhook shape, naming the field', () => {
    expect(refusal(() => parseWebhookBody('action=enter_long', 'text/plain'))).toBe('BAD_INPUT:MALFORMED_BODY')
    expect(refusal(() => parseWebhookBody('[1,2]'))).toBe('BAD_INPUT:MALFORMED_BODY')
    expect(refusal(() => parseWebhookBody('null'))).toBe('BAD_INPUT:MALFORMED_BODY')
    expect(refusal(() => parseWebhookBody(JSON.stringify({ secret, action: 'enter_long' })))).toBe('BAD_INPUT:MALFORMED_BODY')
    expect(messageOf(() => parseWebhookBody(JSON.stringify({ secret, action: 'enter_long' })))).toContain('timestamp')
    expect(messageOf(() => parseWebhookBody(body({ leverage: 5 })))).toContain('leverage')
  })

  it('never echoes the secret in a refusal', () => {
    expect(messageOf(() => parseWebhookBody(JSON.stringify({ secret: 'short-secret-1', action: 'x', timestamp: 1 })))).not.toContain('short-secret-1')
    expect(messageOf(() => parseWebhookBody(body({ secret: 1234567890123456 })))).not.toContain('1234567890123456')
  })

  it(`refuses a body over ${MAX_WEBHOOK_BODY_BYTES} bytes (counted in UTF-8) and other media types`, () => {
    const pad = 'é'.repeat(MAX_WEBHOOK_BODY_BYTES / 2)
    expect(refusal(() => parseWebhookBody(body({ signalId: pad })))).toBe('PAYLOAD_TOO_LARGE:BODY_TOO_LARGE')
    expect(refusal(() => parseWebhookBody(body({}), 'application/x-www-form-urlencoded'))).toBe('UNSUPPORTED_MEDIA_TYPE:UNSUPPORTED_MEDIA_TYPE')
  })
})

describe('signal meaning', () => {
  const symbols = ['BTC/USDT']
  const parsed = (fields: Record<string, unknown>) => parseWebhookBody(body(fields))

  it('accepts the five actions and nothing else', () => {
    for (const action of ['enter_long', 'exit_long', 'enter_short', 'exit_short', 'close_all', ' Close_All ']) {
      expect(refusal(() => toSignalInput(parsed({ action }), symbols))).toBe('ok')
    }
    for (const action of ['buy', 'sell', 'long', 'enter', 'close']) {
      expect(refusal(() => toSignalInput(parsed({ action }), symbols))).toBe('BAD_INPUT:UNKNOWN_ACTION')
    }
  })

  it('refuses an unfilled placeholder by the name of its field', () => {
    expect(refusal(() => toSignalInput(parsed({ price: '{{close}}' }), symbols))).toBe('BAD_INPUT:UNFILLED_PLACEHOLDER')
    expect(messageOf(() => toSignalInput(parsed({ price: '{{close}}' }), symbols))).toMatch(/^price is "\{\{close\}\}"/)
    expect(messageOf(() => toSignalInput(parsed({ action: '{{strategy.order.action}}' }), symbols))).toMatch(/^action/)
    expect(messageOf(() => toSignalInput(parsed({ signalId: '{{strategy.order.id}}-1' }), symbols))).toMatch(/^signalId/)
  })

  it.each([
    ['BTCUSDT', ['BTC/USDT'], 'BTC/USDT'],
    ['BINANCE:BTCUSDT', ['BTC/USDT', 'ETH/USDT'], 'BTC/USDT'],
    ['btcusdt', ['BTC/USDT'], 'BTC/USDT'],
    ['BTC/USDT', ['BTC/USDT'], 'BTC/USDT'],
    ['BTCUSDT.P', ['BTC/USDT:USDT'], 'BTC/USDT:USDT'],
    ['BYBIT:ETHUSDT.P', ['BTC/USDT:USDT', 'ETH/USDT:USDT'], 'ETH/USDT:USDT'],
    ['BTCUSDT', ['BTC/USDT:USDT'], 'BTC/USDT:USDT'],
    ['BTCUSDT.P', ['BTC/USDT', 'BTC/USDT:USDT'], 'BTC/USDT:USDT'],
    ['BTCUSDT', ['BTC/USDT', 'BTC/USDT:USDT'], 'BTC/USDT'],
    ['BTC/USDT:USDT', ['BTC/USDT', 'BTC/USDT:USDT'], 'BTC/USDT:USDT'],
    [undefined, ['ETH/USDT'], 'ETH/USDT'],
  ])('maps the symbol %s onto %j as %s', (sent, botSymbols, expected) => {
    expect(resolveSymbol(sent, botSymbols)).toBe(expected)
  })

  it('refuses a symbol the bot does not trade, and a missing one when it trades several', () => {
    expect(refusal(() => resolveSymbol('ETHUSDT', ['BTC/USDT']))).toBe('BAD_INPUT:UNKNOWN_SYMBOL')
    expect(refusal(() => resolveSymbol('BTCUSD', ['BTC/USDT']))).toBe('BAD_INPUT:UNKNOWN_SYMBOL')
    expect(refusal(() => resolveSymbol(undefined, ['BTC/USDT', 'ETH/USDT']))).toBe('BAD_INPUT:SYMBOL_REQUIRED')
    expect(refusal(() => resolveSymbol(' ', ['BTC/USDT', 'ETH/USDT']))).toBe('BAD_INPUT:SYMBOL_REQUIRED')
  })

  it.each([
    [0.001, '0.001'],
    ['46969.15', '46969.15'],
    [' 46969.150 ', '46969.15'],
    ['007.5', '7.5'],
    [12, '12'],
    ['1234567890123456', '1234567890123456'],
    ['0.000000000001', '0.000000000001'],
  ])('turns %j into the decimal string %s', (value, expected) => {
    expect(toSignalDecimal('amount', value)).toBe(expected)
  })

  it.each([['-1'], [-1], ['1e-7'], [1e-7], [1e21], ['NaN'], ['Infinity'], ['0x10'], ['1,5'], [''], ['0'], [0], ['12345678901234567'], [0.1 + 0.2], ['0.0000000000001']])(
    'refuses %j as a number',
    (value) => {
      expect(refusal(() => toSignalDecimal('price', value))).toBe('BAD_INPUT:INVALID_NUMBER')
    },
  )

  it('carries amount, price, TP and SL as decimal strings, and the signal id as sent', () => {
    expect(toSignalInput(parsed({ amount: 0.5, price: '46969.15', takeProfit: 48000, stopLoss: '45000.0', signalId: 'a-1' }), symbols)).toEqual({
      action: 'enter_long',
      symbol: 'BTC/USDT',
      amount: '0.5',
      price: '46969.15',
      takeProfit: '48000',
      stopLoss: '45000',
      signalId: 'a-1',
    })
  })

  it.each([
    ['2026-03-02T10:00:00Z', Date.UTC(2026, 2, 2, 10)],
    ['2026-03-02T11:00:00+01:00', Date.UTC(2026, 2, 2, 10)],
    ['2026-03-02T10:00:00.250Z', Date.UTC(2026, 2, 2, 10) + 250],
    [1772445600, Date.UTC(2026, 2, 2, 10)],
    ['1772445600', Date.UTC(2026, 2, 2, 10)],
    [1772445600123, Date.UTC(2026, 2, 2, 10) + 123],
    ['1772445600.5', Date.UTC(2026, 2, 2, 10) + 500],
  ])('reads the timestamp %j', (value, ms) => {
    expect(parseSignalTime(value)).toBe(ms)
  })

  it.each([['2026-03-02T10:00:00'], ['2026-03-02'], ['yesterday'], ['2026-13-45T10:00:00Z'], [-5], [0]])('refuses the timestamp %j', (value) => {
    expect(refusal(() => parseSignalTime(value))).toBe('BAD_INPUT:INVALID_TIMESTAMP')
  })
})
