import type { VenueSpec } from '../venue-spec.js'
import { binanceApiRestrictions, binanceClientOrderId, binanceDenyPatterns, binanceQuietLoad, binanceSignedBy } from './binance-family.js'
import { neverTick, pasteEgressIps, linearOnly } from './shared.js'

export const binanceusdm: VenueSpec = {
  catalogue: {
    id: 'binanceusdm',
    // "USDⓈ" as Binance writes it has a circled S that common UI fonts lack (an empty box on Debian's Chromium).
    name: 'Binance USDS-M Futures',
    ccxtId: 'binanceusdm',
    implementation: 'ccxt',
    market: 'linear',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'API Key', secret: 'Secret Key' },
    permissionCheck: 'binance-api-restrictions',
    verification: {
      kind: 'endpoint',
      ccxtMethods: ['sapiGetAccountApiRestrictions'],
      method: 'GET',
      path: '/sapi/v1/account/apiRestrictions',
      reports: { withdraw: true, transfer: true, ipWhitelist: true, expiry: true },
      fields: 'same key and endpoint as Binance spot (on api.binance.com): enableFutures, enableWithdrawals, enableInternalTransfer, permitsUniversalTransfer, ipRestrict',
      confidence: 'documented',
    },
    acceptsEd25519: true,
    sandbox: {
      kind: 'demo',
      switch: 'enableDemoTrading',
      setSandboxModeSafe: false,
      url: 'https://demo-fapi.binance.com',
      note: 'ccxt refuses to sign for the old futures testnet (testnet.binancefuture.com) unless told to ignore its warning: use demo trading. Demo has no sapi, so a demo key cannot be verified.',
    },
    clientOrderId: binanceClientOrderId,
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /fapi/v1/order with origClientOrderId; Binance keeps cancelled or expired orders without fills for a limited time only.' },
    deadManSwitch: {
      ccxtMethod: 'fapiPrivatePostCountdownCancelAll',
      method: 'POST',
      path: '/fapi/v1/countdownCancelAll',
      scope: 'symbol',
      minSeconds: null,
      maxSeconds: null,
      note: 'countdownTime in milliseconds, per symbol: each call replaces the countdown, 0 stops it, and at its end every open order of the symbol is cancelled (Binance checks about every 10 ms and suggests calling every 30 s with 120 s). ccxt 4.5.84 has no unified method for Binance: the implicit one is used.',
    },
    clock: {
      signsTimestamps: true,
      adjustForTimeDifference: true,
      windowSeconds: 10,
      note: 'timestamp and recvWindow (ccxt sends 10 s); the offset comes from GET /fapi/v1/time.',
    },
    rateLimit: {
      ccxtRateLimitMs: 50,
      costPerMinute: 1200,
      weights: { 'GET /fapi/v1/exchangeInfo': 1, 'GET /fapi/v1/time': 1, 'GET /fapi/v3/account': 1, 'POST /fapi/v1/order': 4, 'DELETE /fapi/v1/order': 1, 'GET /fapi/v1/order': 1, 'GET /fapi/v1/openOrders': 1, 'GET /fapi/v1/userTrades': 5, 'GET /fapi/v1/ticker/24hr': 1, 'GET /fapi/v1/leverageBracket': 1, 'GET /fapi/v3/positionRisk': 1, 'POST /fapi/v1/leverage': 1, 'POST /fapi/v1/countdownCancelAll': 10, 'GET /sapi/v1/account/apiRestrictions': 0.1 },
      note: 'ccxt counts 1 cost unit per 5 request weight of the published 2,400 weight per minute per IP for USDS-M; orders also count per account.',
    },
    keyGuide: {
      url: 'https://www.binance.com/en/my/settings/api-management',
      steps: [
        'Open Profile → API Management → Create API ("System generated", or "Self-generated" with the public key Bulwark shows after you choose "Let Bulwark generate an Ed25519 key" here).',
        `Binance only offers futures on a key restricted to IPs: choose "Restrict access to trusted IPs only" and ${pasteEgressIps}.`,
        'Edit restrictions: keep "Enable Reading" and tick "Enable Futures". Your Binance account must have a USDS-M futures wallet opened first.',
        neverTick,
        'Paste the API key here (and the Secret Key for a system-generated key).',
      ],
    },
  },
  ccxt: {
    options: { ...binanceQuietLoad, fetchMarkets: linearOnly, defaultType: 'swap', defaultSubType: 'linear', fetchOpenOrders: { warnWithoutSymbol: false } },
    secretEncoding: 'utf8',
    signedBy: binanceSignedBy,
  },
  policy: {
    allow: [
      { method: 'GET', path: '/fapi/v1/exchangeInfo', use: 'public' },
      { method: 'GET', path: '/fapi/v1/ticker/24hr', use: 'public' },
      { method: 'GET', path: '/fapi/v1/time', use: 'public' },
      { method: 'POST', path: '/fapi/v1/order', use: 'trade' },
      { method: 'DELETE', path: '/fapi/v1/order', use: 'trade' },
      { method: 'GET', path: '/fapi/v1/order', use: 'read' },
      { method: 'GET', path: '/fapi/v1/openOrders', use: 'read' },
      { method: 'GET', path: '/fapi/v1/userTrades', use: 'read' },
      { method: 'GET', path: '/fapi/v3/account', use: 'read' },
      { method: 'GET', path: '/fapi/v3/positionRisk', use: 'read' },
      { method: 'POST', path: '/fapi/v1/leverage', use: 'trade' },
      { method: 'POST', path: '/fapi/v1/countdownCancelAll', use: 'trade' },
      {
        method: 'GET',
        path: '/fapi/v1/leverageBracket',
        use: 'lookup',
        why: 'fetchPositions loads the notional brackets first (loadLeverageBrackets); no option skips it, and ccxt caches the answer per instance',
      },
      binanceApiRestrictions,
    ],
    deny: { paths: [], patterns: binanceDenyPatterns },
  },
}
