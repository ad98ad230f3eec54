import {
  CandlestickSeries,
  createChart,
  LineStyle,
  type AutoscaleInfo,
  type CandlestickData,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts'
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react'
import { fetchDemoCandles } from '../../api/demo/queries'
import { ErrorNotice } from '../../components/error-notice'
import { SelectField } from '../../components/select-field'
import { asSentence } from '../../lib/account-format'
import { rangeWithLines, timeframes, toCandleData, type Timeframe } from '../../lib/demo-chart-data'
import type { Candle, DemoFeed, DemoMarket } from '../../lib/demo-parsers'
import { useAppSession } from '../../lib/session-context'
import { useResource, type Resource } from '../../lib/use-resource'
import { FeedStatus } from '../demo/feed-status'
import { useKeptData } from '../demo/polled'
import { useLiveRefresh } from '../trading/use-live-refresh'
import { useTradeChartColors, type TradeChartColors } from './chart-colors'
import type { DraftLine } from './draft-lines'
import { attachLineDrag, followLinesWithGrips } from './line-drag'
import { useCandleChartStyle } from '../../lib/candle-chart-style'

/**
 * The Trade page's chart, in its own chunk (lightweight-charts is most of its weight): candles of the
 * symbol, refreshed every few seconds, with the Smart Trade form's entry, targets and stop as price
 * lines that can be dragged (line-drag.ts). The form stays the accessible way to set the same values:
 * the lines are hidden from assistive technology, and a hint says so.
 */

const CANDLE_REFRESH_MS = 3_000
const CANDLE_LIMIT = 300

type Parts = { chart: IChartApi; series: ISeriesApi<'Candlestick'>; lines: Map<string, IPriceLine> }

type CanvasProps = {
  bars: CandlestickData<UTCTimestamp>[]
  lines: readonly DraftLine[]
  tickSize: string
  /** The view is fitted to the data once per symbol and timeframe; later refreshes keep the person's zoom. */
  fitKey: string
  summary: string
  colors: TradeChartColors
  onDragLine: (id: string, price: number) => void
  /** The hint that says the lines are for pointers, and the form for the keyboard. */
  hintId: string
}

const TradeCanvas = ({ bars, lines, tickSize, fitKey, summary, colors, onDragLine, hintId }: CanvasProps) => {
  const plotRef = useRef<HTMLDivElement>(null)
  const hostRef = useRef<HTMLDivElement>(null)
  const partsRef = useRef<Parts | null>(null)
  const fittedKeyRef = useRef<string | undefined>(undefined)
  // Read by event listeners and the chart's callbacks, which outlive a render.
  const linesRef = useRef(lines)
  const onDragRef = useRef(onDragLine)
  const isDraggingRef = useRef(false)
  // Prices the autoscale takes in. Frozen while a line is dragged: a scale that grew to follow the
  // dragged line would move the line away from the pointer, which would drag it further, and so on.
  const scalePricesRef = useRef<number[]>([])
  const handleRefs = useRef(new Map<string, HTMLElement>())
  const [isDragging, setIsDragging] = useState(false)

  useEffect(() => {
    linesRef.current = lines
    onDragRef.current = onDragLine
    if (!isDraggingRef.current) scalePricesRef.current = lines.map((line) => line.price)
  }, [lines, onDragLine])

  useEffect(() => {
    const host = hostRef.current
    if (host === null) return
    // The attribution logo, the one part that would add a <style> element (CSP style-src 'self'), is
    // off and credited in the legend.
    const chart = createChart(host, { autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true, secondsVisible: false }, rightPriceScale: { borderVisible: false } })
    const series = chart.addSeries(CandlestickSeries, {
      borderVisible: false,
      // The last price keeps its label on the scale; its line would double a market entry's.
      priceLineVisible: false,
      autoscaleInfoProvider: (original: () => AutoscaleInfo | null): AutoscaleInfo | null => {
        const info = original()
        return info === null || info.priceRange === null ? info : { ...info, priceRange: rangeWithLines(info.priceRange, scalePricesRef.current) }
      },
    })
    partsRef.current = { chart, series, lines: new Map() }
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
    if (bars.length > 0 && fittedKeyRef.current !== fitKey) {
      parts.chart.timeScale().fitContent()
      fittedKeyRef.current = fitKey
    }
  }, [bars, fitKey])

  // The price lines follow the form: moved in place (a drag updates them many times a second), added
  // and removed as targets come and go.
  useEffect(() => {
    const parts = partsRef.current
    if (parts === null) return
    const wanted = new Set(lines.map((line) => line.id))
    for (const [id, priceLine] of parts.lines) {
      if (wanted.has(id)) continue
      parts.series.removePriceLine(priceLine)
      parts.lines.delete(id)
    }
    for (const line of lines) {
      const options = {
        price: line.price,
        color: colors.lines[line.kind],
        lineWidth: 2 as const,
        lineStyle: line.kind === 'entry' || line.kind === 'trigger' ? LineStyle.Dashed : LineStyle.Solid,
        axisLabelVisible: true,
        // The label rides on the grip at the line's left end (below), where it does not cover the price scale.
        title: '',
      }
      const existing = parts.lines.get(line.id)
      if (existing === undefined) parts.lines.set(line.id, parts.series.createPriceLine({ id: line.id, ...options }))
      else existing.applyOptions(options)
    }
  }, [lines, colors])

  useEffect(() => {
    const host = hostRef.current
    if (host === null) return
    return followLinesWithGrips(host, {
      chart: () => partsRef.current ?? undefined,
      lines: () => linesRef.current,
      grip: (id) => handleRefs.current.get(id),
    })
  }, [])

  useEffect(() => {
    const plot = plotRef.current
    const host = hostRef.current
    if (plot === null || host === null) return
    return attachLineDrag(plot, host, {
      series: () => partsRef.current?.series,
      lines: () => linesRef.current,
      onDrag: (id, price) => onDragRef.current(id, price),
      onDragging: (isOn) => {
        isDraggingRef.current = isOn
        if (!isOn) scalePricesRef.current = linesRef.current.map((line) => line.price)
        // The chart's own pan and zoom pause while a line moves.
        partsRef.current?.chart.applyOptions({ handleScroll: !isOn, handleScale: !isOn })
        setIsDragging(isOn)
      },
    })
  }, [])

  const registerHandle = useCallback(
    (id: string) => (element: HTMLElement | null) => {
      if (element === null) handleRefs.current.delete(id)
      else handleRefs.current.set(id, element)
    },
    [],
  )

  return (
    <div ref={plotRef} className={isDragging ? 'trade-chart__plot trade-chart__plot--dragging' : 'trade-chart__plot'}>
      <div ref={hostRef} className="trade-chart__canvas" role="img" aria-label={summary} aria-describedby={hintId} />
      {/* A grip at the left end of each line: where to grab it, and (data-line, data-price) where it is. */}
      <div className="trade-chart__handles" aria-hidden="true">
        {lines.map((line) => (
          <div
            key={line.id}
            ref={registerHandle(line.id)}
            className={`trade-chart__handle trade-chart__handle--${line.kind}${line.isDraggable ? '' : ' trade-chart__handle--fixed'}`}
            data-line={line.id}
            data-price={String(line.price)}
            hidden
          >
            {line.isDraggable ? '⇕' : ''} {line.label}
          </div>
        ))}
      </div>
    </div>
  )
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
  if (current === undefined) return <p className="trade-chart__status empty">Loading {symbol} candles…</p>
  return current.candles.length === 0 ? <p className="trade-chart__status empty">No candles for {symbol} yet: the feed has not traded it.</p> : null
}

