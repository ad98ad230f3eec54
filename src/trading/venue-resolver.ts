import { and, eq, isNull } from 'drizzle-orm'
import { schema, type Db } from '../db/index.js'
import { catalogueEntry } from '../exchanges/index.js'
import { AppError } from '../lib/errors.js'
import { createExchangeTradingVenue } from './journal/index.js'
import type { AccountRef, TradingVenue, VenueResolver } from './trading-types.js'

export type VenueResolverDeps = {
  db: Db
  /** The demo venue of a demo account of the workspace, or null when it is not the workspace's (the api root builds it). */
  demo: (workspaceId: string, accountId: string) => Promise<TradingVenue | null>
  /** The signer, through the key relay (it journals every call in the exchange-activity log). */
  execute: (workspaceId: string, keyId: string, method: string, args: Record<string, unknown>, opts?: { ttlMs?: number; botId?: string }) => Promise<unknown>
}

/**
 * Finds the venue behind an account reference. An exchange account is looked up each time (its key can
 * be replaced); one that is removed or another workspace's is NOT_FOUND. The signer decides whether the
 * key may trade (state, limits): a disabled key's orders come back refused, never sent.
 */
export const createVenueResolver = ({ db, demo, execute }: VenueResolverDeps): VenueResolver => {
  const notFound = (ref: AccountRef) => new AppError('NOT_FOUND', `${ref.kind === 'demo' ? 'demo' : 'exchange'} account "${ref.id}" not found in this workspace`)
  return async (workspaceId, ref, opts = {}) => {
    if (ref.kind === 'demo') {
      const venue = await demo(workspaceId, ref.id)
      if (venue === null) throw notFound(ref)
      return venue
    }
    const [row] = await db
      .select({ exchange: schema.exchangeAccounts.exchange, keyId: schema.exchangeAccounts.keyId })
      .from(schema.exchangeAccounts)
      .where(and(eq(schema.exchangeAccounts.id, ref.id), eq(schema.exchangeAccounts.workspaceId, workspaceId), isNull(schema.exchangeAccounts.removedAt)))
    const entry = row ? catalogueEntry(row.exchange) : undefined
    if (!row || !entry) throw notFound(ref)
    return createExchangeTradingVenue({ account: ref, workspaceId, keyId: row.keyId, entry, execute, ...(opts.botId ? { botId: opts.botId } : {}) })
  }
}
