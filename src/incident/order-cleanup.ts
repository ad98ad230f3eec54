import { and, eq, isNull } from 'drizzle-orm'
import { z } from 'zod'
import { Decimal, toDecimalString } from '../lib/decimal.js'
import { schema, type Db } from '../db/index.js'
import type { AuditActor } from '../monitoring/index.js'
import type { KeyView } from '../signer/index.js'
import type { OpenOrderSymbols } from '../trading/index.js'
import type { OrdersMode } from './incident-types.js'

/** What order cleanup needs of the key relay: calls on keys the lockdown disabled, carried by its cleanup grant. */
export type CleanupRelay = {
  execute(ws: string, keyId: string, method: string, args: Record<string, unknown>, actor?: AuditActor, opts?: { cleanupGrant?: string }): Promise<unknown>
}

/**
 * What order cleanup needs of the demo exchanges (the api root passes the demo service; incident/ does not
 * import demo/). Demo accounts hold no keys, so nothing is disabled there: their orders are cancelled directly.
 */
export type DemoOrderControl = {
  listAccounts(workspaceId: string): Promise<ReadonlyArray<{ id: string; kind: string }>>
  orders(workspaceId: string, accountId: string, query: { status: 'open' }): Promise<ReadonlyArray<{ id: string; symbol: string }>>
  cancelOrder(workspaceId: string, accountId: string, orderId: string): Promise<unknown>
  positions(workspaceId: string, accountId: string): Promise<ReadonlyArray<{ symbol: string; side: string; contracts: string }>>
  placeOrder(workspaceId: string, accountId: string, body: { symbol: string; type: 'market'; side: 'buy' | 'sell'; amount: string; reduceOnly: boolean }): Promise<unknown>
}

export type OrderCleanupResult = {
  mode: OrdersMode
  accounts: number
  found: number
  cancelled: number
  closedPositions: number
  failed: number
  /** One short line per failure (account and what failed), never a secret: the signer's messages carry none. */
  errors: string[]
}

const ERRORS_KEPT = 20
const openOrder = z.object({ id: z.string().min(1), symbol: z.string().min(1) }).passthrough()
const position = z.object({ symbol: z.string().min(1), side: z.string().nullish(), contracts: z.union([z.number(), z.string()]).nullish() }).passthrough()

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 200)

/** A positive position size as a decimal string, or null (flat, unknown, or not a number). */
const sizeOf = (contracts: number | string | null | undefined): string | null => {
  if (contracts === null || contracts === undefined) return null
  try {
    const d = new Decimal(contracts).abs()
    return d.gt(0) && d.isFinite() ? toDecimalString(d) : null
  } catch {
    return null
  }
}

const closingSide = (side: string | null | undefined): 'buy' | 'sell' | null => (side === 'long' ? 'sell' : side === 'short' ? 'buy' : null)

/**
 * Lockdown step 4: the open orders of every account of the workspace, handled as configured. Exchange
 * accounts are reached through the signer with the lockdown's cleanup grant (their keys already refuse
 * everything else): open orders are listed per symbol (the key's allowlist plus whatever the journal still
 * counts as open there) and cancelled one by one; with `cancel_and_close`, open contract positions are
 * closed with reduce-only market orders. Accounts run in parallel; a failure is counted and the rest go on.
 */
