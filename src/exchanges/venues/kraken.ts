import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const kraken: VenueSpec = {
  catalogue: {
    id: 'kraken',
    name: 'Kraken',
    ccxtId: 'kraken',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'API Key', secret: 'Private Key' },
    permissionCheck: 'kraken-api-key-info',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['privatePostGetApiKeyInfo'],
      method: 'POST',
      path: '/0/private/GetApiKeyInfo',
      reports: { withdraw: true, transfer: true, ipWhitelist: true, expiry: true },
      fields: 'name, permissions, restrictions (IP allow-list) and usage times, per Kraken\'s docs; the exact field names were not confirmed offline',
      confidence: 'unverified',
    },
    acceptsEd25519: false,
    sandbox: { kind: 'none', switch: null, setSandboxModeSafe: false, url: null, note: 'No spot sandbox; setSandboxMode silently sends requests to "undefined/…" (finding 4).' },
    clientOrderId: {
      venueField: 'cl_ord_id',
      maxLength: 18,
      pattern: '^[A-Za-z0-9_-]{1,18}$',
      addedPrefix: null,
      note: 'Free text up to 18 characters (a UUID is also accepted); unique among open orders only.',
    },
    orderRecovery: {
      mode: 'recent-orders-scan',
      via: ['fetchOpenOrders', 'fetchMyTrades'],
      note: 'ccxt looks an order up by userref (an integer), not by cl_ord_id, so a lost order is found in open orders (which carry cl_ord_id) or in recent trades.',
    },
    deadManSwitch: null,
    clock: {
      signsTimestamps: false,
      adjustForTimeDifference: false,
      windowSeconds: null,
      note: 'Signs an increasing nonce, not a time: shifting it by a measured offset could make it go backwards, so no adjustment.',
    },
    rateLimit: { ccxtRateLimitMs: 1000, costPerMinute: 60, weights: { 'GET /0/public/Assets': 1, 'GET /0/public/AssetPairs': 1, 'POST /0/private/BalanceEx': 3, 'POST /0/private/AddOrder': 0, 'POST /0/private/CancelOrder': 0, 'POST /0/private/QueryOrders': 3, 'POST /0/private/OpenOrders': 3, 'POST /0/private/TradesHistory': 6, 'GET /0/public/Ticker': 1, 'POST /0/private/GetApiKeyInfo': 3 }, note: "ccxt's cost model for Kraken (a decaying call counter per key; order placement has its own per-pair limit)." },
    keyGuide: {
      url: 'https://www.kraken.com/u/security/api',
      steps: [
        'Open Settings → Connections & API → Create API key.',
        'Permissions: "Query Funds", "Query Open Orders & Trades", "Query Closed Orders & Trades", "Create & Modify Orders", "Cancel & Close Orders". Leave "Deposit Funds", "Withdraw Funds", "Export Data" and "Earn" unticked.',
        `Under advanced settings, IP address restriction: ${pasteEgressIps}.`,
        neverTick,
        'Paste the API key and the private key here.',
      ],
    },
  },
  ccxt: {
    options: {},
    // Kraken keys HMAC-SHA512 with the base64-decoded secret.
    secretEncoding: 'base64',
    signedBy: { headers: ['api-key', 'api-sign'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/0/public/Assets', use: 'public' },
      { method: 'GET', path: '/0/public/AssetPairs', use: 'public' },
      { method: 'GET', path: '/0/public/Ticker', use: 'public' },
      { method: 'POST', path: '/0/private/AddOrder', use: 'trade' },
      { method: 'POST', path: '/0/private/CancelOrder', use: 'trade' },
      { method: 'POST', path: '/0/private/QueryOrders', use: 'read' },
      { method: 'POST', path: '/0/private/OpenOrders', use: 'read' },
      { method: 'POST', path: '/0/private/TradesHistory', use: 'read' },
      { method: 'POST', path: '/0/private/BalanceEx', use: 'read' },
      { method: 'POST', path: '/0/private/GetApiKeyInfo', use: 'verify', why: "the key's own permissions and IP restrictions (Kraken posts every private call, reads included)" },
    ],
    deny: { paths: [], patterns: ['^/0/private/(Withdraw|WalletTransfer|AccountTransfer|CreateSubaccount|Deposit|Earn|Stake|Unstake)'] },
  },
}
