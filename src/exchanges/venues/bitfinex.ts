import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const bitfinex: VenueSpec = {
  catalogue: {
    id: 'bitfinex',
    name: 'Bitfinex',
    ccxtId: 'bitfinex',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'API Key', secret: 'API Key Secret' },
    permissionCheck: 'bitfinex-permissions',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['privatePostAuthRPermissions'],
      method: 'POST',
      path: '/v2/auth/r/permissions',
      reports: { withdraw: true, transfer: true, ipWhitelist: false, expiry: false },
      fields: '[scope, read, write] rows; scopes "withdraw" and "wallets" (write = transfers). The IP whitelist is not reported.',
      confidence: 'documented',
    },
    acceptsEd25519: false,
    sandbox: { kind: 'none', switch: null, setSandboxModeSafe: false, url: null, note: 'No sandbox; setSandboxMode silently sends requests to "undefined/…" (finding 4).' },
    clientOrderId: {
      venueField: 'cid',
      maxLength: 13,
      pattern: '^[1-9][0-9]{0,12}$',
      addedPrefix: null,
      note: 'An integer (Bitfinex cid, unique per UTC day together with cid_date); ccxt passes it through as given.',
    },
    orderRecovery: {
      mode: 'recent-orders-scan',
      via: ['fetchOpenOrders', 'fetchMyTrades'],
      note: 'A lookup by cid needs its cid_date, which ccxt does not send; open orders carry the cid, recent trades the order id.',
    },
    deadManSwitch: null,
    clock: { signsTimestamps: false, adjustForTimeDifference: false, windowSeconds: null, note: 'Signs an increasing nonce (milliseconds), not a time window; ccxt has no fetchTime for Bitfinex.' },
    rateLimit: { ccxtRateLimitMs: 250, costPerMinute: 240, weights: { 'GET /v2/conf/{labels}': 2.7, 'POST /v2/auth/r/wallets': 2.7, 'POST /v2/auth/w/order/submit': 2.7, 'POST /v2/auth/w/order/cancel': 2.7, 'POST /v2/auth/r/orders/{symbol}': 2.7, 'POST /v2/auth/r/trades/{symbol}/hist': 2.7, 'GET /v2/ticker/{symbol}': 2.7, 'POST /v2/auth/r/permissions': 2.7 }, note: "ccxt's cost model for Bitfinex v2 (authenticated endpoints 90 requests per minute)." },
    keyGuide: {
      url: 'https://setting.bitfinex.com/api',
      steps: [
        'Open Account → API Keys → Create New Key.',
        'Permissions: "Account History: read", "Orders: read and write", "Wallets: read". Untick "Withdraw", wallet write (transfers), "Margin Funding", "Margin Trading" and "Settings".',
        `IP access restrictions: ${pasteEgressIps}. Bitfinex does not report this restriction, so Bulwark cannot check it.`,
        neverTick,
      ],
    },
  },
  ccxt: {
    options: {},
    secretEncoding: 'utf8',
    signedBy: { headers: ['bfx-apikey', 'bfx-signature', 'bfx-nonce'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/v2/conf/{labels}', params: { labels: 'pub(:[a-z]+)+(,pub(:[a-z]+)+)*' }, use: 'public' },
      { method: 'GET', path: '/v2/ticker/{symbol}', params: { symbol: 't[A-Z0-9:]{3,20}' }, use: 'public' },
      { method: 'POST', path: '/v2/auth/w/order/submit', use: 'trade' },
      { method: 'POST', path: '/v2/auth/w/order/cancel', use: 'trade' },
      { method: 'POST', path: '/v2/auth/r/orders/{symbol}', params: { symbol: 't[A-Z0-9:]{3,20}' }, use: 'read' },
      { method: 'POST', path: '/v2/auth/r/trades/{symbol}/hist', params: { symbol: 't[A-Z0-9:]{3,20}' }, use: 'read' },
      { method: 'POST', path: '/v2/auth/r/wallets', use: 'read' },
      { method: 'POST', path: '/v2/auth/r/permissions', use: 'verify', why: "the key's own scopes (Bitfinex posts reads too; /auth/r/ is the read namespace)" },
    ],
    deny: {
      paths: [],
      // Every write except placing and cancelling one order; funding, movements and deposit reads too.
      patterns: ['^/v2/auth/w/(?!order/(submit|cancel)$)', '^/v2/auth/r/(movements|funding|deposit|ext|invoice)'],
    },
  },
}
