import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const xt: VenueSpec = {
  catalogue: {
    id: 'xt',
    name: 'XT.COM',
    ccxtId: 'xt',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'Access Key', secret: 'Secret Key' },
    permissionCheck: 'none',
    verification: {
      kind: 'none',
      reason:
        "cannot be verified on XT.COM: its only key route (GET /v4/user/account/api-key) belongs to sub-account key management and is not documented as reporting the calling key. Check at XT that withdrawals are off.",
    },
    acceptsEd25519: false,
    sandbox: { kind: 'none', switch: null, setSandboxModeSafe: false, url: null, note: 'No sandbox; setSandboxMode silently sends requests to "undefined/…" (finding 4).' },
    clientOrderId: {
      venueField: 'clientOrderId',
      maxLength: 32,
      pattern: '^[A-Za-z0-9]{4,32}$',
      addedPrefix: null,
      note: 'Kept to 4-32 letters and digits (XT\'s exact rule is not published in English).',
    },
    orderRecovery: {
      mode: 'recent-orders-scan',
      via: ['fetchOpenOrders', 'fetchMyTrades'],
      note: 'ccxt 4.5.84 builds GET /v4/order/ with an empty id for a client-id lookup, which the policy refuses; open orders carry clientOrderId.',
    },
    deadManSwitch: null,
    clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 5, note: 'xt-validate-timestamp with xt-validate-recvwindow; offset from GET /v4/public/time.' },
    rateLimit: { ccxtRateLimitMs: 100, costPerMinute: 600, weights: { 'GET /v4/public/wallet/support/currency': 1, 'GET /v4/public/currencies': 1, 'GET /v4/public/time': 1, 'GET /v4/public/symbol': 1, 'GET /future/market/v1/public/symbol/list': 1, 'GET /v4/balances': 1, 'POST /v4/order': 0.2, 'DELETE /v4/order/{id}': 1, 'GET /v4/order/{id}': 1, 'GET /v4/open-order': 1, 'GET /v4/trade': 1, 'GET /v4/public/ticker/24h': 1 }, note: "ccxt's cost model for XT spot v4." },
    keyGuide: {
      url: 'https://www.xt.com/en/accounts/api',
      steps: [
        'Open User Center → API Management → Create API.',
        'Permissions: read and spot trade. Leave withdrawal and transfer off.',
        `Bind IP addresses: ${pasteEgressIps}.`,
        neverTick,
        'Bulwark cannot read the permissions of an XT key back, so the connected key is marked "not verifiable".',
      ],
    },
  },
  ccxt: {
    options: { defaultType: 'spot' },
    secretEncoding: 'utf8',
    signedBy: { headers: ['xt-validate-appkey', 'xt-validate-signature', 'xt-validate-timestamp'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/v4/public/wallet/support/currency', use: 'public' },
      { method: 'GET', path: '/v4/public/currencies', use: 'public' },
      { method: 'GET', path: '/v4/public/symbol', use: 'public' },
      // ccxt's fetchMarkets always loads the USDT-M and coin-M contract lists too (fapi/dapi hosts).
      { method: 'GET', path: '/future/market/v1/public/symbol/list', use: 'public' },
      { method: 'GET', path: '/v4/public/ticker/24h', use: 'public' },
      { method: 'GET', path: '/v4/public/time', use: 'public' },
      { method: 'POST', path: '/v4/order', use: 'trade' },
      { method: 'DELETE', path: '/v4/order/{id}', params: { id: '[0-9]{1,24}' }, use: 'trade' },
      { method: 'GET', path: '/v4/order/{id}', params: { id: '[0-9]{1,24}' }, use: 'read' },
      { method: 'GET', path: '/v4/open-order', use: 'read' },
      { method: 'GET', path: '/v4/trade', use: 'read' },
      { method: 'GET', path: '/v4/balances', use: 'read' },
    ],
    deny: { paths: [], patterns: ['^/v4/(withdraw|deposit|balance/(account/)?transfer|user/)', '^/future/copytrade/'] },
  },
}
