import type { StatusTone } from '../components/status-badge'
import { rateAsPercent, signOfDecimal } from './decimal-string'
import type { DemoAccountKind, DemoFeed, FeedSource } from './demo-parsers'

/** Words for the demo exchange's data source, accounts and numbers. */

const sourceLabels: Readonly<Record<FeedSource, string>> = {
  live: 'Live data',
  replay: 'Replay data',
  synthetic: 'Synthetic data',
}

export type FeedBadge = {
  tone: StatusTone
  label: string
  /** Said beside the badge in the warning colour: what went wrong, or what the data is instead. */
  warning: string | undefined
}

/**
 * The badge every demo view carries, so no one mistakes replayed or made-up prices for the market:
 * "Replay data (2021-05)". A source that is unreachable, or a fallback in its place, is a warning
 * with the server's words; a stopped feed says so.
 */
export const feedBadge = (feed: DemoFeed): FeedBadge => {
  const source = sourceLabels[feed.source]
  const detail = feed.detail.trim()
  switch (feed.state) {
    case 'running':
      return { tone: feed.source === 'live' ? 'ok' : 'pending', label: detail === '' ? source : `${source} (${detail})`, warning: undefined }
    case 'stopped':
      return { tone: 'pending', label: `${source}: stopped`, warning: detail === '' ? undefined : detail }
    case 'unreachable':
      return { tone: 'warn', label: `${source}: unreachable`, warning: detail === '' ? 'The data source does not answer; prices are not moving.' : detail }
    case 'fallback':
      return { tone: 'warn', label: `${source}: fallback`, warning: detail === '' ? 'The configured source is unreachable; this is fallback data.' : detail }
  }
}

export const accountKindLabels: Readonly<Record<DemoAccountKind, string>> = {
  spot: 'Demo Spot',
  futures: 'Demo Futures',
}

/** "maker 0.1 %, taker 0.1 %". */
export const feesText = (fees: { maker: string; taker: string }): string => `maker ${rateAsPercent(fees.maker)} %, taker ${rateAsPercent(fees.taker)} %`

/** A CSS modifier for profit (up), loss (down) or nothing. */
export const pnlClass = (value: string): string => {
  const sign = signOfDecimal(value)
  return sign > 0 ? 'pnl pnl--up' : sign < 0 ? 'pnl pnl--down' : 'pnl'
}

/** A time in milliseconds as the ISO string `TimeText` takes. */
export const isoOf = (ms: number): string => new Date(ms).toISOString()
