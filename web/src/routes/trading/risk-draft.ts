import { riskLimitsSchema } from '../../api/trading/schemas'
import type { RiskLimits } from '../../api/trading/queries'
import { normalizeDecimal } from '../../lib/key-limits'
import { fieldErrorsOf, formErrorMap, numberFrom, type FieldErrors } from './form-errors'

/**
 * Risk limits as a form: per bot (in its config) and per account. Every field may stay empty (no limit
 * of that kind at this level); the stricter of the account's and the bot's applies on the server.
 */

export type RiskDraft = {
  maxOrderNotional: string
  maxPositionNotional: string
  maxOpenOrders: string
  maxDailyLoss: string
  /** In minutes here, seconds on the wire. */
  cooldownMinutes: string
  priceBandPercent: string
}

export type RiskField = keyof RiskDraft
export const riskFields: readonly RiskField[] = ['maxOrderNotional', 'maxPositionNotional', 'maxOpenOrders', 'maxDailyLoss', 'cooldownMinutes', 'priceBandPercent']

/** The schema's limit on the cooldown (7 days), in the form's minutes. */
export const MAX_COOLDOWN_MINUTES = 7 * 24 * 60

export const emptyRiskDraft: RiskDraft = { maxOrderNotional: '', maxPositionNotional: '', maxOpenOrders: '', maxDailyLoss: '', cooldownMinutes: '', priceBandPercent: '' }

/** A decimal as typed, tidied when it can be ("0100" → "100", ".5" → "0.5"); otherwise as typed, for the schema to refuse. */
export const tidyDecimal = (text: string): string => normalizeDecimal(text) ?? text.trim()

/** A whole number of minutes as seconds; NaN when it is not one (the caller says so in its own words). */
export const minutesToSeconds = (text: string): number => (/^\d+$/.test(text.trim()) ? Number(text.trim()) * 60 : Number.NaN)

export const riskDraftFrom = (limits: RiskLimits | undefined): RiskDraft => ({
  maxOrderNotional: limits?.maxOrderNotional ?? '',
  maxPositionNotional: limits?.maxPositionNotional ?? '',
  maxOpenOrders: limits?.maxOpenOrders === undefined ? '' : String(limits.maxOpenOrders),
  maxDailyLoss: limits?.maxDailyLoss ?? '',
  cooldownMinutes: limits?.cooldownAfterStopLossSeconds === undefined ? '' : String(Math.ceil(limits.cooldownAfterStopLossSeconds / 60)),
  priceBandPercent: limits?.priceBandPercent ?? '',
})

/**
 * The candidate limits for the schema to check (empty fields left out), and the cooldown's own error:
 * the schema counts seconds, the form minutes, so its bound is explained here.
 */
export const riskCandidate = (draft: RiskDraft): { limits: Record<string, unknown>; cooldownError: string | undefined } => {
  const limits: Record<string, unknown> = {}
  let cooldownError: string | undefined
  const decimal = (key: 'maxOrderNotional' | 'maxPositionNotional' | 'maxDailyLoss' | 'priceBandPercent') => {
    if (draft[key].trim() !== '') limits[key] = tidyDecimal(draft[key])
  }
  decimal('maxOrderNotional')
  decimal('maxPositionNotional')
  if (draft.maxOpenOrders.trim() !== '') limits.maxOpenOrders = numberFrom(draft.maxOpenOrders)
  decimal('maxDailyLoss')
  if (draft.cooldownMinutes.trim() !== '') {
    const seconds = minutesToSeconds(draft.cooldownMinutes)
    if (Number.isNaN(seconds) || seconds > MAX_COOLDOWN_MINUTES * 60) cooldownError = `Enter whole minutes from 0 to ${MAX_COOLDOWN_MINUTES} (7 days).`
    else limits.cooldownAfterStopLossSeconds = seconds
  }
  decimal('priceBandPercent')
  return { limits, cooldownError }
}

/** The form field of a path inside the limits ("cooldownAfterStopLossSeconds" is the minutes field). */
export const riskFieldOf = (key: PropertyKey | undefined): RiskField | undefined => {
  if (key === 'cooldownAfterStopLossSeconds') return 'cooldownMinutes'
  return riskFields.find((field) => field === key)
}

/** An account's limits on their own (PUT …/risk), or every field's message. */
export const riskLimitsFrom = (draft: RiskDraft): { ok: true; limits: RiskLimits } | { ok: false; errors: FieldErrors } => {
  const { limits, cooldownError } = riskCandidate(draft)
  const parsed = riskLimitsSchema.safeParse(limits, { error: formErrorMap })
  if (parsed.success && cooldownError === undefined) return { ok: true, limits: parsed.data }
  return {
    ok: false,
    errors: { ...(parsed.success ? {} : fieldErrorsOf(parsed.error, (path) => riskFieldOf(path[0]))), ...(cooldownError === undefined ? {} : { cooldownMinutes: cooldownError }) },
  }
}