/** The canvas in words, for screen readers: the symbol, the last close and where the lines are. */
const summaryOf = (symbol: string, timeframe: Timeframe, candles: readonly Candle[], lines: readonly DraftLine[]): string => {
  const last = candles.at(-1)
  const parts = [`${symbol} ${timeframe} candles`, last === undefined ? 'no candles yet' : `last close ${last.close}`]
  if (lines.length > 0) parts.push(`lines: ${lines.map((line) => `${line.label} at ${String(line.price)}`).join(', ')}`)
  return parts.join(', ')
}

type Props = {
  workspaceId: string
  market: DemoMarket
  lines: readonly DraftLine[]
  onDragLine: (id: string, price: number) => void
  feed: Resource<DemoFeed>
  /** For a real exchange account: the demo feed stands in as the reference price, and the chart says so. */
  referenceNote: string | undefined
}

/** Candles of the market with the Smart Trade's lines, the timeframe switch, the last price and the data source. */
export const TradeChart = ({ workspaceId, market, lines, onDragLine, feed, referenceNote }: Props) => {
  const { client } = useAppSession()
  const [timeframe, setTimeframe] = useState<Timeframe>('1m')
  const timeframeId = useId()
  const hintId = useId()
  const colors = useTradeChartColors()
  const refreshMs = useLiveRefresh(CANDLE_REFRESH_MS)
  const { symbol } = market

  const load = useCallback(
    async (signal: AbortSignal): Promise<Loaded> => ({ symbol, timeframe, candles: await fetchDemoCandles(client, workspaceId, { symbol, timeframe, limit: CANDLE_LIMIT }, signal) }),
    [client, workspaceId, symbol, timeframe],
  )
  const candles = useResource(load, { refreshMs })
  const kept = useKeptData(candles.resource)
  // Until the new symbol's candles arrive, show none rather than the previous symbol's.
  const current = kept !== undefined && kept.symbol === symbol && kept.timeframe === timeframe ? kept : undefined
  const bars = useMemo(() => toCandleData(current?.candles ?? []), [current])
  const last = market.last ?? current?.candles.at(-1)?.close

  return (
    <div className="trade-chart">
      <div className="chart__toolbar">
        <SelectField id={timeframeId} label="Timeframe" value={timeframe} onChange={(event) => setTimeframe(timeframes.find((option) => option === event.target.value) ?? '1m')}>
          {timeframes.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </SelectField>
        <p className="trade-chart__last">
          <span className="trade-chart__last-label">Last</span> <span className="num">{last ?? '—'}</span>
        </p>
      </div>
      <FeedStatus feed={feed} />
      {referenceNote === undefined ? null : <p className="trade-chart__reference">{referenceNote}</p>}
      <CandleStatus resource={candles.resource} current={current} symbol={symbol} onRetry={candles.reload} />
      <p id={hintId} className="visually-hidden">
        The entry, take-profit and stop-loss lines on this chart can be dragged with a mouse or a finger. They are not reachable by keyboard: the same values are the
        fields of the New Smart Trade form, and typing there moves the lines.
      </p>
      <TradeCanvas
        bars={bars}
        lines={lines}
        tickSize={market.tickSize}
        fitKey={`${symbol} ${timeframe}`}
        summary={summaryOf(symbol, timeframe, current?.candles ?? [], lines)}
        colors={colors}
        onDragLine={onDragLine}
        hintId={hintId}
      />
      <p className="chart__legend">
        Drag a line to move it: dashed, the entry; green, the take-profit targets; red, the stop loss. Times in UTC. Chart by{' '}
        <a href="https://www.tradingview.com/" target="_blank" rel="noopener noreferrer">
          TradingView Lightweight Charts
        </a>
        .
      </p>
    </div>
  )
}
