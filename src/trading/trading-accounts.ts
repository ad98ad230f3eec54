import { and, eq, isNull } from 'drizzle-orm'
import { schema, type Db } from '../db/index.js'
import { catalogueEntry } from '../exchanges/index.js'
import { AppError } from '../lib/errors.js'
import type { TradingAccountView } from './trading-api-types.js'
import type { AccountRef } from './trading-types.js'

/**
 * The accounts a workspace's bots can trade on, as the API lists them: demo accounts (a futures stop rests
 * on the demo exchange) and connected exchange accounts (stops are triggered by the platform: the signer's venue
 * calls carry no stop orders yet). Read from the tables; trading does not import the demo module.
 */
export const createTradingAccounts = ({ db }: { db: Db }) => {
  const demoView = (r: { id: string; name: string; kind: 'spot' | 'futures' }): TradingAccountView => ({
    kind: 'demo',
    id: r.id,
    label: r.name,
    venue: r.kind === 'spot' ? 'demo-spot' : 'demo-futures',
    market: r.kind === 'spot' ? 'spot' : 'linear',
    // A Smart Trade's stop rests on the demo exchange on futures; on spot the targets already hold the coins.
    stopsOnExchange: r.kind === 'futures',
    canTrade: true,
  })
  const exchangeView = (r: { id: string; label: string; exchange: string; state: string }): TradingAccountView => ({
    kind: 'exchange',
    id: r.id,
    label: r.label,
    venue: r.exchange,
    market: catalogueEntry(r.exchange)?.market ?? 'spot',
    stopsOnExchange: false,
    canTrade: r.state === 'active',
  })

  const demoRows = (workspaceId: string, id?: string) =>
    db
      .select({ id: schema.demoAccounts.id, name: schema.demoAccounts.name, kind: schema.demoAccounts.kind })
      .from(schema.demoAccounts)
      .where(id === undefined ? eq(schema.demoAccounts.workspaceId, workspaceId) : and(eq(schema.demoAccounts.workspaceId, workspaceId), eq(schema.demoAccounts.id, id)))
  const exchangeRows = (workspaceId: string, id?: string) =>
    db
      .select({ id: schema.exchangeAccounts.id, label: schema.exchangeAccounts.label, exchange: schema.exchangeAccounts.exchange, state: schema.exchangeAccounts.state })
      .from(schema.exchangeAccounts)
      .where(and(eq(schema.exchangeAccounts.workspaceId, workspaceId), isNull(schema.exchangeAccounts.removedAt), ...(id === undefined ? [] : [eq(schema.exchangeAccounts.id, id)])))

  const list = async (workspaceId: string): Promise<TradingAccountView[]> => [...(await demoRows(workspaceId)).map(demoView), ...(await exchangeRows(workspaceId)).map(exchangeView)]

  /** @throws AppError NOT_FOUND when the account is not the workspace's */
  const get = async (workspaceId: string, ref: AccountRef): Promise<TradingAccountView> => {
    const view = ref.kind === 'demo' ? (await demoRows(workspaceId, ref.id)).map(demoView)[0] : (await exchangeRows(workspaceId, ref.id)).map(exchangeView)[0]
    if (!view) throw new AppError('NOT_FOUND', `${ref.kind === 'demo' ? 'demo' : 'exchange'} account "${ref.id}" not found in this workspace`)
    return view
  }

  /** A spot account trades "BTC/USDT"; a futures account trades perpetuals like "BTC/USDT:USDT". */
  const assertSymbolsFit = (account: TradingAccountView, symbols: readonly string[]) => {
    for (const s of symbols) {
      const perp = s.includes(':')
      if (account.market === 'spot' && perp) throw new AppError('BAD_INPUT', `"${s}" is a perpetual: "${account.label}" is a spot account (use a symbol like "BTC/USDT")`)
      if (account.market === 'linear' && !perp) throw new AppError('BAD_INPUT', `"${s}" is a spot symbol: "${account.label}" trades perpetuals (use a symbol like "BTC/USDT:USDT")`)
    }
  }

  return { list, get, assertSymbolsFit }
}
export type TradingAccounts = ReturnType<typeof createTradingAccounts>
