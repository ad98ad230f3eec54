import {
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  LineStyle,
  type AutoscaleInfo,
  type CandlestickData,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts'
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react'
import { fetchDemoCandles } from '../../api/demo/queries'
import { ErrorNotice } from '../../components/error-notice'
import { SelectField } from '../../components/select-field'
import { asSentence } from '../../lib/account-format'
import {
  chartSummary,
  rangeWithLines,
  timeframes,
  toCandleData,
  toFillMarkers,
  toOrderLines,
  type OrderLine,
  type Timeframe,
} from '../../lib/demo-chart-data'
import type { Candle, DemoFeed, DemoFill, DemoMarket, DemoOrder } from '../../lib/demo-parsers'
import { useChartColors } from '../../lib/chart-colors'
import { useAppSession } from '../../lib/session-context'
import { useResource, type Resource } from '../../lib/use-resource'
import { FeedStatus } from './feed-status'
import { useKeptData } from './polled'
import { useCandleChartStyle } from '../../lib/candle-chart-style'

const CANDLE_REFRESH_MS = 5_000
const CANDLE_LIMIT = 500

type ChartParts = {
  chart: IChartApi
  series: ISeriesApi<'Candlestick'>
  markers: ISeriesMarkersPluginApi<Time>
  lines: IPriceLine[]
}

type CanvasProps = {
  bars: CandlestickData<UTCTimestamp>[]
  lines: readonly OrderLine[]
  fills: readonly DemoFill[]
  symbol: string
  tickSize: string
  /** The view is fitted to the data once per symbol and timeframe; later refreshes keep the person's zoom. */
  fitKey: string
  summary: string
}

/**
 * lightweight-charts on a canvas. Options keep it within the CSP (style-src 'self'): the attribution
 * logo, the one part that would add a <style> element, is off and credited in text beside the chart.
 */
const ChartCanvas = ({ bars, lines, fills, symbol, tickSize, fitKey, summary }: CanvasProps) => {
  const containerRef = useRef<HTMLDivElement>(null)
  const partsRef = useRef<ChartParts | null>(null)
  const fittedKeyRef = useRef<string | undefined>(undefined)
  // Read by the autoscale callback, which the chart calls on its own schedule.
  const linePricesRef = useRef<number[]>([])
  const colors = useChartColors()

  useEffect(() => {
    const container = containerRef.current
    if (container === null) return
    const chart = createChart(container, {
      autoSize: true,
      layout: { attributionLogo: false },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { borderVisible: false },
    })
    const series = chart.addSeries(CandlestickSeries, {
      borderVisible: false,
      autoscaleInfoProvider: (original: () => AutoscaleInfo | null): AutoscaleInfo | null => {
        const info = original()
        return info === null || info.priceRange === null ? info : { ...info, priceRange: rangeWithLines(info.priceRange, linePricesRef.current) }
      },
    })
    partsRef.current = { chart, series, markers: createSeriesMarkers(series, []), lines: [] }
    fittedKeyRef.current = undefined
    return () => {
      partsRef.current = null
      chart.remove()
    }
  }, [])

  useCandleChartStyle(partsRef, colors, tickSize)

  useEffect(() => {
    const parts = partsRef.current
    if (parts === null) return
    parts.series.setData(bars)
    parts.markers.setMarkers(toFillMarkers(fills, bars, symbol, { buy: colors.up, sell: colors.down }))
    if (bars.length > 0 && fittedKeyRef.current !== fitKey) {
      parts.chart.timeScale().fitContent()
      fittedKeyRef.current = fitKey
    }
  }, [bars, fills, symbol, colors, fitKey])

  useEffect(() => {
    const parts = partsRef.current
    if (parts === null) return
    for (const line of parts.lines) parts.series.removePriceLine(line)
    linePricesRef.current = lines.map((line) => line.price)
    parts.lines = lines.map((line) =>
      parts.series.createPriceLine({
        id: line.id,
        price: line.price,
        color: line.side === 'buy' ? colors.up : colors.down,
        lineWidth: 1,
        lineStyle: line.isStop ? LineStyle.Dashed : LineStyle.Solid,
        axisLabelVisible: true,
        title: line.title,
      }),
    )
  }, [lines, colors])

  return <div ref={containerRef} className="chart__canvas" role="img" aria-label={summary} />
}

type Loaded = { symbol: string; timeframe: Timeframe; candles: Candle[] }

/** What the canvas cannot say: loading, no candles yet, or why they could not be loaded. */
const CandleStatus = ({ resource, current, symbol, onRetry }: { resource: Resource<Loaded>; current: Loaded | undefined; symbol: string; onRetry: () => void }) => {
  if (resource.status === 'error') {
    return current === undefined ? (
      <div className="stack">
        <ErrorNotice error={resource.error} />
        <div className="form__actions">
          <button type="button" className="button button--secondary button--small" onClick={onRetry}>
            Try again
          </button>
        </div>
      </div>
    ) : (
      <p className="stale-note">Not refreshed: {asSentence(resource.error.message)}</p>
    )
  }
  if (current === undefined) return <p className="empty" aria-busy="true">Loading {symbol} candles…</p>
  return current.candles.length === 0 ? <p className="empty">No candles for {symbol} yet: the feed has not traded it.</p> : null
}

type Props = {
  workspaceId: string
  market: DemoMarket
  openOrders: readonly DemoOrder[]
  fills: readonly DemoFill[]
  feed: Resource<DemoFeed>
}

/** Candles of the selected symbol with the account's open orders as price lines and its fills as arrows. */
export const CandleChart = ({ workspaceId, market, openOrders, fills, feed }: Props) => {
  const { client } = useAppSession()
  const [timeframe, setTimeframe] = useState<Timeframe>('1m')
  const timeframeId = useId()
  const { symbol } = market

  const load = useCallback(
    async (signal: AbortSignal): Promise<Loaded> => ({
      symbol,
      timeframe,
      candles: await fetchDemoCandles(client, workspaceId, { symbol, timeframe, limit: CANDLE_LIMIT }, signal),
    }),
    [client, workspaceId, symbol, timeframe],
  )
  const candles = useResource(load, { refreshMs: CANDLE_REFRESH_MS })
  const kept = useKeptData(candles.resource)
  // Until the new symbol's candles arrive, show none rather than the previous symbol's.
  const current = kept !== undefined && kept.symbol === symbol && kept.timeframe === timeframe ? kept : undefined
  const bars = useMemo(() => toCandleData(current?.candles ?? []), [current])
  const lines = useMemo(() => toOrderLines(openOrders, symbol), [openOrders, symbol])
  const markerCount = useMemo(() => toFillMarkers(fills, bars, symbol, { buy: '', sell: '' }).length, [fills, bars, symbol])

  return (
    <div className="chart">
      <div className="chart__toolbar">
        <SelectField
          id={timeframeId}
          label="Timeframe"
          value={timeframe}
          onChange={(event) => setTimeframe(timeframes.find((option) => option === event.target.value) ?? '1m')}
        >
          {timeframes.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </SelectField>
        <FeedStatus feed={feed} />
      </div>
      <CandleStatus resource={candles.resource} current={current} symbol={symbol} onRetry={candles.reload} />
      <ChartCanvas
        bars={bars}
        lines={lines}
        fills={fills}
        symbol={symbol}
        tickSize={market.tickSize}
        fitKey={`${symbol} ${timeframe}`}
        summary={chartSummary(symbol, timeframe, current?.candles ?? [], lines.length, markerCount)}
      />
      <p className="chart__legend">
        Lines: your open orders (dashed at a stop&apos;s trigger). Arrows: your fills. Times in UTC. Chart by{' '}
        <a href="https://www.tradingview.com/" target="_blank" rel="noopener noreferrer">
          TradingView Lightweight Charts
        </a>
        .
      </p>
    </div>
  )
}
