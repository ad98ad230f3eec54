import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const blofin: VenueSpec = {
  catalogue: {
    id: 'blofin',
    name: 'BloFin Futures',
    ccxtId: 'blofin',
    implementation: 'ccxt',
    market: 'linear',
    credentials: ['apiKey', 'secret', 'password'],
    credentialLabels: { apiKey: 'API Key', secret: 'Secret Key', password: 'Passphrase' },
    permissionCheck: 'blofin-query-apikey',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['privateGetUserQueryApikey'],
      method: 'GET',
      path: '/api/v1/user/query-apikey',
      reports: { withdraw: false, transfer: true, ipWhitelist: true, expiry: true },
      fields: 'readOnly (0 read-write, 1 read-only), permissions (READ, TRADE, TRANSFER; BloFin documents no withdraw permission), ips, expireTime',
      confidence: 'documented',
    },
    acceptsEd25519: false,
    sandbox: {
      kind: 'demo',
      switch: 'setSandboxMode',
      setSandboxModeSafe: true,
      url: 'https://demo-trading-openapi.blofin.com',
      note: 'Demo trading host; demo keys are created in BloFin\'s demo mode.',
    },
    clientOrderId: {
      venueField: 'clientOrderId',
      maxLength: 32,
      pattern: '^[A-Za-z0-9]{1,32}$',
      addedPrefix: null,
      note: 'Letters and digits, up to 32. ccxt also sends its brokerId.',
    },
    orderRecovery: {
      mode: 'recent-orders-scan',
      via: ['fetchOpenOrders', 'fetchMyTrades'],
      note: 'ccxt 4.5.84 has no fetchOrder for BloFin; open orders carry clientOrderId, fills the order id.',
    },
    deadManSwitch: null,
    clock: {
      signsTimestamps: true,
      adjustForTimeDifference: false,
      windowSeconds: null,
      note: 'ACCESS-TIMESTAMP is signed, but ccxt has no fetchTime for BloFin and so cannot measure the offset: keep the host clock synchronised (NTP).',
    },
    rateLimit: { ccxtRateLimitMs: 200, costPerMinute: 300, weights: { 'GET /api/v1/market/instruments': 1, 'GET /api/v1/account/balance': 1, 'POST /api/v1/trade/order': 1.67, 'POST /api/v1/trade/cancel-order': 1.67, 'GET /api/v1/trade/orders-pending': 1.67, 'GET /api/v1/trade/fills-history': 1.67, 'GET /api/v1/market/tickers': 1, 'GET /api/v1/account/positions': 1, 'POST /api/v1/account/set-leverage': 1.67, 'GET /api/v1/user/query-apikey': 1 }, note: "ccxt's cost model for BloFin (500 requests per minute per IP, trading 30 per 10 s per user)." },
    keyGuide: {
      url: 'https://blofin.com/account/apis',
      steps: [
        'Open Account → API Management → Create API Key, type "API Transaction".',
        'Set a passphrase; you will paste it here with the key and secret.',
        'Permissions: "Read" and "Trade". Leave "Transfer" unticked.',
        `Bind IP addresses: ${pasteEgressIps}.`,
        neverTick,
      ],
    },
  },
  ccxt: {
    options: { defaultType: 'swap' },
    secretEncoding: 'utf8',
    signedBy: { headers: ['access-key', 'access-sign', 'access-timestamp', 'access-nonce', 'access-passphrase'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/api/v1/market/instruments', use: 'public' },
      { method: 'GET', path: '/api/v1/market/tickers', use: 'public' },
      { method: 'POST', path: '/api/v1/trade/order', use: 'trade' },
      { method: 'POST', path: '/api/v1/trade/cancel-order', use: 'trade' },
      { method: 'GET', path: '/api/v1/trade/orders-pending', use: 'read' },
      { method: 'GET', path: '/api/v1/trade/fills-history', use: 'read' },
      { method: 'GET', path: '/api/v1/account/balance', use: 'read' },
      { method: 'GET', path: '/api/v1/account/positions', use: 'read' },
      { method: 'POST', path: '/api/v1/account/set-leverage', use: 'trade' },
      { method: 'GET', path: '/api/v1/user/query-apikey', use: 'verify', why: "the key's own permissions, IPs and expiry" },
    ],
    deny: { paths: [], patterns: ['^/api/v1/(asset|affiliate|copytrading)/'] },
  },
}
