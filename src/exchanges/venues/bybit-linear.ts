import type { VenueSpec } from '../venue-spec.js'
import { bybitAccountPreset, bybitCatalogueShared, bybitDeny, bybitKeyGuide, bybitRateNote, bybitSignedBy, bybitVerify } from './bybit-family.js'
import { linearOnly } from './shared.js'

export const bybitLinear: VenueSpec = {
  catalogue: {
    ...bybitCatalogueShared,
    id: 'bybit-linear',
    name: 'Bybit USDT Perpetuals (Unified account)',
    market: 'linear',
    orderRecovery: {
      mode: 'client-order-id',
      via: ['fetchOrder'],
      note: 'GET /v5/order/realtime with orderLinkId returns open orders and the most recent 500 closed ones.',
    },
    // Bybit's "disconnect cancel all" (POST /v5/order/disconnected-cancel-all) only sets the window of a
    // private websocket's heartbeat and must be enabled by an account manager: nothing to re-arm over REST.
    deadManSwitch: null,
    rateLimit: { ccxtRateLimitMs: 20, costPerMinute: 3000, weights: { 'GET /v5/market/time': 5, 'GET /v5/market/instruments-info': 5, 'GET /v5/account/wallet-balance': 1, 'POST /v5/order/create': 2.5, 'POST /v5/order/cancel': 2.5, 'GET /v5/order/realtime': 5, 'GET /v5/execution/list': 5, 'GET /v5/market/tickers': 5, 'GET /v5/position/list': 5, 'POST /v5/position/set-leverage': 5, 'GET /v5/user/query-api': 5 }, note: bybitRateNote },
    keyGuide: bybitKeyGuide('"Unified Trading → Contract → Orders" and "Positions"'),
  },
  ccxt: {
    options: { ...bybitAccountPreset, fetchMarkets: linearOnly, defaultType: 'swap', defaultSubType: 'linear' },
    has: { fetchCurrencies: false },
    secretEncoding: 'utf8',
    signedBy: bybitSignedBy,
  },
  policy: {
    allow: [
      { method: 'GET', path: '/v5/market/instruments-info', use: 'public' },
      { method: 'GET', path: '/v5/market/tickers', use: 'public' },
      { method: 'GET', path: '/v5/market/time', use: 'public' },
      { method: 'POST', path: '/v5/order/create', use: 'trade' },
      { method: 'POST', path: '/v5/order/cancel', use: 'trade' },
      { method: 'GET', path: '/v5/order/realtime', use: 'read' },
      { method: 'GET', path: '/v5/execution/list', use: 'read' },
      { method: 'GET', path: '/v5/account/wallet-balance', use: 'read' },
      { method: 'GET', path: '/v5/position/list', use: 'read' },
      { method: 'POST', path: '/v5/position/set-leverage', use: 'trade' },
      bybitVerify,
    ],
    deny: bybitDeny,
  },
}
