import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

export const htx: VenueSpec = {
  catalogue: {
    id: 'htx',
    name: 'HTX',
    ccxtId: 'htx',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'Access Key', secret: 'Secret Key' },
    permissionCheck: 'htx-user-api-key',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['v2PrivateGetUserUid', 'v2PrivateGetUserApiKey'],
      method: 'GET',
      path: '/v2/user/api-key',
      reports: { withdraw: true, transfer: false, ipWhitelist: true, expiry: true },
      fields: 'permission ("readOnly,trade,withdraw"), ipAddresses, status, validDays; needs the uid from GET /v2/user/uid and works for parent users only',
      confidence: 'unverified',
    },
    acceptsEd25519: false,
    sandbox: { kind: 'none', switch: null, setSandboxModeSafe: false, url: null, note: 'No sandbox; setSandboxMode leaves an empty host (finding 4). An emulator must sign with api.huobi.pro as the host.' },
    clientOrderId: {
      venueField: 'client-order-id',
      maxLength: 64,
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      addedPrefix: null,
      note: 'Up to 64 characters, unique for 24 hours.',
    },
    orderRecovery: {
      mode: 'client-order-id',
      via: ['fetchOrder'],
      note: 'GET /v1/order/orders/getClientOrder; HTX answers for open orders and for closed ones only within a few hours.',
    },
    deadManSwitch: null,
    clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 300, note: 'The signed Timestamp must be within 5 minutes; offset from GET /v1/common/timestamp.' },
    rateLimit: { ccxtRateLimitMs: 100, costPerMinute: 600, weights: { 'GET /v2/reference/currencies': 1, 'GET /v1/common/timestamp': 1, 'GET /v1/common/symbols': 1, 'GET /v1/account/accounts': 0.2, 'GET /v1/account/accounts/{id}/balance': 0.2, 'POST /v1/order/orders/place': 0.2, 'POST /v1/order/orders/{id}/submitcancel': 0.2, 'GET /v1/order/orders/{id}': 0.4, 'GET /v1/order/orders/getClientOrder': 0.4, 'GET /v1/order/openOrders': 0.4, 'GET /v1/order/matchresults': 1, 'GET /market/detail/merged': 1, 'GET /v2/user/uid': 1, 'GET /v2/user/api-key': 1 }, note: "ccxt's cost model for HTX spot (per UID and per IP limits per endpoint group)." },
    keyGuide: {
      url: 'https://www.htx.com/en-us/apikey/',
      steps: [
        'Open Account → API Management → Create API key.',
        'Permissions: "Read-only" and "Trade". Leave "Withdraw" off.',
        `Bind IP addresses: ${pasteEgressIps} (HTX keys without IPs expire after 90 days).`,
        neverTick,
        'Use a parent-account key: HTX reports key permissions to parent users only.',
      ],
    },
  },
  ccxt: {
    options: { fetchMarkets: { types: { spot: true, linear: false, inverse: false } }, defaultType: 'spot' },
    secretEncoding: 'utf8',
    signedBy: { headers: [], query: ['Signature', 'AccessKeyId'] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/v2/reference/currencies', use: 'public' },
      { method: 'GET', path: '/v1/common/symbols', use: 'public' },
      { method: 'GET', path: '/market/detail/merged', use: 'public' },
      { method: 'GET', path: '/v1/common/timestamp', use: 'public' },
      {
        method: 'GET',
        path: '/v1/account/accounts',
        use: 'lookup',
        why: 'orders, open orders and balances name the spot account id, which differs per user and no option presets; ccxt caches it per instance',
      },
      { method: 'POST', path: '/v1/order/orders/place', use: 'trade' },
      { method: 'POST', path: '/v1/order/orders/{id}/submitcancel', params: { id: '[0-9]{1,24}' }, use: 'trade' },
      { method: 'GET', path: '/v1/order/orders/{id}', params: { id: '[0-9]{1,24}' }, use: 'read' },
      { method: 'GET', path: '/v1/order/orders/getClientOrder', use: 'read' },
      { method: 'GET', path: '/v1/order/openOrders', use: 'read' },
      { method: 'GET', path: '/v1/order/matchresults', use: 'read' },
      { method: 'GET', path: '/v1/account/accounts/{id}/balance', params: { id: '[0-9]{1,20}' }, use: 'read' },
      { method: 'GET', path: '/v2/user/uid', use: 'verify', why: 'the uid the key-permission read needs' },
      { method: 'GET', path: '/v2/user/api-key', use: 'verify', why: "the key's own permissions and bound IPs" },
    ],
    deny: {
      paths: [],
      patterns: ['^/v\\d/(dw|subuser|sub-user|point|cross-margin|margin|stable-coin|etp|c2c|lending|futures/transfer)/', '^/v\\d/account/(transfer|universal)', '^/api/v\\d/copyTrading/', '_master_sub_|_transfer'],
    },
  },
}
