import type { VenueSpec } from '../venue-spec.js'
import { binanceClientOrderId, binanceDenyPatterns, binanceSignedBy } from './binance-family.js'
import { neverTick, pasteEgressIps, spotOnly } from './shared.js'

export const binanceus: VenueSpec = {
  catalogue: {
    id: 'binanceus',
    name: 'Binance.US',
    ccxtId: 'binanceus',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'API Key', secret: 'Secret Key' },
    permissionCheck: 'none',
    verification: {
      kind: 'none',
      reason:
        'cannot be verified on Binance.US: it publishes no endpoint that reports a key\'s own permissions (the inherited Binance route is undocumented there). Check at Binance.US that withdrawals are off.',
    },
    acceptsEd25519: false,
    sandbox: {
      kind: 'none',
      switch: null,
      setSandboxModeSafe: false,
      url: null,
      note: 'Binance.US has no test environment; ccxt inherits Binance.com\'s testnet and demo URLs, so setSandboxMode would send Binance.US keys to Binance.com.',
    },
    clientOrderId: binanceClientOrderId,
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /api/v3/order with origClientOrderId, as on Binance.' },
    deadManSwitch: null,
    clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 10, note: 'timestamp and recvWindow (ccxt sends 10 s); offset from GET /api/v3/time.' },
    rateLimit: { ccxtRateLimitMs: 50, costPerMinute: 1200, weights: { 'GET /api/v3/exchangeInfo': 10, 'GET /api/v3/time': 1, 'GET /api/v3/account': 10, 'POST /api/v3/order': 1, 'DELETE /api/v3/order': 1, 'GET /api/v3/order': 2, 'GET /api/v3/openOrders': 3, 'GET /api/v3/myTrades': 10, 'GET /api/v3/ticker/24hr': 1 }, note: 'ccxt uses the Binance.com cost table for Binance.US (1 cost unit per 5 request weight).' },
    keyGuide: {
      url: 'https://www.binance.us/settings/api-management',
      steps: [
        'Open Profile → API Management, name the key and create it.',
        'Permissions: "Can Read" and "Can Trade" (spot). Leave withdrawals off.',
        `Restrict access to trusted IPs and ${pasteEgressIps}.`,
        neverTick,
        'Bulwark cannot read the permissions of a Binance.US key back, so the connected key is marked "not verifiable".',
      ],
    },
  },
  ccxt: {
    // binanceus already sets fetchCurrencies/fetchMargins false; restating keeps them off if that changes.
    options: { fetchCurrencies: false, fetchMargins: false, fetchMarkets: spotOnly, defaultType: 'spot', fetchOpenOrders: { warnWithoutSymbol: false } },
    secretEncoding: 'utf8',
    signedBy: binanceSignedBy,
  },
  policy: {
    allow: [
      { method: 'GET', path: '/api/v3/exchangeInfo', use: 'public' },
      { method: 'GET', path: '/api/v3/ticker/24hr', use: 'public' },
      { method: 'GET', path: '/api/v3/time', use: 'public' },
      { method: 'POST', path: '/api/v3/order', use: 'trade' },
      { method: 'DELETE', path: '/api/v3/order', use: 'trade' },
      { method: 'GET', path: '/api/v3/order', use: 'read' },
      { method: 'GET', path: '/api/v3/openOrders', use: 'read' },
      { method: 'GET', path: '/api/v3/myTrades', use: 'read' },
      { method: 'GET', path: '/api/v3/account', use: 'read' },
    ],
    // Binance.US does not document the inherited key-permission read; it stays unused and denied.
    deny: { paths: [], patterns: [...binanceDenyPatterns, '^/sapi/v\\d/(custodian|cl|otc)/', '^/sapi/v\\d/account/apiRestrictions'] },
  },
}
