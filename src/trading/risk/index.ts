/** The risk module's public surface (README.md "risk/"): the guard, account limits, PnL and the demo record. */
export { createRiskGuard, type RiskGuard, type RiskVerdict, type RiskLimitName, type RiskCheckInput, type DailyLossInput } from './risk-guard.js'
export { createRiskStore, effectiveLimits, type RiskStore } from './risk-store.js'
export { pnlOfIntents, dailyPnlOf, utcDayStart, type PnlView, type LastPrice } from './pnl.js'
export { positionsOf, openOrderCountOf, openIntentStates, isExitOrder, type PositionView, type RiskIntent } from './positions.js'
export { demoRecordOf } from './demo-record.js'
export { isRaise, riskLimitChanges, describeRiskLimitChanges, riskLimitFields, type RiskLimitChange, type RiskLimitField } from './is-raise.js'
