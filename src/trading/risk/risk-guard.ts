import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { Decimal, isDecimalString, toDecimal } from '../../lib/decimal.js'
import type { Db } from '../../db/index.js'
import type { RiskLimits } from '../trading-api-types.js'
import type { AccountRef, OrderPurpose, PlaceOrder } from '../trading-types.js'
import { currenciesOf, isExitOrder, isOpenIntent, netPositionOf, type RiskIntent } from './positions.js'
import { pnlFiguresOf, utcDayStart, type LastPrice } from './pnl.js'
import { createRiskStore, effectiveLimits } from './risk-store.js'

/**
 * The risk guard: asked before every order is journaled and sent (README.md). The signer's per-key
 * limits stay the last line; this is the user's own.
 *
 * Invariants:
 * - An EXIT (take profit, stop loss, trailing take profit, close, or any reduce-only order) is never
 *   refused for size, count, daily loss or cooldown: a guard must never trap a trader in a position.
 *   Exits are checked only for the symbol (an exit on a symbol outside the bot's list passes only
 *   when it reduces the bot's own position there, so editing the list never traps one either) and,
 *   for limit exits, for a fat-finger price on the side that would sell below / buy above the market.
 *   Stop exits are protective and never refused for their price.
 * - Limits compare with "above": an order exactly at a limit passes.
 * - Refusals that mean the bot is misbehaving or must stop (a symbol outside its list, an order rate far
 *   above its baseline, an order above the notional limit — SECURITY.md R18 —, the daily loss) carry
 *   `pauseBot: true`; the runtime
 *   pauses or stops the bot and alerts.
 * - Bot limits and the account's combine field by field, the stricter applying (risk-store.ts); the
 *   bot's figures are checked against that, the account's figures (all its bots and manual orders)
 *   against the account's own limits.
 */

export type RiskLimitName = 'symbol' | 'orderRate' | 'maxOrderNotional' | 'maxPositionNotional' | 'maxOpenOrders' | 'maxDailyLoss' | 'cooldownAfterStopLossSeconds' | 'priceBandPercent' | 'noPrice'

export type RiskVerdict = { ok: true } | { ok: false; limit: RiskLimitName; message: string; pauseBot: boolean }

export type RiskCheckInput = {
  workspaceId: string
  /** null for manual orders (their book is the account's orders without a bot). */
  botId: string | null
  account: AccountRef
  botLimits?: RiskLimits | undefined
  /** The bot's symbol list; absent: no symbol check. */
  botSymbols?: string[] | undefined
  order: PlaceOrder
  purpose: OrderPurpose
  /** The last price of `order.symbol` on the account's venue. */
  lastPrice: string | null
  /** Last prices of the bot's other symbols, for the unrealized part of the daily loss; absent: unknown (counted as 0). */
  lastPriceOf?: LastPrice | undefined
  /** Unix ms of the bot's last stop-loss fill; null: none; absent: read from the journal. */
  lastStopLossAt?: number | null | undefined
}

export type DailyLossInput = { workspaceId: string; botId: string | null; account: AccountRef; botLimits?: RiskLimits | undefined; lastPrice: LastPrice }

/**
 * R18 (policy): a bot's new entries in the last minute may reach this many, or this multiple of its
 * own baseline (orders per minute over the day before) when that is higher — a grid that always trades
 * fast keeps its pace, a bot that suddenly bursts (a runaway loop, a stolen webhook) is paused. The
 * signer's per-key orders-per-minute limit stays the hard ceiling behind it.
 */
export const ORDER_RATE_FLOOR_PER_MINUTE = 20
export const ORDER_RATE_BASELINE_MULTIPLE = 5

