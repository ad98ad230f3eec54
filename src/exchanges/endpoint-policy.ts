/**
 * What the signer may send with a key, checked on the final URL ccxt built, before any I/O.
 * Allowlist first: only the (method, path) pairs our venue methods need, including the lookups ccxt
 * makes on its own. The deny pattern is the backstop (fund movement, transfers, sub-accounts,
 * convert/dust, vouchers and gift cards, position moves, key management — ../shared/reference).
 */
export type EndpointRule = { method: string; path: string }

export const denyPattern =
  /withdraw|transfer|sub[-_]?(account|user|member)|subaccount|convert|covert|dust|small[-_]?(balance|assets)|flash|giftcard|excode|\/push$|api[-_]?key|apikey|create-sub|update-api|delete-api|move-positions|broker|loan|borrow|repay|earn|stak|saving|p2p|c2c|otc|fiat|capital\/|lending|mining|pay\//i

const binanceSpot: EndpointRule[] = [
  // public, used for markets and the signer's own reference price
  { method: 'GET', path: '/api/v3/exchangeInfo' },
  { method: 'GET', path: '/api/v3/ticker/price' },
  { method: 'GET', path: '/api/v3/ticker/24hr' },
  { method: 'GET', path: '/api/v3/time' },
  // signed
  { method: 'GET', path: '/api/v3/account' },
  { method: 'POST', path: '/api/v3/order' },
  { method: 'DELETE', path: '/api/v3/order' },
  { method: 'GET', path: '/api/v3/order' },
  { method: 'GET', path: '/api/v3/openOrders' },
  { method: 'GET', path: '/api/v3/myTrades' },
  { method: 'GET', path: '/sapi/v1/account/apiRestrictions' },
]

/** Per ccxt id. A venue missing here signs nothing. */
export const endpointAllowlists: Readonly<Record<string, readonly EndpointRule[]>> = {
  binance: binanceSpot,
}

export type EndpointVerdict = { allowed: true } | { allowed: false; reason: 'not_allowlisted' | 'deny_listed'; path: string }

/** Decides on the final URL; the query string never matters, only method and path. */
export const checkEndpoint = (venue: string, method: string, url: string): EndpointVerdict => {
  let path: string
  try {
    path = new URL(url).pathname
  } catch {
    return { allowed: false, reason: 'not_allowlisted', path: url.slice(0, 80) }
  }
  if (denyPattern.test(path)) return { allowed: false, reason: 'deny_listed', path }
  const rules = endpointAllowlists[venue] ?? []
  return rules.some((r) => r.method === method.toUpperCase() && r.path === path) ? { allowed: true } : { allowed: false, reason: 'not_allowlisted', path }
}
