import type { VenueSpec } from '../venue-spec.js'
import { bitgetAccountPreset, bitgetCatalogueShared, bitgetDeny, bitgetKeyGuide, bitgetPublic, bitgetRateNote, bitgetSignedBy, bitgetVerify } from './bitget-family.js'
import { spotOnly } from './shared.js'

export const bitget: VenueSpec = {
  catalogue: {
    ...bitgetCatalogueShared,
    id: 'bitget',
    name: 'Bitget',
    market: 'spot',
    orderRecovery: { mode: 'client-order-id', via: ['fetchOrder'], note: 'GET /api/v2/spot/trade/orderInfo with clientOid.' },
    deadManSwitch: null,
    rateLimit: { ccxtRateLimitMs: 50, costPerMinute: 1200, weights: { 'GET /api/v2/spot/public/coins': 6.6667, 'GET /api/v2/public/time': 1, 'GET /api/v2/spot/public/symbols': 1, 'GET /api/v2/margin/currencies': 2, 'GET /api/v2/spot/account/assets': 2, 'POST /api/v2/spot/trade/place-order': 2, 'POST /api/v2/spot/trade/cancel-order': 2, 'GET /api/v2/spot/trade/orderInfo': 1, 'GET /api/v2/spot/trade/unfilled-orders': 1, 'GET /api/v2/spot/trade/fills': 2, 'GET /api/v2/spot/market/tickers': 1, 'GET /api/v2/spot/account/info': 20 }, note: bitgetRateNote },
    keyGuide: bitgetKeyGuide('"Spot trading"'),
  },
  ccxt: {
    options: { ...bitgetAccountPreset, fetchMarkets: spotOnly, defaultType: 'spot' },
    secretEncoding: 'utf8',
    signedBy: bitgetSignedBy,
  },
  policy: {
    allow: [
      ...bitgetPublic,
      { method: 'GET', path: '/api/v2/spot/public/symbols', use: 'public' },
      { method: 'GET', path: '/api/v2/margin/currencies', use: 'public' },
      { method: 'GET', path: '/api/v2/spot/market/tickers', use: 'public' },
      { method: 'POST', path: '/api/v2/spot/trade/place-order', use: 'trade' },
      { method: 'POST', path: '/api/v2/spot/trade/cancel-order', use: 'trade' },
      { method: 'GET', path: '/api/v2/spot/trade/orderInfo', use: 'read' },
      { method: 'GET', path: '/api/v2/spot/trade/unfilled-orders', use: 'read' },
      { method: 'GET', path: '/api/v2/spot/trade/fills', use: 'read' },
      { method: 'GET', path: '/api/v2/spot/account/assets', use: 'read' },
      bitgetVerify,
    ],
    deny: bitgetDeny,
  },
}
