import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const mexc: VenueSpec = {
  catalogue: {
    id: 'mexc',
    name: 'MEXC',
    ccxtId: 'mexc',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'Access Key', secret: 'Secret Key' },
    permissionCheck: 'none',
    verification: {
      kind: 'none',
      reason:
        "cannot be verified on MEXC: MEXC documents no endpoint that reports a key's permissions or IP binding (GET /api/v3/account shows account-level flags only). Check at MEXC that withdrawals are off.",
    },
    acceptsEd25519: false,
    sandbox: { kind: 'none', switch: null, setSandboxModeSafe: false, url: null, note: 'No test environment; ccxt\'s setSandboxMode throws a TypeError when signing (finding 4).' },
    clientOrderId: {
      venueField: 'newClientOrderId',
      maxLength: 32,
      pattern: '^[A-Za-z0-9_-]{1,32}$',
      addedPrefix: null,
      note: 'Kept to letters, digits, "_" and "-", up to 32.',
    },
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /api/v3/order with origClientOrderId.' },
    deadManSwitch: null,
    clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 5, note: 'timestamp and recvWindow (ccxt sends 5 s); offset from GET /api/v3/time.' },
    rateLimit: { ccxtRateLimitMs: 50, costPerMinute: 1200, weights: { 'GET /api/v3/time': 1, 'GET /api/v3/exchangeInfo': 25, 'GET /api/v1/contract/detail': 100, 'GET /api/v3/account': 10, 'POST /api/v3/order': 1, 'DELETE /api/v3/order': 1, 'GET /api/v3/order': 2, 'GET /api/v3/openOrders': 3, 'GET /api/v3/myTrades': 10, 'GET /api/v3/ticker/24hr': 25 }, note: "ccxt's cost model for MEXC spot v3 (weights per IP and per UID)." },
    keyGuide: {
      url: 'https://www.mexc.com/user/openapi',
      steps: [
        'Open Profile → API Management → Create API key.',
        'Permissions: "Account: read" and "Trade: spot trading". Leave withdrawal and transfer permissions off.',
        `Link IP addresses: ${pasteEgressIps} (MEXC keys without IPs expire after 90 days).`,
        neverTick,
        'Bulwark cannot read the permissions of a MEXC key back, so the connected key is marked "not verifiable".',
      ],
    },
  },
  ccxt: {
    options: { defaultType: 'spot' },
    // The currency list is GET /api/v3/capital/config/getall, a signed wallet read (finding 2).
    has: { fetchCurrencies: false },
    secretEncoding: 'utf8',
    signedBy: { headers: ['x-mexc-apikey'], query: ['signature'] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/api/v3/exchangeInfo', use: 'public' },
      // ccxt's fetchMarkets always loads the contract markets too (contract.mexc.com).
      { method: 'GET', path: '/api/v1/contract/detail', use: 'public' },
      { method: 'GET', path: '/api/v3/ticker/24hr', use: 'public' },
      { method: 'GET', path: '/api/v3/time', use: 'public' },
      { method: 'POST', path: '/api/v3/order', use: 'trade' },
      { method: 'DELETE', path: '/api/v3/order', use: 'trade' },
      { method: 'GET', path: '/api/v3/order', use: 'read' },
      { method: 'GET', path: '/api/v3/openOrders', use: 'read' },
      { method: 'GET', path: '/api/v3/myTrades', use: 'read' },
      { method: 'GET', path: '/api/v3/account', use: 'read' },
    ],
    deny: { paths: [], patterns: ['^/api/v3/(capital|sub-account|broker|rebate|mxDeduct|selfSymbols)', '^/open/api/v2/asset/'] },
  },
}
