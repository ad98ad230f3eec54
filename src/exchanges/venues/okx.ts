import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps, spotOnly } from './shared.js'

export const okx: VenueSpec = {
  catalogue: {
    id: 'okx',
    name: 'OKX',
    ccxtId: 'okx',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret', 'password'],
    credentialLabels: { apiKey: 'API key', secret: 'Secret key', password: 'Passphrase' },
    permissionCheck: 'okx-account-config',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['privateGetAccountConfig'],
      method: 'GET',
      path: '/api/v5/account/config',
      reports: { withdraw: true, transfer: false, ipWhitelist: true, expiry: false },
      fields: 'perm (comma list, e.g. "read_only,trade,withdraw"), ip (the bound IPs, "" when none), label',
      confidence: 'documented',
    },
    acceptsEd25519: false,
    sandbox: {
      kind: 'demo',
      switch: 'setSandboxMode',
      setSandboxModeSafe: true,
      url: 'https://www.okx.com',
      note: 'Demo trading: same host, ccxt adds the header x-simulated-trading: 1. Demo keys are created in OKX\'s demo trading mode.',
    },
    clientOrderId: {
      venueField: 'clOrdId',
      maxLength: 32,
      pattern: '^[A-Za-z0-9]{1,32}$',
      addedPrefix: null,
      note: 'Case-sensitive letters and digits only, up to 32. ccxt also sends its broker tag in `tag`.',
    },
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /api/v5/trade/order with clOrdId.' },
    deadManSwitch: {
      ccxtMethod: 'cancelAllOrdersAfter',
      method: 'POST',
      path: '/api/v5/trade/cancel-all-after',
      scope: 'account',
      minSeconds: 10,
      maxSeconds: 120,
      note: 'timeOut in seconds, 0 or 10-120: one countdown for the whole account, cancelling its pending order-book orders of every instrument; 1 request per second per user.',
    },
    clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 30, note: 'OK-ACCESS-TIMESTAMP must be within 30 s of OKX\'s clock; offset from GET /api/v5/public/time.' },
    rateLimit: { ccxtRateLimitMs: 110, costPerMinute: 60_000 / 110, weights: { 'GET /api/v5/public/time': 2, 'GET /api/v5/public/instruments': 1, 'GET /api/v5/account/balance': 2, 'POST /api/v5/trade/order': 0.3333, 'POST /api/v5/trade/cancel-order': 0.3333, 'POST /api/v5/trade/cancel-all-after': 10, 'GET /api/v5/trade/order': 0.3333, 'GET /api/v5/trade/orders-pending': 0.3333, 'GET /api/v5/trade/fills-history': 2, 'GET /api/v5/market/ticker': 1, 'GET /api/v5/account/config': 4 }, note: 'ccxt\'s cost model for OKX (limits are per endpoint, mostly per user ID; public ones per IP).' },
    keyGuide: {
      url: 'https://www.okx.com/account/my-api',
      steps: [
        'Open Profile → API → Create API key, purpose "API trading".',
        'Permissions: "Read" and "Trade". Do not tick "Withdraw".',
        `IP address: ${pasteEgressIps} (OKX deletes trading keys without an IP after 14 days unused).`,
        'Choose a passphrase; you will paste it here with the key and secret.',
        neverTick,
      ],
    },
  },
  ccxt: {
    options: {
      fetchMarkets: spotOnly,
      defaultType: 'spot',
      // Single orders go to /trade/order; the default is a one-element batch on /trade/batch-orders (finding 3).
      createOrder: 'privatePostTradeOrder',
    },
    // The currency list is a signed call (GET /api/v5/asset/currencies) when a key is set (finding 2).
    has: { fetchCurrencies: false },
    secretEncoding: 'utf8',
    signedBy: { headers: ['ok-access-key', 'ok-access-sign', 'ok-access-timestamp', 'ok-access-passphrase'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/api/v5/public/instruments', use: 'public' },
      { method: 'GET', path: '/api/v5/market/ticker', use: 'public' },
      { method: 'GET', path: '/api/v5/public/time', use: 'public' },
      { method: 'POST', path: '/api/v5/trade/order', use: 'trade' },
      { method: 'POST', path: '/api/v5/trade/cancel-order', use: 'trade' },
      { method: 'POST', path: '/api/v5/trade/cancel-all-after', use: 'trade' },
      { method: 'GET', path: '/api/v5/trade/order', use: 'read' },
      { method: 'GET', path: '/api/v5/trade/orders-pending', use: 'read' },
      { method: 'GET', path: '/api/v5/trade/fills-history', use: 'read' },
      { method: 'GET', path: '/api/v5/account/balance', use: 'read' },
      { method: 'GET', path: '/api/v5/account/config', use: 'verify', why: "the key's own permissions (perm) and bound IPs (ip)" },
    ],
    deny: {
      paths: [],
      patterns: ['^/api/v5/(asset|finance|users|broker|affiliate|copytrading|tradingBot|rfq|fiat)/', '^/api/v5/account/(move-positions|set-auto-loan|spot-manual-borrow-repay)'],
    },
  },
}
