import { describe, expect, it } from 'vitest'
import { createSignalBotBody } from '../../../../src/trading/trading-api-types'
import { emptySignalBotDraft, listFrom, readSignalBotConfig, signalBotBodyFrom, signalBotDraftFrom, type SignalBotDraft } from './signal-bot-draft'

const DEMO_ID = '6e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b'

const draft = (patch: Partial<SignalBotDraft> = {}): SignalBotDraft => ({
  ...emptySignalBotDraft(DEMO_ID),
  name: 'Trend follower',
  symbols: 'btc/usdt, eth/usdt\nBTC/USDT',
  sizingAmount: '100',
  ...patch,
})

const failed = (result: ReturnType<typeof signalBotBodyFrom>) => {
  if (result.ok) throw new Error('expected the form to be refused')
  return result.errors
}

describe('the Signal Bot form', () => {
  it('builds a webhook bot with the TradingView preset and the defaults shown on the form', () => {
    const result = signalBotBodyFrom(draft({ allowIps: '203.0.113.7\n2001:db8::/32, tradingview', stopLossPercent: '2', requireSignature: true }))
    expect(result).toEqual({
      ok: true,
      body: {
        name: 'Trend follower',
        demoAccountId: DEMO_ID,
        config: {
          symbols: ['BTC/USDT', 'ETH/USDT'],
          sizing: { kind: 'quote', amount: '100' },
          sides: 'long',
          stopLossPercent: '2',
          source: { kind: 'webhook', allowIps: ['tradingview', '203.0.113.7', '2001:db8::/32'], maxLagSeconds: 60, ratePerMinute: 30, requireSignature: true },
          onRejection: 'continue',
        },
      },
    })
    if (result.ok) expect(createSignalBotBody.parse(result.body)).toEqual(result.body)
  })

  it('builds an indicator bot from the parameters of the chosen indicator only', () => {
    const base = draft({ sourceKind: 'indicator', indicator: 'macd_cross', timeframe: '4h', sides: 'both', symbols: 'BTC/USDT:USDT' })
    const result = signalBotBodyFrom({ ...base, params: { ...base.params, macd_cross: { fast: '8', slow: '21', signal: '5' } } })
    expect(result.ok && result.body.config.source).toEqual({ kind: 'indicator', indicator: { type: 'macd_cross', fast: 8, slow: 21, signal: 5 }, timeframe: '4h' })
  })

  it('explains each refusal beside its field', () => {
    const base = draft({
      name: ' ',
      demoAccountId: '',
      symbols: 'BTC/USDT BTCUSDT',
      sizingAmount: '0',
      maxLagSeconds: '1',
      ratePerMinute: 'many',
      takeProfitPercent: '2,5',
    })
    expect(failed(signalBotBodyFrom(base))).toEqual({
      name: 'Must not be empty.',
      demoAccountId: 'Choose the demo account the bot starts on.',
      symbols: '"BTCUSDT" must be a unified symbol like "BTC/USDT" or "BTC/USDT:USDT".',
      sizingAmount: 'Must be greater than zero.',
      takeProfitPercent: 'Must be a percentage like "2.5".',
      maxLagSeconds: 'Must be at least 5.',
      ratePerMinute: 'Must be a number.',
    })
    const indicator = draft({ sourceKind: 'indicator', indicator: 'rsi' })
    expect(failed(signalBotBodyFrom({ ...indicator, params: { ...indicator.params, rsi: { period: '14.5', oversold: '60', overbought: '70' } } }))).toEqual({
      'param.period': 'Must be a whole number.',
      'param.oversold': 'Must be at most 50.',
    })
  })

  it('needs at least one symbol', () => {
    expect(failed(signalBotBodyFrom(draft({ symbols: ' , ' }))).symbols).toBe('Needs at least 1.')
  })

  it('opens an existing bot in the form and sends it back unchanged', () => {
    const original = signalBotBodyFrom(draft({ allowIps: '198.51.100.0/24', tradingViewPreset: false, trailingStopPercent: '0.8', onRejection: 'stop' }))
    if (!original.ok) throw new Error('the test draft must be valid')
    const config = readSignalBotConfig(original.body.config)
    if (config === undefined) throw new Error('the config must read back')
    const reopened = signalBotDraftFrom('Trend follower', DEMO_ID, config)
    expect(reopened.tradingViewPreset).toBe(false)
    expect(signalBotBodyFrom(reopened)).toEqual(original)

    const indicatorDraft = draft({ sourceKind: 'indicator', indicator: 'bollinger', timeframe: '15m' })
    const indicatorBody = signalBotBodyFrom({ ...indicatorDraft, params: { ...indicatorDraft.params, bollinger: { period: '30', deviation: '2.5' } } })
    if (!indicatorBody.ok) throw new Error('the indicator draft must be valid')
    const indicatorConfig = readSignalBotConfig(indicatorBody.body.config)
    if (indicatorConfig === undefined) throw new Error('the config must read back')
    expect(signalBotBodyFrom(signalBotDraftFrom('Trend follower', DEMO_ID, indicatorConfig))).toEqual(indicatorBody)
  })

  it('splits lists on lines, commas and spaces, dropping repeats', () => {
    expect(listFrom(' a, b\nb;c  ', false)).toEqual(['a', 'b', 'c'])
    expect(listFrom('btc/usdt BTC/USDT', true)).toEqual(['BTC/USDT'])
  })
})
