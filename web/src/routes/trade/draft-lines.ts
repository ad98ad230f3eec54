import { isDecimalString } from '../../lib/decimal-string'
import {
  percentBounds,
  percentChange,
  percentText,
  priceAtPercent,
  priceToTick,
  signedPercentLabel,
  type Direction,
} from '../../lib/price-lines'
import type { SmartTradeDraft, TargetDraft } from '../trading/smart-trade-draft'

/**
 * The Smart Trade form's entry, take-profit targets and stop as lines on the chart, and back: a
 * dragged line becomes the field it stands for.
 *
 * Dragging keeps the mode the person chose. A target or a stop typed as a percentage stays one: the
 * percentage is recomputed from the entry (to 0.01 %), so the trade keeps following its entry as it
 * was set up; one typed as a price becomes the dragged price, rounded to the market's tick. Either
 * way the field shows exactly what will be sent, and the schema checks it like anything typed.
 */

export type DraftLineKind = 'entry' | 'trigger' | 'target' | 'stop'

export type DraftLine = {
  /** "entry", "trigger", "tp1"…"tp5", "sl". */
  id: string
  kind: DraftLineKind
  price: number
  /** "Entry", "TP1 +2 %", "SL −3 %". */
  label: string
  /** A market entry follows the last price: nothing to drag. */
  isDraggable: boolean
}

export type MarketPrices = { last: string | null; tickSize: string }

/** A typed price or percentage as a number, or undefined while it is not a positive decimal. */
const positive = (text: string): number | undefined => {
  const trimmed = text.trim()
  if (!isDecimalString(trimmed)) return undefined
  const value = Number(trimmed)
  return value > 0 ? value : undefined
}

const directionOf = (draft: Pick<SmartTradeDraft, 'direction'>): Direction => (draft.direction === 'short' ? -1 : 1)

/**
 * The price the percentages are measured from, as the trade will measure them: the limit price, the
 * trigger's limit price (else the trigger price) of a conditional entry, or the last price for a
 * market entry (an estimate: the server measures from the average fill).
 */
export const entryReference = (draft: SmartTradeDraft, last: string | null): number | undefined => {
  switch (draft.entryType) {
    case 'market':
      return last === null ? undefined : positive(last)
    case 'limit':
      return positive(draft.entryPrice)
    case 'conditional':
      return positive(draft.triggerLimitPrice) ?? positive(draft.triggerPrice)
  }
}

const targetPrice = (target: TargetDraft, reference: number | undefined, direction: Direction): number | undefined => {
  const value = positive(target.value)
  if (value === undefined) return undefined
  if (target.mode === 'price') return value
  return reference === undefined ? undefined : priceAtPercent(reference, value, direction)
}

const withDistance = (name: string, price: number, reference: number | undefined): string =>
  reference === undefined ? name : `${name} ${signedPercentLabel(percentChange(reference, price))}`

const entryLines = (draft: SmartTradeDraft, last: string | null): DraftLine[] => {
  const at = (id: 'entry' | 'trigger', kind: DraftLineKind, price: number | undefined, label: string, isDraggable: boolean): DraftLine[] =>
    price === undefined ? [] : [{ id, kind, price, label, isDraggable }]
  switch (draft.entryType) {
    case 'market':
      return at('entry', 'entry', last === null ? undefined : positive(last), 'Entry (market)', false)
    case 'limit':
      return at('entry', 'entry', positive(draft.entryPrice), 'Entry', true)
    case 'conditional':
      return [...at('trigger', 'trigger', positive(draft.triggerPrice), 'Trigger', true), ...at('entry', 'entry', positive(draft.triggerLimitPrice), 'Entry', true)]
  }
}

/** Every line the draft has enough for, entry first, then the targets in order, then the stop. */
export const draftLines = (draft: SmartTradeDraft, market: MarketPrices): DraftLine[] => {
  const reference = entryReference(draft, market.last)
  const direction = directionOf(draft)
  const lines = entryLines(draft, market.last)
  draft.targets.forEach((target, index) => {
    const price = targetPrice(target, reference, direction)
    if (price !== undefined) lines.push({ id: `tp${index + 1}`, kind: 'target', price, label: withDistance(`TP${index + 1}`, price, reference), isDraggable: true })
  })
  const stopValue = positive(draft.stopValue)
  const stopPrice =
    stopValue === undefined || draft.stopMode === 'none'
      ? undefined
      : draft.stopMode === 'price'
        ? stopValue
        : reference === undefined
          ? undefined
          : priceAtPercent(reference, stopValue, -direction as Direction)
  if (stopPrice !== undefined) lines.push({ id: 'sl', kind: 'stop', price: stopPrice, label: withDistance('SL', stopPrice, reference), isDraggable: true })
  return lines
}

/**
 * A percentage in the trade's favour (`towards` = +1) or against it (−1), from a dragged price. Past
 * the entry it stops at 0.01 %; downwards (a long's stop, a short's target) below 100 %.
 */
const draggedPercent = (reference: number, price: number, direction: Direction, towards: Direction): string => {
  const awayFromEntry = direction * towards
  return percentText(awayFromEntry * percentChange(reference, price), awayFromEntry === 1 ? percentBounds.favour : percentBounds.belowEntry)
}

/**
 * The form change that puts line `id` at `price`, or an empty patch when there is nothing to change
 * (a market entry, a percentage with no entry to measure from, an unknown line).
 */
export const dragPatch = (draft: SmartTradeDraft, id: string, price: number, market: MarketPrices): Partial<SmartTradeDraft> => {
  const tick = (value: number) => priceToTick(value, market.tickSize)
  const reference = entryReference(draft, market.last)
  const direction = directionOf(draft)
  if (id === 'trigger') return draft.entryType === 'conditional' ? { triggerPrice: tick(price) } : {}
  if (id === 'entry') {
    if (draft.entryType === 'limit') return { entryPrice: tick(price) }
    return draft.entryType === 'conditional' ? { triggerLimitPrice: tick(price) } : {}
  }
  if (id === 'sl') {
    if (draft.stopMode === 'price') return { stopValue: tick(price) }
    return draft.stopMode === 'percent' && reference !== undefined ? { stopValue: draggedPercent(reference, price, direction, -1) } : {}
  }
  const index = /^tp([1-5])$/.exec(id)?.[1]
  const target = index === undefined ? undefined : draft.targets[Number(index) - 1]
  if (target === undefined) return {}
  const value = target.mode === 'price' ? tick(price) : reference === undefined ? undefined : draggedPercent(reference, price, direction, 1)
  if (value === undefined) return {}
  return { targets: draft.targets.map((candidate) => (candidate === target ? { ...candidate, value } : candidate)) }
}
