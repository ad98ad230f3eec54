import type { VenueSpec } from '../venue-spec.js'
import { binanceApiRestrictions, binanceClientOrderId, binanceDenyPatterns, binanceQuietLoad, binanceSignedBy } from './binance-family.js'
import { neverTick, pasteEgressIps, spotOnly } from './shared.js'

export const binance: VenueSpec = {
  catalogue: {
    id: 'binance',
    name: 'Binance',
    ccxtId: 'binance',
    implementation: 'ccxt',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'API Key', secret: 'Secret Key' },
    permissionCheck: 'binance-api-restrictions',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['sapiGetAccountApiRestrictions'],
      method: 'GET',
      path: '/sapi/v1/account/apiRestrictions',
      reports: { withdraw: true, transfer: true, ipWhitelist: true, expiry: true },
      fields: 'enableWithdrawals, enableInternalTransfer, permitsUniversalTransfer, enableSpotAndMarginTrading, ipRestrict (a flag; the IP list is not returned), tradingAuthorityExpirationTime',
      confidence: 'documented',
    },
    acceptsEd25519: true,
    sandbox: {
      kind: 'demo',
      switch: 'enableDemoTrading',
      setSandboxModeSafe: true,
      url: 'https://demo-api.binance.com',
      note: 'Demo trading (demo.binance.com) needs its own key. setSandboxMode routes to the older spot testnet (testnet.binance.vision) and is safe too. Demo has no sapi, so a demo key cannot be verified.',
    },
    clientOrderId: binanceClientOrderId,
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /api/v3/order with origClientOrderId finds the order in any state.' },
    deadManSwitch: null,
    clock: {
      signsTimestamps: true,
      adjustForTimeDifference: true,
      windowSeconds: 10,
      note: 'Every signed request carries timestamp and recvWindow (ccxt sends 10 s); the offset comes from GET /api/v3/time.',
    },
    rateLimit: {
      ccxtRateLimitMs: 50,
      costPerMinute: 1200,
      weights: { 'GET /api/v3/exchangeInfo': 4, 'GET /api/v3/time': 0.2, 'GET /api/v3/account': 4, 'POST /api/v3/order': 0.2, 'DELETE /api/v3/order': 0.2, 'GET /api/v3/order': 0.8, 'GET /api/v3/openOrders': 1.2, 'GET /api/v3/myTrades': 4, 'GET /api/v3/ticker/24hr': 0.4, 'GET /sapi/v1/account/apiRestrictions': 0.1 },
      note: 'ccxt counts 1 cost unit per 5 request weight of the published 6,000 weight per minute per IP; orders also count against 100 per 10 s per account.',
    },
    keyGuide: {
      url: 'https://www.binance.com/en/my/settings/api-management',
      steps: [
        'Open Profile → API Management → Create API. Choose "System generated" for an HMAC key, or "Self-generated" and paste the public key Bulwark shows after you choose "Let Bulwark generate an Ed25519 key" here (the private key never leaves the signer).',
        'Edit restrictions: keep "Enable Reading" and tick "Enable Spot & Margin Trading" only.',
        `Choose "Restrict access to trusted IPs only" and ${pasteEgressIps}.`,
        neverTick,
        'Paste the API key here (and the Secret Key for a system-generated key).',
      ],
    },
  },
  ccxt: {
    options: { ...binanceQuietLoad, fetchMarkets: spotOnly, defaultType: 'spot', fetchOpenOrders: { warnWithoutSymbol: false } },
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
      binanceApiRestrictions,
    ],
    deny: { paths: [], patterns: binanceDenyPatterns },
  },
}