const ok: RiskVerdict = { ok: true }
const refuse = (limit: RiskLimitName, message: string, pauseBot = false): RiskVerdict => ({ ok: false, limit, message, pauseBot })

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
/** A computed amount: two decimals, thousands grouped ("1,250.00"). */
const money = (d: Decimal): string => {
  const fixed = d.toFixed(2)
  const isNegative = fixed.startsWith('-') && fixed !== '-0.00'
  const [int = '0', frac = '00'] = fixed.replace(/^-/, '').split('.')
  return `${isNegative ? '-' : ''}${group(int)}.${frac}`
}
/** A figure the user typed (limit, price): as typed, thousands grouped ("1,000", "0.5"). */
const typed = (s: string): string => {
  const [int = '', frac] = s.split('.')
  return frac === undefined ? group(int) : `${group(int)}.${frac}`
}

const positive = (value: string | null | undefined): Decimal | null => (value != null && isDecimalString(value) && toDecimal(value).gt(0) ? toDecimal(value) : null)

export const createRiskGuard = ({ db, clock }: { db: Db; clock: Clock }) => {
  const store = createRiskStore({ db, clock })

  /** Whose limit the effective value is, for messages. */
  const whose = (field: keyof RiskLimits, limits: RiskLimits, botLimits: RiskLimits | undefined): string =>
    botLimits?.[field] !== undefined && botLimits[field] === limits[field] ? "this bot's" : "this account's"

  /** Intents of the bot (or, for botId null, the account's manual ones). */
  const ownOf = (intents: RiskIntent[], botId: string | null) => intents.filter((i) => i.botId === botId)

  /** Today's realized + unrealized of the bot against the effective limit, then of the account against its own. */
  const dailyLossVerdict = (input: { botId: string | null; intents: RiskIntent[]; limits: RiskLimits; accountLimits: RiskLimits; botLimits: RiskLimits | undefined; lastPrice: LastPrice; quote: string }): RiskVerdict => {
    const since = utcDayStart(clock.now())
    const scopes: { intents: RiskIntent[]; max: string | undefined; who: string; what: string }[] = [
      { intents: ownOf(input.intents, input.botId), max: input.limits.maxDailyLoss, who: whose('maxDailyLoss', input.limits, input.botLimits), what: input.botId === null ? 'manual orders' : 'this bot' },
      { intents: input.intents, max: input.accountLimits.maxDailyLoss, who: "this account's", what: 'this account' },
    ]
    for (const scope of scopes) {
      if (scope.max === undefined) continue
      const pnl = pnlFiguresOf(scope.intents, input.lastPrice, since)
      const loss = pnl.realized.plus(pnl.unrealized).neg()
      if (loss.gt(toDecimal(scope.max))) {
        const currency = pnl.currency === '' || pnl.currency === 'mixed' ? input.quote : pnl.currency
        return refuse(
          'maxDailyLoss',
          `today's loss of ${money(loss)} ${currency} on ${scope.what} (realized ${money(pnl.realized)}, unrealized ${money(pnl.unrealized)}) is above ${scope.who} max daily loss of ${typed(scope.max)} ${currency}: no new entries today`,
          true,
        )
      }
    }
    return ok
  }

  /**
   * The price an order's notional is counted at: its limit price (the worst it can fill at); a
   * stop-market order at the higher of its stop and the last price (a buy stop below the market
   * triggers at once, at the market); a market order at the last price.
   */
  const notionalPriceOf = (order: PlaceOrder, last: Decimal | null): Decimal | null => {
    if (order.type === 'limit' || order.type === 'stop_limit') return positive(order.price) ?? last
    if (order.type === 'stop_market') {
      const stop = positive(order.stopPrice)
      if (stop === null) return last
      return last === null ? stop : Decimal.max(stop, last)
    }
    return last
  }

  const check = async (input: RiskCheckInput): Promise<RiskVerdict> => {
    const { order, account, workspaceId, botId, botLimits } = input
    if (!isDecimalString(order.amount) || !toDecimal(order.amount).gt(0)) throw new AppError('BAD_INPUT', `order amount "${order.amount}" must be a positive decimal number`)
    const amount = toDecimal(order.amount)
    const quote = currenciesOf(order.symbol).quote
    const last = positive(input.lastPrice)
    const isExit = isExitOrder({ purpose: input.purpose, reduceOnly: order.reduceOnly })
    let loaded: RiskIntent[] | undefined
    const intents = async () => (loaded ??= await store.riskIntentsOf(workspaceId, account))

    if (input.botSymbols !== undefined && !input.botSymbols.includes(order.symbol)) {
      const net = isExit ? netPositionOf(ownOf(await intents(), botId), order.symbol) : new Decimal(0)
      const reduces = !net.isZero() && (order.side === 'sell') === net.isPositive()
      if (!reduces) {
        return refuse('symbol', `an order on ${order.symbol} is outside this bot's symbols (${input.botSymbols.join(', ') || 'none'}): refused, and the bot is paused`, true)
      }
    }

    if (!isExit && botId !== null) {
      const rate = await store.orderRateOf(workspaceId, botId, clock.now())
      const allowed = Math.max(ORDER_RATE_FLOOR_PER_MINUTE, Math.ceil(ORDER_RATE_BASELINE_MULTIPLE * rate.baselinePerMinute))
      if (rate.lastMinute >= allowed) {
        return refuse(
          'orderRate',
          `this bot placed ${rate.lastMinute} orders in the last minute, above its usual rate (${rate.baselinePerMinute.toFixed(2)} a minute; ${allowed} allowed): refused, and the bot is paused`,
          true,
        )
      }
    }

    const accountLimits = await store.getAccountLimits(workspaceId, account)
    const limits = effectiveLimits(accountLimits, botLimits)
    const band = limits.priceBandPercent === undefined ? null : toDecimal(limits.priceBandPercent)
    const bandVerdict = (label: string, price: Decimal, lastPrice: Decimal): RiskVerdict => {
      const distance = price.minus(lastPrice).abs().div(lastPrice).times(100)
      if (band === null || !distance.gt(band)) return ok
      return refuse(
        'priceBandPercent',
        `${label} ${typed(price.toFixed())} is ${distance.toFixed(2)} % from the last price ${typed(lastPrice.toFixed())} of ${order.symbol}, outside ${whose('priceBandPercent', limits, botLimits)} price band of ${typed(limits.priceBandPercent ?? '')} %`,
      )
    }

    if (isExit) {
      // Only a limit exit can fill at a price the user did not mean; only on the side that crosses the
      // market (selling below it, buying above it) — a resting take-profit beyond the band is fine.
      const limitPrice = positive(order.price)
      if (order.type !== 'limit' || band === null || last === null || limitPrice === null) return ok
      const crosses = order.side === 'sell' ? limitPrice.lt(last) : limitPrice.gt(last)
      return crosses ? bandVerdict('limit price', limitPrice, last) : ok
    }

    const all = await intents()
    const own = ownOf(all, botId)
    const lastPriceOf: LastPrice = (symbol) => (symbol === order.symbol ? (last === null ? null : last.toFixed()) : (input.lastPriceOf?.(symbol) ?? null))
    const daily = dailyLossVerdict({ botId, intents: all, limits, accountLimits, botLimits, lastPrice: lastPriceOf, quote })
    if (!daily.ok) return daily

    const cooldown = limits.cooldownAfterStopLossSeconds
    if (cooldown !== undefined && cooldown > 0) {
      const lastStopLossAt =
        input.lastStopLossAt !== undefined
          ? input.lastStopLossAt
          : own.filter((i) => i.purpose === 'stop_loss' && toDecimal(i.filled).gt(0)).reduce<number | null>((m, i) => Math.max(m ?? 0, Date.parse(i.updatedAt)), null)
      if (lastStopLossAt !== null && clock.now().getTime() < lastStopLossAt + cooldown * 1000) {
        const until = new Date(lastStopLossAt + cooldown * 1000).toISOString()
        return refuse('cooldownAfterStopLossSeconds', `no new entry until ${until}: ${whose('cooldownAfterStopLossSeconds', limits, botLimits)} cooldown of ${cooldown} s after a stop-loss`)
      }
    }

    const priced = [
      ['limit price', positive(order.price)],
      ['stop price', positive(order.stopPrice)],
    ] as const
    const needsNotional = limits.maxOrderNotional !== undefined || limits.maxPositionNotional !== undefined
    const notionalPrice = notionalPriceOf(order, last)
    if (needsNotional && notionalPrice === null) return refuse('noPrice', `no last price for ${order.symbol} yet, and the notional limits need one to value this ${order.type} order: try again once prices arrive`)
    if (band !== null && priced.some(([, p]) => p !== null)) {
      if (last === null) return refuse('noPrice', `no last price for ${order.symbol} yet, and the price band needs one to check this order's price: try again once prices arrive`)
      for (const [label, price] of priced) {
        if (price === null) continue
        const verdict = bandVerdict(label, price, last)
        if (!verdict.ok) return verdict
      }
    }

    if (limits.maxOrderNotional !== undefined && notionalPrice !== null) {
      const notional = amount.times(notionalPrice)
      if (notional.gt(toDecimal(limits.maxOrderNotional))) {
        return refuse('maxOrderNotional', `order of ${money(notional)} ${quote} is above ${whose('maxOrderNotional', limits, botLimits)} max order of ${typed(limits.maxOrderNotional)} ${quote}`, true)
      }
    }

    if (notionalPrice !== null) {
      // The position if this order and every open entry on the same side filled.
      const after = (scope: RiskIntent[]) => {
        const net = netPositionOf(scope, order.symbol)
        const pending = scope
          .filter((i) => isOpenIntent(i) && !isExitOrder(i) && i.symbol === order.symbol && i.side === order.side)
          .reduce((s, i) => s.plus(Decimal.max(toDecimal(i.amount).minus(toDecimal(i.filled)), 0)), new Decimal(0))
        const signed = order.side === 'buy' ? pending.plus(amount) : pending.plus(amount).neg()
        return { before: net.abs(), after: net.plus(signed).abs() }
      }
      const scopes = [
        { scope: own, max: limits.maxPositionNotional, who: whose('maxPositionNotional', limits, botLimits) },
        { scope: all, max: accountLimits.maxPositionNotional, who: "this account's" },
      ]
      for (const { scope, max, who } of scopes) {
        if (max === undefined) continue
        const position = after(scope)
        const notional = position.after.times(notionalPrice)
        if (position.after.gt(position.before) && notional.gt(toDecimal(max))) {
          return refuse('maxPositionNotional', `position of ${money(notional)} ${quote} in ${order.symbol} after this order (open orders included) would be above ${who} max position of ${typed(max)} ${quote}`)
        }
      }
    }

    const openScopes = [
      { count: own.filter(isOpenIntent).length, max: limits.maxOpenOrders, who: whose('maxOpenOrders', limits, botLimits), what: botId === null ? 'manual orders' : 'this bot' },
      { count: all.filter(isOpenIntent).length, max: accountLimits.maxOpenOrders, who: "this account's", what: 'this account' },
    ]
    for (const { count, max, who, what } of openScopes) {
      if (max !== undefined && count >= max) return refuse('maxOpenOrders', `${what} has ${count} open orders; ${who} max of ${max} open orders leaves no room for another`)
    }
    return ok
  }

  /** For the runtime's periodic check: true when the bot's or the account's loss today is above its limit. */
  const dailyLossBreached = async (input: DailyLossInput): Promise<boolean> => {
    const accountLimits = await store.getAccountLimits(input.workspaceId, input.account)
    const limits = effectiveLimits(accountLimits, input.botLimits)
    if (limits.maxDailyLoss === undefined && accountLimits.maxDailyLoss === undefined) return false
    const intents = await store.riskIntentsOf(input.workspaceId, input.account)
    const verdict = dailyLossVerdict({ botId: input.botId, intents, limits, accountLimits, botLimits: input.botLimits, lastPrice: input.lastPrice, quote: '' })
    return !verdict.ok
  }

  return { check, dailyLossBreached }
}
export type RiskGuard = ReturnType<typeof createRiskGuard>
