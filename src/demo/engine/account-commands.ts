import { Decimal, isDecimalString } from '../../lib/decimal.js'
import {
  byNum,
  emit,
  emitBalance,
  emitPosition,
  emitWallet,
  markDec,
  spotBalance,
  str,
  ZERO,
  type AccountRt,
  type EngineCtx,
  type FuturesAccountRt,
  type OrderRec,
} from './engine-state.js'
import type { AccountKind, DemoAccountSettings, MarginMode } from './engine-types.js'
import { afterPositionChange, availableMargin, positionSides, positionOf, refreshCrossTerm, settingsOf, tierFor } from './futures-ledger.js'
import { finishOrder } from './matching.js'
import { accountOf, marketFor, positiveDecimal } from './place-order.js'
import { reject } from './rejection.js'
import { checkAccount } from './risk.js'

/** Accounts and their settings; like orders, every check runs before the first change. */

const accountIdPattern = /^[A-Za-z0-9._:-]{1,64}$/
const assetPattern = /^[A-Z0-9]{1,20}$/

const feeRate = (value: string | undefined, fallback: string, what: string): Decimal => {
  const v = value ?? fallback
  if (typeof v !== 'string' || !isDecimalString(v) || new Decimal(v).isNegative() || !new Decimal(v).lt(1)) return reject('BAD_INPUT', `${what} must be a decimal fee rate from 0 to below 1, like "0.001"`)
  return new Decimal(v)
}

const balancesOf = (ctx: EngineCtx, kind: AccountKind, balances: Record<string, string> | undefined): [string, Decimal][] => {
  const entries = Object.entries(balances ?? ctx.defaults.balances)
  for (const [asset, amount] of entries) {
    if (!assetPattern.test(asset)) reject('BAD_INPUT', `"${asset.slice(0, 20)}" is not an asset code`)
    if (!isDecimalString(amount) || new Decimal(amount).isNegative()) reject('BAD_INPUT', `the ${asset} balance must be a non-negative decimal number`)
    if (kind === 'futures' && asset !== settleAsset(ctx)) reject('BAD_INPUT', `a futures account holds ${settleAsset(ctx)} only`)
  }
  return entries.map(([asset, amount]) => [asset, new Decimal(amount)])
}

export const settleAsset = (ctx: EngineCtx): string => [...ctx.markets.values()].find((m) => m.isLinear)?.quote ?? 'USDT'

export const accountSettings = (a: AccountRt): DemoAccountSettings => ({
  accountId: a.id,
  kind: a.kind,
  makerFeeRate: str(a.makerFee),
  takerFeeRate: str(a.takerFee),
  hedged: a.kind === 'futures' && a.hedged,
})

export const createAccount = (ctx: EngineCtx, input: { accountId: string; kind: AccountKind; balances?: Record<string, string>; makerFeeRate?: string; takerFeeRate?: string; hedged?: boolean }): AccountRt => {
  const { accountId, kind } = input
  if (typeof accountId !== 'string' || !accountIdPattern.test(accountId)) reject('BAD_INPUT', 'accountId must be 1-64 letters, digits or ._:-')
  if (ctx.accounts.has(accountId)) reject('ACCOUNT_EXISTS', `Demo account "${accountId}" already exists.`)
  if (kind !== 'spot' && kind !== 'futures') reject('BAD_INPUT', 'kind must be spot or futures')
  const makerFee = feeRate(input.makerFeeRate, ctx.defaults.makerFeeRate, 'makerFeeRate')
  const takerFee = feeRate(input.takerFeeRate, ctx.defaults.takerFeeRate, 'takerFeeRate')
  const balances = balancesOf(ctx, kind, input.balances)
  const a: AccountRt =
    kind === 'spot'
      ? { kind, id: accountId, makerFee, takerFee, balances: new Map(), orders: new Map() }
      : {
          kind,
          id: accountId,
          makerFee,
          takerFee,
          asset: settleAsset(ctx),
          wallet: ZERO,
          hedged: input.hedged === true,
          settings: new Map(),
          positions: new Map(),
          orders: new Map(),
          orderMargin: ZERO,
          orderMarginBy: new Map(),
          orderMarginF: 0,
          isoSum: ZERO,
          defaultLeverage: ctx.defaults.leverage,
          crossWalletF: 0,
          crossTerms: new Map(),
        }
  ctx.accounts.set(accountId, a)
  emit(ctx, { type: 'account', account: accountSettings(a) })
  setBalances(ctx, a, balances)
  return a
}

