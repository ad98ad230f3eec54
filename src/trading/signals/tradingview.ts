import type { SignalBotConfig } from '../trading-api-types.js'
import type { SignalAction } from '../trading-types.js'
import { webhookSignatureHeaders, webhookSignatureScheme } from './webhook-auth.js'

/**
 * What the bot page shows for a webhook bot: the URL (the bot id only — the secret travels in the body,
 * never in a URL that proxies and logs keep), the secret, and an alert message to paste into TradingView.
 */

/** The action a new alert most likely wants: the bot's first kind of entry. */
const defaultAction = (config: SignalBotConfig): SignalAction => (config.sides === 'short' ? 'enter_short' : 'enter_long')

/**
 * The alert message for one action (one TradingView alert per action: the user edits "action" for the
 * exit alert). Only placeholders every alert type fills are used: `{{ticker}}` (checked against the bot's
 * symbols, so an alert on the wrong chart is refused), `{{timenow}}` (the max-lag check). The signal id
 * is the ticker, action and time, so TradingView's retries of one alert are acted on once. There is no
 * "price": entries go at market; adding `"price": "{{close}}"` makes them limit orders at the close.
 */
export const tradingViewMessage = (config: SignalBotConfig, secret: string, action: SignalAction = defaultAction(config)): string =>
  JSON.stringify(
    {
      secret,
      action,
      symbol: '{{ticker}}',
      timestamp: '{{timenow}}',
      signalId: `{{ticker}}-${action}-{{timenow}}`,
    },
    null,
    2,
  )

export type WebhookInfo = {
  url: string
  secret: string
  tradingViewMessage: string
  signature: { timestampHeader: string; signatureHeader: string; scheme: string }
}

/** The webhook facts of a bot (webhookInfoSchema); `baseUrl` is the public origin, e.g. PUBLIC_ORIGIN. */
export const webhookInfo = (baseUrl: string, botId: string, secret: string, config: SignalBotConfig): WebhookInfo => ({
  url: `${baseUrl.replace(/\/+$/, '')}/api/hooks/signal/${encodeURIComponent(botId)}`,
  secret,
  tradingViewMessage: tradingViewMessage(config, secret),
  signature: { timestampHeader: webhookSignatureHeaders.timestamp, signatureHeader: webhookSignatureHeaders.signature, scheme: webhookSignatureScheme },
})