export const createOrderCleanup = ({ db, relay, demo, openOrderSymbols }: { db: Db; relay?: CleanupRelay | undefined; demo?: DemoOrderControl | undefined; openOrderSymbols: (ws: string) => Promise<OpenOrderSymbols[]> }) => {
  const run = async (input: { workspaceId: string; mode: OrdersMode; keys: readonly KeyView[]; cleanupGrant?: string | undefined; actor: AuditActor }): Promise<OrderCleanupResult> => {
    const result: OrderCleanupResult = { mode: input.mode, accounts: 0, found: 0, cancelled: 0, closedPositions: 0, failed: 0, errors: [] }
    if (input.mode === 'leave') return result
    const fail = (where: string, err: unknown) => {
      result.failed++
      if (result.errors.length < ERRORS_KEPT) result.errors.push(`${where}: ${messageOf(err)}`)
    }
    const journalSymbols = await openOrderSymbols(input.workspaceId)
    const symbolsOf = (kind: 'demo' | 'exchange', accountId: string) => journalSymbols.filter((j) => j.accountKind === kind && j.accountId === accountId).flatMap((j) => j.symbols)

    const exchangeAccount = async (account: { id: string; keyId: string; label: string }, key: KeyView) => {
      const call = (method: string, args: Record<string, unknown>) => {
        if (!relay) throw new Error('no signer is configured')
        return relay.execute(input.workspaceId, key.keyId, method, args, input.actor, input.cleanupGrant ? { cleanupGrant: input.cleanupGrant } : {})
      }
      const symbols = [...new Set([...key.limits.symbols, ...symbolsOf('exchange', account.id)])].sort()
      for (const symbol of symbols) {
        let orders: z.infer<typeof openOrder>[]
        try {
          orders = z.array(openOrder).parse(await call('fetchOpenOrders', { symbol }))
        } catch (err) {
          fail(`${account.label} ${symbol} open orders`, err)
          continue
        }
        result.found += orders.length
        for (const order of orders) {
          try {
            await call('cancelOrder', { symbol: order.symbol, id: order.id })
            result.cancelled++
          } catch (err) {
            fail(`${account.label} cancel ${order.symbol} #${order.id.slice(0, 24)}`, err)
          }
        }
      }
      if (input.mode !== 'cancel_and_close') return
      let positions: z.infer<typeof position>[]
      try {
        positions = z.array(position).parse(await call('fetchPositions', {}))
      } catch (err) {
        // Spot venues have no positions to close; anything else is worth reporting.
        if (!/not supported|does not have|spot/i.test(messageOf(err))) fail(`${account.label} positions`, err)
        return
      }
      for (const p of positions) {
        const amount = sizeOf(p.contracts)
        const side = closingSide(p.side)
        if (amount === null || side === null) continue
        try {
          await call('createOrder', { symbol: p.symbol, type: 'market', side, amount, reduceOnly: true })
          result.closedPositions++
        } catch (err) {
          fail(`${account.label} close ${p.symbol}`, err)
        }
      }
    }

    const demoAccount = async (d: DemoOrderControl, account: { id: string; kind: string }) => {
      let orders: ReadonlyArray<{ id: string; symbol: string }>
      try {
        orders = await d.orders(input.workspaceId, account.id, { status: 'open' })
      } catch (err) {
        fail(`demo ${account.id.slice(0, 8)} open orders`, err)
        return
      }
      result.found += orders.length
      for (const order of orders) {
        try {
          await d.cancelOrder(input.workspaceId, account.id, order.id)
          result.cancelled++
        } catch (err) {
          fail(`demo cancel ${order.symbol} #${order.id.slice(0, 24)}`, err)
        }
      }
      if (input.mode !== 'cancel_and_close' || account.kind !== 'futures') return
      try {
        for (const p of await d.positions(input.workspaceId, account.id)) {
          const amount = sizeOf(p.contracts)
          const side = closingSide(p.side)
          if (amount === null || side === null) continue
          await d.placeOrder(input.workspaceId, account.id, { symbol: p.symbol, type: 'market', side, amount, reduceOnly: true })
          result.closedPositions++
        }
      } catch (err) {
        fail(`demo ${account.id.slice(0, 8)} close positions`, err)
      }
    }

    const accounts = await db
      .select({ id: schema.exchangeAccounts.id, keyId: schema.exchangeAccounts.keyId, label: schema.exchangeAccounts.label })
      .from(schema.exchangeAccounts)
      .where(and(eq(schema.exchangeAccounts.workspaceId, input.workspaceId), isNull(schema.exchangeAccounts.removedAt)))
    const work: Promise<void>[] = []
    for (const account of accounts) {
      const key = input.keys.find((k) => k.keyId === account.keyId)
      // A key the signer did not report (destroyed, or the keys step failed) cannot be reached for cleanup.
      if (!key || key.state === 'destroyed') continue
      result.accounts++
      work.push(exchangeAccount(account, key).catch((err: unknown) => fail(account.label, err)))
    }
    if (demo) {
      let demoAccounts: ReadonlyArray<{ id: string; kind: string }> = []
      try {
        demoAccounts = await demo.listAccounts(input.workspaceId)
      } catch (err) {
        fail('demo accounts', err)
      }
      for (const account of demoAccounts) {
        result.accounts++
        work.push(demoAccount(demo, account))
      }
    }
    await Promise.all(work)
    return result
  }
  return { run }
}
export type OrderCleanup = ReturnType<typeof createOrderCleanup>