const setBalances = (ctx: EngineCtx, a: AccountRt, balances: [string, Decimal][]): void => {
  if (a.kind === 'futures') {
    a.wallet = balances.find(([asset]) => asset === a.asset)?.[1] ?? ZERO
    return emitWallet(ctx, a)
  }
  const assets = new Set([...a.balances.keys(), ...balances.map(([asset]) => asset)])
  for (const asset of [...assets].sort()) {
    spotBalance(a, asset).total = balances.find(([x]) => x === asset)?.[1] ?? ZERO
    emitBalance(ctx, a, asset)
  }
}

export const deposit = (ctx: EngineCtx, input: { accountId: string; asset: string; amount: string }): void => {
  const a = accountOf(ctx, input.accountId)
  const amount = positiveDecimal(input.amount, 'amount')
  if (typeof input.asset !== 'string' || !assetPattern.test(input.asset)) reject('BAD_INPUT', 'asset must be an asset code like "USDT"')
  if (a.kind === 'futures' && input.asset !== a.asset) reject('BAD_INPUT', `a futures account holds ${a.asset} only`)
  emit(ctx, { type: 'deposit', accountId: a.id, asset: input.asset, amount: str(amount) })
  if (a.kind === 'futures') {
    a.wallet = a.wallet.plus(amount)
    emitWallet(ctx, a)
    return checkAccount(ctx, a)
  }
  const b = spotBalance(a, input.asset)
  b.total = b.total.plus(amount)
  emitBalance(ctx, a, input.asset)
}

/** Back to a fresh account: orders canceled, positions dropped without PnL, balances set. */
export const resetAccount = (ctx: EngineCtx, input: { accountId: string; balances?: Record<string, string> }): void => {
  const a = accountOf(ctx, input.accountId)
  const balances = balancesOf(ctx, a.kind, input.balances)
  emit(ctx, { type: 'account_reset', accountId: a.id })
  for (const o of [...a.orders.values()].sort(byNum)) finishOrder(ctx, o, 'canceled', 'reset')
  if (a.kind === 'futures') {
    for (const p of [...a.positions.values()].sort((x, y) => (x.key < y.key ? -1 : 1))) {
      p.size = ZERO
      p.side = 0
      p.entry = ZERO
      p.isoMargin = ZERO
      p.updatedAt = ctx.now
      emitPosition(ctx, p)
      afterPositionChange(p)
    }
    a.isoSum = ZERO
  }
  setBalances(ctx, a, balances)
}

export const setFees = (ctx: EngineCtx, input: { accountId: string; makerFeeRate: string; takerFeeRate: string }): void => {
  const a = accountOf(ctx, input.accountId)
  const makerFee = feeRate(input.makerFeeRate, '', 'makerFeeRate')
  const takerFee = feeRate(input.takerFeeRate, '', 'takerFeeRate')
  a.makerFee = makerFee
  a.takerFee = takerFee
  emit(ctx, { type: 'account', account: accountSettings(a) })
}

export const cancelOrder = (ctx: EngineCtx, input: { accountId: string; symbol?: string; id?: string; clientOrderId?: string }): OrderRec => {
  const a = accountOf(ctx, input.accountId)
  const o =
    input.id !== undefined ? a.orders.get(String(input.id)) : input.clientOrderId !== undefined ? ctx.clientIds.get(`${a.id}\n${input.clientOrderId}`) : undefined
  if (o === undefined || (input.symbol !== undefined && o.market.symbol !== input.symbol)) return reject('ORDER_NOT_FOUND', 'Unknown order sent.')
  finishOrder(ctx, o, 'canceled', 'canceled')
  return o
}

const futuresAccount = (ctx: EngineCtx, accountId: string): FuturesAccountRt => {
  const a = accountOf(ctx, accountId)
  if (a.kind !== 'futures') return reject('NOT_SUPPORTED', 'Leverage, margin mode and position mode apply to futures accounts only.')
  return a
}

const symbolSettingsEvent = (ctx: EngineCtx, a: FuturesAccountRt, symbol: string, leverage: number, marginMode: MarginMode): void => {
  a.settings.set(symbol, { leverage, marginMode })
  emit(ctx, { type: 'symbol_settings', accountId: a.id, symbol, leverage, marginMode })
}

