import { compilePathTemplate } from './path-template.js'
import type { EndpointRule } from './venue-spec.js'
import { venueSpecs } from './venues/registry.js'

/**
 * What the signer may send with a key, checked on the final URL ccxt built, before any I/O.
 * Allowlist first: only the (method, path) pairs our venue methods need, including the lookups ccxt
 * makes on its own (./venues/<id>.ts says which, and which presets avoid the others). The deny
 * pattern is the backstop (fund movement, transfers, sub-accounts, convert/dust, vouchers and gift
 * cards, position moves, address book, key management — ../shared/reference), completed per venue.
 *
 * Method and path are the whole decision: every venue we sign for names the operation in the path
 * (Kraken, Bitfinex and EXMO POST everything, but to /0/private/AddOrder, /v2/auth/w/order/submit,
 * /v1.1/order_create), and none of the allowlisted endpoints takes an operation in its body or query.
 */
export type { EndpointRule }

export const denyPattern =
  /withdraw|transfer|sub[-_]?(account|user|member)|subaccount|\/sub[-/_]|convert|covert|dust|small[-_]?(balance|assets)|flash|giftcard|excode|\/push$|api[-_]?key|apikey|create-sub|update-api|delete-api|move-?positions?|move-history|broker|loan|borrow|repay|earn|stak|saving|p2p|c2c|otc|fiat|capital\/|lending|mining|pay\/|deposit|address/i

type Compiled = { method: string; regex: RegExp; rule: EndpointRule }
type Policy = { allow: readonly Compiled[]; verify: readonly Compiled[]; deny: readonly RegExp[] }

const compile = (rule: EndpointRule): Compiled => ({ method: rule.method, regex: compilePathTemplate(rule.path, rule.params), rule })

const isDenied = (policy: Policy | undefined, path: string) => denyPattern.test(path) || (policy?.deny.some((d) => d.test(path)) ?? false)

const buildPolicies = (): ReadonlyMap<string, Policy> => {
  const out = new Map<string, Policy>()
  for (const [id, spec] of venueSpecs) {
    const allow = spec.policy.allow.map(compile)
    const policy: Policy = {
      allow,
      verify: allow.filter((c) => c.rule.use === 'verify'),
      deny: [...spec.policy.deny.patterns.map((p) => new RegExp(p, 'i')), ...spec.policy.deny.paths.map((p) => compilePathTemplate(p))],
    }
    // Only a key's own permission read may sit under the backstop; anything else is a mistake in the venue file.
    for (const c of allow) {
      if (c.rule.use !== 'verify' && isDenied(policy, c.rule.path)) throw new Error(`venue "${id}": allowlisted ${c.rule.method} ${c.rule.path} matches the deny backstop`)
    }
    out.set(id, policy)
  }
  return out
}

const policies = buildPolicies()

/** Per catalogue id. A venue missing here signs nothing. */
export const endpointAllowlists: Readonly<Record<string, readonly EndpointRule[]>> = Object.freeze(
  Object.fromEntries([...venueSpecs].map(([id, spec]) => [id, spec.policy.allow])),
)

export type EndpointVerdict = { allowed: true } | { allowed: false; reason: 'not_allowlisted' | 'deny_listed'; path: string }

/** Encoded separators or dots would let one allowlisted-looking path name another at the venue. */
const ambiguousPath = /%2f|%5c|%2e|\/\/|\\/i

/**
 * Decides on the final URL; the query string never matters, only method and path.
 * @example checkEndpoint('okx', 'POST', 'https://www.okx.com/api/v5/trade/order') // { allowed: true }
 */
export const checkEndpoint = (venue: string, method: string, url: string): EndpointVerdict => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { allowed: false, reason: 'not_allowlisted', path: url.slice(0, 80) }
  }
  const path = parsed.pathname
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.hostname === '' || ambiguousPath.test(path)) return { allowed: false, reason: 'not_allowlisted', path: path.slice(0, 200) }
  const m = method.toUpperCase()
  const policy = policies.get(venue)
  const matches = (c: Compiled) => c.method === m && c.regex.test(path)
  if (isDenied(policy, path) && !policy?.verify.some(matches)) return { allowed: false, reason: 'deny_listed', path }
  return policy?.allow.some(matches) ? { allowed: true } : { allowed: false, reason: 'not_allowlisted', path }
}

/** The rule that allows a request, for the activity journal and the rate budget. */
export const matchEndpoint = (venue: string, method: string, path: string): EndpointRule | undefined => {
  const m = method.toUpperCase()
  return policies.get(venue)?.allow.find((c) => c.method === m && c.regex.test(path))?.rule
}
