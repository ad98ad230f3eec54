import { schema, type Db } from '../../src/db/index.js'
import type { Clock } from '../../src/lib/clock.js'
import { newId } from '../../src/lib/ids.js'
import { createExchangeAccounts, createKeyRelay, type ExchangeAccountView, type KeyRelay } from '../../src/keys/index.js'
import { createAlerts, createAuditChain, type Alerts, type AuditChain } from '../../src/monitoring/index.js'
import type { SignerClient } from '../../src/signer/index.js'
import { createVenueResolver } from '../../src/trading/venue-resolver.js'
import type { VenueResolver } from '../../src/trading/trading-types.js'

/**
 * The api side of trading on exchange accounts, wired as the api root does it: the key relay over a
 * signer client, exchange accounts connected through it, and a venue resolver whose exchange venues
 * call the signer's `execute` through the relay. Shared by the signer and crash suites (and the crash child).
 */
export const apiSide = (db: Db, clock: Clock, signer: SignerClient) => {
  const audit: AuditChain = createAuditChain({ db, clock })
  const alerts: Alerts = createAlerts({ db, clock })
  const relay: KeyRelay = createKeyRelay({ db, signer, audit, alerts })
  const accounts = createExchangeAccounts({ db, clock, relay, audit, mayConnect: async () => {} })
  // Exchange accounts only: these suites have no demo exchange.
  const venues: VenueResolver = createVenueResolver({
    db,
    demo: async () => null,
    execute: (ws, keyId, method, args, opts) => relay.execute(ws, keyId, method, args, undefined, opts),
  })
  return { audit, alerts, relay, accounts, venues }
}

/** A user and a workspace of theirs. */
export const seedWorkspace = async (db: Db, clock: Clock): Promise<{ userId: string; workspaceId: string }> => {
  const userId = newId()
  const workspaceId = newId()
  await db.insert(schema.users).values({ id: userId, email: `trader-${userId.slice(-6)}@example.com`, displayName: 'trader', createdAt: clock.now() })
  await db.insert(schema.workspaces).values({ id: workspaceId, name: 'Desk', isPersonal: true, createdAt: clock.now() })
  await db.insert(schema.memberships).values({ workspaceId, userId, role: 'owner', createdAt: clock.now() })
  return { userId, workspaceId }
}

/** Connects a Binance key the way the browser does: sealed to the signer, verified at the (emulated) exchange. */
export const connectBinanceKey = (
  side: ReturnType<typeof apiSide>,
  seal: (workspaceId: string, credentials: { apiKey: string; secret: string }) => Promise<unknown>,
  who: { userId: string; workspaceId: string },
  credentials: { apiKey: string; secret: string },
  label = 'Main',
): Promise<ExchangeAccountView> =>
  seal(who.workspaceId, credentials).then((envelope) => side.accounts.connect({ type: 'user', id: who.userId }, who.workspaceId, { exchange: 'binance', label, envelope }))
