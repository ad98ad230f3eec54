import { venueSpecSchema, type VenueSpec } from '../venue-spec.js'
import { binance } from './binance.js'
import { binanceus } from './binanceus.js'
import { binanceusdm } from './binanceusdm.js'
import { bitfinex } from './bitfinex.js'
import { bitget } from './bitget.js'
import { bitgetFutures } from './bitget-futures.js'
import { blofin } from './blofin.js'
import { bybit } from './bybit.js'
import { bybitLinear } from './bybit-linear.js'
import { exmo } from './exmo.js'
import { gate } from './gate.js'
import { htx } from './htx.js'
import { kraken } from './kraken.js'
import { kucoin } from './kucoin.js'
import { mexc } from './mexc.js'
import { okx } from './okx.js'
import { xt } from './xt.js'

/**
 * Every venue Bulwark connects, validated once when this module loads: a malformed entry stops the
 * process at start rather than mis-signing later. Order is the connect form's order.
 */
const raw: readonly VenueSpec[] = [binance, okx, bybit, kucoin, bitget, mexc, gate, kraken, binanceus, bitfinex, xt, exmo, htx, binanceusdm, bybitLinear, bitgetFutures, blofin]

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

const load = (): ReadonlyMap<string, VenueSpec> => {
  const byId = new Map<string, VenueSpec>()
  for (const spec of raw) {
    const parsed = venueSpecSchema.safeParse(spec)
    if (!parsed.success) throw new Error(`venue "${spec.catalogue.id}" is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    if (byId.has(spec.catalogue.id)) throw new Error(`venue "${spec.catalogue.id}" is listed twice`)
    byId.set(spec.catalogue.id, deepFreeze(parsed.data))
  }
  return byId
}

export const venueSpecs: ReadonlyMap<string, VenueSpec> = load()

export const venueSpec = (id: string): VenueSpec | undefined => venueSpecs.get(id)
