import type { VenueSpec } from '../venue-spec.js'
import { bitgetAccountPreset, bitgetCatalogueShared, bitgetDeny, bitgetKeyGuide, bitgetPublic, bitgetRateNote, bitgetSignedBy, bitgetVerify } from './bitget-family.js'

export const bitgetFutures: VenueSpec = {
  catalogue: {
    ...bitgetCatalogueShared,
    id: 'bitget-futures',
    name: 'Bitget USDT-M Futures',
    market: 'linear',
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /api/v2/mix/order/detail with clientOid.' },
    deadManSwitch: null,
    rateLimit: { ccxtRateLimitMs: 50, costPerMinute: 1200, weights: { 'GET /api/v2/spot/public/coins': 6.6667, 'GET /api/v2/public/time': 1, 'GET /api/v2/mix/market/contracts': 1, 'GET /api/v2/mix/account/accounts': 2, 'POST /api/v2/mix/order/place-order': 2, 'POST /api/v2/mix/order/cancel-order': 2, 'GET /api/v2/mix/order/detail': 2, 'GET /api/v2/mix/order/orders-pending': 2, 'GET /api/v2/mix/order/fills': 2, 'GET /api/v2/mix/market/ticker': 1, 'GET /api/v2/mix/position/all-position': 4, 'POST /api/v2/mix/account/set-leverage': 4, 'GET /api/v2/spot/account/info': 20 }, note: bitgetRateNote },
    keyGuide: bitgetKeyGuide('"Futures: Orders" and "Futures: Holdings"'),
  },
  ccxt: {
    // 'swap' loads all six product types (USDT, coin, USDC and their demo twins) from /api/v2/mix/market/contracts.
    options: { ...bitgetAccountPreset, fetchMarkets: { types: ['swap'] }, defaultType: 'swap', defaultSubType: 'linear' },
    secretEncoding: 'utf8',
    signedBy: bitgetSignedBy,
  },
  policy: {
    allow: [
      ...bitgetPublic,
      { method: 'GET', path: '/api/v2/mix/market/contracts', use: 'public' },
      { method: 'GET', path: '/api/v2/mix/market/ticker', use: 'public' },
      { method: 'POST', path: '/api/v2/mix/order/place-order', use: 'trade' },
      { method: 'POST', path: '/api/v2/mix/order/cancel-order', use: 'trade' },
      { method: 'GET', path: '/api/v2/mix/order/detail', use: 'read' },
      { method: 'GET', path: '/api/v2/mix/order/orders-pending', use: 'read' },
      { method: 'GET', path: '/api/v2/mix/order/fills', use: 'read' },
      { method: 'GET', path: '/api/v2/mix/account/accounts', use: 'read' },
      { method: 'GET', path: '/api/v2/mix/position/all-position', use: 'read' },
      { method: 'POST', path: '/api/v2/mix/account/set-leverage', use: 'trade' },
      bitgetVerify,
    ],
    deny: bitgetDeny,
  },
}