export const setLeverage = (ctx: EngineCtx, input: { accountId: string; symbol: string; leverage: number }): void => {
  const a = futuresAccount(ctx, input.accountId)
  const m = marketFor(ctx, a, input.symbol)
  const { leverage } = input
  if (!Number.isInteger(leverage) || leverage < 1 || leverage > m.maxLeverage) reject('LEVERAGE_OVER_LIMIT', `Leverage ${String(leverage).slice(0, 12)} is not valid for ${m.symbol} (1-${m.maxLeverage}).`)
  const current = settingsOf(ctx, a, m)
  const mark = markDec(m)
  for (const side of positionSides(a)) {
    const p = positionOf(a, m, side)
    if (p === undefined || p.side === 0) continue
    const tier = tierFor(m, p.size.mul(mark))
    if (tier === undefined || tier.maxLeverage < leverage) reject('LEVERAGE_OVER_LIMIT', 'Exceeded the maximum allowable position at current leverage.')
    // A lower leverage asks more initial margin of a cross position than may be free.
    if (!p.isIsolated && leverage < current.leverage) {
      const more = p.size.mul(mark).div(leverage).minus(p.size.mul(mark).div(current.leverage))
      if (availableMargin(ctx, a).lt(more)) reject('INSUFFICIENT_FUNDS', 'Margin is insufficient.')
    }
  }
  symbolSettingsEvent(ctx, a, m.symbol, leverage, current.marginMode)
  refreshCrossTerm(a, m) // the float mirror of initial margin uses the leverage
}

const hasPositionOrOrders = (a: FuturesAccountRt, symbol: string | null) => ({
  position: [...a.positions.values()].some((p) => p.side !== 0 && (symbol === null || p.market.symbol === symbol)),
  orders: [...a.orders.values()].some((o) => symbol === null || o.market.symbol === symbol),
})

export const setMarginMode = (ctx: EngineCtx, input: { accountId: string; symbol: string; marginMode: MarginMode }): void => {
  const a = futuresAccount(ctx, input.accountId)
  const m = marketFor(ctx, a, input.symbol)
  if (input.marginMode !== 'cross' && input.marginMode !== 'isolated') reject('BAD_INPUT', 'marginMode must be cross or isolated')
  const current = settingsOf(ctx, a, m)
  if (current.marginMode === input.marginMode) return
  const held = hasPositionOrOrders(a, m.symbol)
  if (held.position) reject('MARGIN_MODE_LOCKED', 'Margin type cannot be changed if there exists position.')
  if (held.orders) reject('MARGIN_MODE_LOCKED', 'Margin type cannot be changed if there exists open orders.')
  symbolSettingsEvent(ctx, a, m.symbol, current.leverage, input.marginMode)
}

export const setPositionMode = (ctx: EngineCtx, input: { accountId: string; hedged: boolean }): void => {
  const a = futuresAccount(ctx, input.accountId)
  if (typeof input.hedged !== 'boolean') reject('BAD_INPUT', 'hedged must be true or false')
  if (a.hedged === input.hedged) return
  const held = hasPositionOrOrders(a, null)
  if (held.position) reject('POSITION_MODE_LOCKED', 'Position side cannot be changed if there exists position.')
  if (held.orders) reject('POSITION_MODE_LOCKED', 'Position side cannot be changed if there exists open orders.')
  a.hedged = input.hedged
  emit(ctx, { type: 'account', account: accountSettings(a) })
}

export const setFundingRate = (ctx: EngineCtx, input: { symbol: string; rate: string }): void => {
  const m = ctx.markets.get(input.symbol)
  if (m === undefined || !m.isLinear) return reject('UNKNOWN_SYMBOL', `Invalid symbol "${String(input.symbol).slice(0, 40)}".`)
  if (typeof input.rate !== 'string' || !isDecimalString(input.rate) || !new Decimal(input.rate).abs().lt(1)) reject('BAD_INPUT', 'rate must be a decimal funding rate like "0.0001"')
  const rate = new Decimal(input.rate)
  if (rate.eq(m.fundingRate)) return
  m.fundingRate = rate
  emit(ctx, { type: 'funding_rate', symbol: m.symbol, rate: str(rate) })
}
