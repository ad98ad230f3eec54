import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const gate: VenueSpec = {
  catalogue: {
    id: 'gate',
    name: 'Gate',
    ccxtId: 'gate',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'Key', secret: 'Secret' },
    permissionCheck: 'gate-main-keys',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['privateAccountGetMainKeys', 'privateAccountGetDetail'],
      method: 'GET',
      path: '/api/v4/account/main_keys',
      reports: { withdraw: true, transfer: true, ipWhitelist: true, expiry: false },
      fields:
        'perms[{name, read_only}] ("wallet" writable means transfers/withdrawals: inferred, Gate has no withdraw flag), ip_whitelist; GET /api/v4/account/detail adds ip_whitelist and key.mode (1 classic, 2 unified)',
      confidence: 'unverified',
    },
    acceptsEd25519: false,
    sandbox: {
      kind: 'testnet',
      switch: 'setSandboxMode',
      setSandboxModeSafe: true,
      url: 'https://api-testnet.gateapi.io',
      note: 'Gate\'s testnet (api-testnet.gateapi.io) for spot and futures; its wallet, unified and earn routes have no testnet (ccxt refuses to sign them there).',
    },
    clientOrderId: {
      venueField: 'text',
      maxLength: 28,
      pattern: '^[A-Za-z0-9_.-]{1,28}$',
      addedPrefix: 't-',
      note: 'ccxt prepends "t-"; Gate allows 28 more characters: letters, digits, "_", "-", ".".',
    },
    orderRecovery: {
      mode: 'client-order-id',
      via: ['fetchOrder', 'fetchMyTrades'],
      note: 'GET /api/v4/spot/orders/t-<id> works while the order is open and for 60 s after it ends; after that only trades (which carry `text`) find it.',
    },
    deadManSwitch: null,
    clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 60, note: 'Timestamp (seconds) must be within 60 s; offset from GET /api/v4/spot/time.' },
    rateLimit: { ccxtRateLimitMs: 50, costPerMinute: 1200, weights: { 'GET /api/v4/spot/currencies': 1, 'GET /api/v4/spot/time': 1, 'GET /api/v4/margin/currency_pairs': 1, 'GET /api/v4/spot/currency_pairs': 1, 'GET /api/v4/spot/accounts': 1, 'POST /api/v4/spot/orders': 0.4, 'DELETE /api/v4/spot/orders/{id}': 0.2667, 'GET /api/v4/spot/orders/{id}': 1, 'GET /api/v4/spot/open_orders': 1, 'GET /api/v4/spot/my_trades': 1, 'GET /api/v4/spot/tickers': 1, 'GET /api/v4/account/main_keys': 1.3333, 'GET /api/v4/account/detail': 1.3333 }, note: "ccxt's cost model for Gate v4 (spot orders 10 per second per UID and pair)." },
    keyGuide: {
      url: 'https://www.gate.io/myaccount/api_key_manage',
      steps: [
        'Open Account → API Management → Create API Key, account type "Classic account" (Bulwark does not trade Gate unified accounts yet).',
        'Permissions: "Spot/Margin Trade: Read and Write". Leave "Wallet", "Withdrawal", "Sub-account" and "Flash swap" unticked or read-only.',
        `IP whitelist: ${pasteEgressIps}.`,
        neverTick,
      ],
    },
  },
  ccxt: {
    // Classic account: skips GET /api/v4/account/detail, which ccxt sends before the first order and in loadMarkets (finding 2).
    options: { unifiedAccount: false, fetchMarkets: { types: ['spot'] }, defaultType: 'spot' },
    secretEncoding: 'utf8',
    signedBy: { headers: ['key', 'sign', 'timestamp'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/api/v4/spot/currencies', use: 'public' },
      { method: 'GET', path: '/api/v4/spot/currency_pairs', use: 'public' },
      { method: 'GET', path: '/api/v4/margin/currency_pairs', use: 'public' },
      { method: 'GET', path: '/api/v4/spot/tickers', use: 'public' },
      { method: 'GET', path: '/api/v4/spot/time', use: 'public' },
      { method: 'POST', path: '/api/v4/spot/orders', use: 'trade' },
      { method: 'DELETE', path: '/api/v4/spot/orders/{id}', params: { id: '[0-9]{1,24}' }, use: 'trade' },
      { method: 'GET', path: '/api/v4/spot/orders/{id}', params: { id: '[0-9]{1,24}|t-[A-Za-z0-9_.-]{1,28}' }, use: 'read' },
      { method: 'GET', path: '/api/v4/spot/open_orders', use: 'read' },
      { method: 'GET', path: '/api/v4/spot/my_trades', use: 'read' },
      { method: 'GET', path: '/api/v4/spot/accounts', use: 'read' },
      { method: 'GET', path: '/api/v4/account/main_keys', use: 'verify', why: "the keys' permissions (perms) and IP whitelist" },
      { method: 'GET', path: '/api/v4/account/detail', use: 'verify', why: "the key's IP whitelist and account mode (classic or unified)" },
    ],
    deny: { paths: [], patterns: ['^/api/v4/(wallet|withdrawals|sub_accounts|flash_swap|earn|loan|unified|rebate|p2p|otc)(/|$)', '^/api/v4/push$'] },
  },
}
