import { detailLabel, detailValue } from '../../lib/account-format'
import { isRecord } from '../../lib/json-guards'

/**
 * A bot's `live` object (what its state machine says about itself) in words. The machines own its
 * shape; the keys below are the ones this page shows in their own place, and anything else that is a
 * plain value is listed as it comes, so a new field shows without a page change.
 */

export type StopPlacement = 'exchange' | 'platform'

export type LiveTarget = { price: string | null; percent: string | null; sharePercent: string | null; status: string | null }

export type LivePosition = { symbol: string | null; side: string | null; amount: string | null; averageEntry: string | null }

export type LiveView = {
  phase: string | null
  position: string | null
  averageEntry: string | null
  stopPrice: string | null
  stopPlacement: StopPlacement | null
  targets: LiveTarget[]
  /** Open positions of a Signal Bot, one per symbol. */
  positions: LivePosition[]
  /** Other plain values, labelled: [["Trailing high", "65100"]]. */
  other: [string, string][]
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null)

const first = (record: Record<string, unknown>, keys: readonly string[]): string | null => {
  for (const key of keys) {
    const value = text(record[key])
    if (value !== null) return value
  }
  return null
}

const phaseKeys = ['phase', 'state']
const positionKeys = ['position', 'positionAmount', 'filled', 'amount']
const entryKeys = ['averageEntry', 'averageEntryPrice', 'entryPrice', 'avgEntryPrice']
const stopKeys = ['stopPrice', 'stop']
const placementKeys = ['stopPlacement', 'stopsOn']
const shown: ReadonlySet<string> = new Set([...phaseKeys, ...positionKeys, ...entryKeys, ...stopKeys, ...placementKeys, 'targets', 'positions'])

const placementOf = (value: string | null): StopPlacement | null => {
  if (value === null) return null
  if (['exchange', 'venue', 'on_exchange'].includes(value)) return 'exchange'
  if (['platform', 'bulwark', 'local'].includes(value)) return 'platform'
  return null
}

export const readLive = (live: Record<string, unknown>): LiveView => {
  const targets = Array.isArray(live.targets)
    ? live.targets.filter(isRecord).map((target) => ({
        price: first(target, ['price']),
        percent: first(target, ['percent']),
        sharePercent: first(target, ['sharePercent', 'share']),
        status: first(target, ['status', 'state']),
      }))
    : []
  const positions = Array.isArray(live.positions)
    ? live.positions.filter(isRecord).map((position) => ({
        symbol: first(position, ['symbol']),
        side: first(position, ['side', 'direction']),
        amount: first(position, positionKeys),
        averageEntry: first(position, entryKeys),
      }))
    : []
  const other = Object.entries(live)
    .filter(([key, value]) => !shown.has(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
    .map(([key, value]): [string, string] => [detailLabel(key.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()), typeof value === 'boolean' ? (value ? 'Yes' : 'No') : detailValue(value)])
  return {
    phase: first(live, phaseKeys),
    position: first(live, positionKeys),
    averageEntry: first(live, entryKeys),
    stopPrice: first(live, stopKeys),
    stopPlacement: placementOf(first(live, placementKeys)),
    targets,
    positions,
    other,
  }
}

/** "waiting_entry" → "Waiting entry". */
export const words = (value: string): string => {
  const spaced = value.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim().toLowerCase()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

export const stopPlacementText: Readonly<Record<StopPlacement, string>> = {
  exchange: 'on the exchange',
  platform: 'triggered by Bulwark',
}

/** Why it matters where the stop lives, said beside it. */
export const stopPlacementHelp: Readonly<Record<StopPlacement, string>> = {
  exchange: 'The stop order rests on the exchange: it fires even if Bulwark is down.',
  platform: 'This venue cannot hold the stop order: Bulwark watches the price and sends it. It does not fire while Bulwark is down.',
}
