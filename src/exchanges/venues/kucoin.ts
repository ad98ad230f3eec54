import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const kucoin: VenueSpec = {
  catalogue: {
    id: 'kucoin',
    name: 'KuCoin',
    ccxtId: 'kucoin',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret', 'password'],
    credentialLabels: { apiKey: 'API Key', secret: 'API Secret', password: 'API Passphrase' },
    permissionCheck: 'kucoin-user-api-key',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['privateGetUserApiKey'],
      method: 'GET',
      path: '/api/v1/user/api-key',
      reports: { withdraw: true, transfer: true, ipWhitelist: true, expiry: false },
      fields: 'permission (comma list such as "General,Spot"; withdrawal and transfer rights appear as extra entries), ipWhitelist, isMaster',
      confidence: 'unverified',
    },
    acceptsEd25519: false,
    sandbox: {
      kind: 'none',
      switch: null,
      setSandboxModeSafe: false,
      url: null,
      note: 'No sandbox in ccxt: setSandboxMode silently sends requests to "undefined/…" (finding 4).',
    },
    clientOrderId: {
      venueField: 'clientOid',
      maxLength: 40,
      pattern: '^[A-Za-z0-9_-]{1,40}$',
      addedPrefix: null,
      note: 'Letters, digits, "_" and "-", up to 40. ccxt adds KuCoin partner headers, not a prefix.',
    },
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /api/v1/hf/orders/client-order/{clientOid}.' },
    deadManSwitch: null,
    clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 5, note: 'KC-API-TIMESTAMP must be within 5 s; offset from GET /api/v1/timestamp.' },
    rateLimit: { ccxtRateLimitMs: 7.5, costPerMinute: 8000, weights: { 'GET /api/v3/currencies': 3, 'GET /api/v2/symbols': 4, 'GET /api/v1/timestamp': 3, 'GET /api/v1/accounts': 5, 'POST /api/v1/hf/orders': 1, 'DELETE /api/v1/hf/orders/{id}': 1, 'GET /api/v1/hf/orders/{id}': 2, 'GET /api/v1/hf/orders/client-order/{clientOid}': 2, 'GET /api/v1/hf/orders/active': 2, 'GET /api/v1/hf/fills': 2, 'GET /api/v1/market/stats': 15, 'GET /api/v1/user/api-key': 20 }, note: "ccxt's cost model for KuCoin's resource pools (spot pool per UID, public pool per IP)." },
    keyGuide: {
      url: 'https://www.kucoin.com/account/api',
      steps: [
        'Open Account → API Management → Create API → "API Trading".',
        'Set an API passphrase; you will paste it here with the key and secret.',
        'Permissions: "General" and "Spot Trading". Leave "Transfer", "Withdrawal", "Margin" and "Futures" unticked.',
        `IP restriction: "Yes", and ${pasteEgressIps}.`,
        neverTick,
      ],
    },
  },
  ccxt: {
    options: {
      fetchMarkets: { types: ['spot'], fetchTickersFees: false },
      // Classic (not Unified) account, which skips GET /api/ua/v1/account/mode before every call (finding 2).
      uta: false,
      // KuCoin has moved spot accounts to its high-frequency (HF) engine; presetting it skips
      // GET /api/v1/hf/accounts/opened. Chosen without a live check (no network here).
      hf: true,
    },
    secretEncoding: 'utf8',
    signedBy: { headers: ['kc-api-key', 'kc-api-sign', 'kc-api-timestamp', 'kc-api-passphrase'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/api/v3/currencies', use: 'public' },
      { method: 'GET', path: '/api/v2/symbols', use: 'public' },
      { method: 'GET', path: '/api/v1/market/stats', use: 'public' },
      { method: 'GET', path: '/api/v1/timestamp', use: 'public' },
      { method: 'POST', path: '/api/v1/hf/orders', use: 'trade' },
      { method: 'DELETE', path: '/api/v1/hf/orders/{id}', params: { id: '[0-9a-f]{24}' }, use: 'trade' },
      { method: 'GET', path: '/api/v1/hf/orders/{id}', params: { id: '[0-9a-f]{24}' }, use: 'read' },
      { method: 'GET', path: '/api/v1/hf/orders/client-order/{clientOid}', params: { clientOid: '[A-Za-z0-9_-]{1,40}' }, use: 'read' },
      { method: 'GET', path: '/api/v1/hf/orders/active', use: 'read' },
      { method: 'GET', path: '/api/v1/hf/fills', use: 'read' },
      { method: 'GET', path: '/api/v1/accounts', use: 'read' },
      { method: 'GET', path: '/api/v1/user/api-key', use: 'verify', why: "the key's own permission list and IP whitelist" },
    ],
    deny: { paths: [], patterns: ['^/api/(v\\d|ua/v\\d)/(accounts/(inner|sub|universal)|asset|convert|earn|margin|isolated|broker|affiliate|lend|purchase|redeem|project)', '^/api/ua/v\\d/(account/transfer|sub)'] },
  },
}
