import type { CatalogueEntryData, PermissionCheckKind } from './venue-spec.js'
import { venueSpecs } from './venues/registry.js'

/**
 * The exchange catalogue (data, not code paths): what GET /api/exchanges serves and what the connect
 * form and `bulwark keys add` show. One entry per venue file in ./venues, validated at load.
 */
type Common = Omit<CatalogueEntryData, 'ccxtId' | 'implementation' | 'permissionCheck' | 'verification'>
type Verification = CatalogueEntryData['verification']

export type CatalogueEntry = Common &
  (
    | { ccxtId: string; implementation: 'ccxt'; permissionCheck: PermissionCheckKind; verification: Verification }
    /** A venue of our own (EXMO): no ccxt class, and no permission endpoint to read. */
    | { ccxtId: null; implementation: 'bulwark'; permissionCheck: 'none'; verification: Extract<Verification, { kind: 'none' }> }
  )

const toEntry = (data: CatalogueEntryData): CatalogueEntry => {
  if (data.implementation === 'ccxt' && data.ccxtId !== null) return { ...data, implementation: 'ccxt', ccxtId: data.ccxtId }
  if (data.implementation === 'bulwark' && data.ccxtId === null && data.verification.kind === 'none') return { ...data, implementation: 'bulwark', ccxtId: null, permissionCheck: 'none', verification: data.verification }
  throw new Error(`venue "${data.id}": a venue of our own has no ccxt id and no permission endpoint`)
}

export const catalogue: readonly CatalogueEntry[] = Object.freeze([...venueSpecs.values()].map((s) => Object.freeze(toEntry(s.catalogue))))

const byId = new Map(catalogue.map((e) => [e.id, e]))

export const catalogueEntry = (id: string): CatalogueEntry | undefined => byId.get(id)

/**
 * Whether `id` is a client order id this venue accepts as we send it (the pattern is ours: as strict
 * as the venue's rule, or stricter where the venue publishes none).
 */
export const isValidClientOrderId = (venue: string, id: string): boolean => {
  const entry = byId.get(venue)
  return entry !== undefined && id.length <= entry.clientOrderId.maxLength && new RegExp(entry.clientOrderId.pattern).test(id)
}
