import { describe, expect, it } from 'vitest'
import { signalBotConfigSchema, webhookInfoSchema, type SignalBotConfig } from '../trading-api-types.js'
import { tradingViewMessage, webhookInfo } from './tradingview.js'
import { parseWebhookBody, toSignalInput } from './webhook-payload.js'

const secret = 'bwh_0123456789abcdef0123456789abcdef0123456'
const botId = '0194b3a0-0000-7000-8000-00000000000a'
const config: SignalBotConfig = signalBotConfigSchema.parse({ symbols: ['BTC/USDT'], sizing: { kind: 'quote', amount: '100' }, source: { kind: 'webhook' } })

describe('TradingView alert message', () => {
  it('is a webhook body with placeholders that, once TradingView fills them in, the ingress accepts', () => {
    const message = tradingViewMessage(config, secret)
    expect(JSON.parse(message)).toEqual({ secret, action: 'enter_long', symbol: '{{ticker}}', timestamp: '{{timenow}}', signalId: '{{ticker}}-enter_long-{{timenow}}' })
    const filled = message.replaceAll('{{ticker}}', 'BTCUSDT').replaceAll('{{timenow}}', '2026-03-02T10:00:00Z')
    expect(toSignalInput(parseWebhookBody(filled, 'text/plain'), config.symbols)).toEqual({ action: 'enter_long', symbol: 'BTC/USDT', signalId: 'BTCUSDT-enter_long-2026-03-02T10:00:00Z' })
  })

  it('is written per action, and starts with a short entry for a short-only bot', () => {
    expect(JSON.parse(tradingViewMessage(config, secret, 'close_all'))).toMatchObject({ action: 'close_all', signalId: '{{ticker}}-close_all-{{timenow}}' })
    expect(JSON.parse(tradingViewMessage({ ...config, symbols: ['BTC/USDT:USDT'], sides: 'short' }, secret))).toMatchObject({ action: 'enter_short' })
  })
})

describe('webhook info', () => {
  it('matches the API schema, keeps the secret out of the URL and says how to sign', () => {
    const info = webhookInfo('https://bulwark.example.com/', botId, secret, config)
    expect(webhookInfoSchema.parse(info)).toEqual(info)
    expect(info.url).toBe(`https://bulwark.example.com/api/hooks/signal/${botId}`)
    expect(info.url).not.toContain(secret)
    expect(info.secret).toBe(secret)
    expect(info.signature).toMatchObject({ timestampHeader: 'x-bulwark-timestamp', signatureHeader: 'x-bulwark-signature' })
    expect(info.signature.scheme).toContain('HMAC-SHA256')
  })
})
