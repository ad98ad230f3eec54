import { compilePathTemplate } from './path-template.js'
import { venueSpecs } from './venues/registry.js'

/**
 * ccxt's own rate-limit model per venue, for the signer's shared budget (one per venue and egress IP):
 * `costPerMinute` cost units refill per minute, and a request costs its ccxt cost (1 when unlisted).
 * Bybit spot and Bybit linear are one budget at Bybit, as are the Binance and Bitget pairs: the
 * budget key is the ccxt class.
 */
export type VenueRateLimit = { budgetKey: string; costPerMinute: number; defaultWeight: number }

type Weight = { method: string; regex: RegExp; weight: number }

const weights = new Map<string, readonly Weight[]>()
const limits = new Map<string, VenueRateLimit>()
for (const [id, spec] of venueSpecs) {
  const rules = spec.policy.allow
  weights.set(
    id,
    Object.entries(spec.catalogue.rateLimit.weights).map(([key, weight]) => {
      const [method = '', path = ''] = key.split(' ')
      const rule = rules.find((r) => r.method === method && r.path === path)
      return { method, regex: compilePathTemplate(path, rule?.params), weight }
    }),
  )
  limits.set(id, { budgetKey: spec.catalogue.ccxtId ?? id, costPerMinute: spec.catalogue.rateLimit.costPerMinute, defaultWeight: 1 })
}

export const venueRateLimit = (venue: string): VenueRateLimit | undefined => limits.get(venue)

/** The ccxt cost of `method path` on `venue`; 1 for requests the catalogue does not list. */
export const requestWeight = (venue: string, method: string, path: string): number => {
  const m = method.toUpperCase()
  return weights.get(venue)?.find((w) => w.method === m && w.regex.test(path))?.weight ?? 1
}
