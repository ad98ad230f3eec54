import { useEffect, type RefObject } from 'react'
import { ColorType, type IChartApi, type ISeriesApi } from 'lightweight-charts'
import type { ChartColors } from './chart-colors'
import { priceFormatFor } from './demo-chart-data'

/**
 * Keeps a candle chart in the theme's colours and the market's price precision (the Demo and Trade
 * charts both draw one). Only chart chunks import this: it brings lightweight-charts with it.
 */
export const useCandleChartStyle = (partsRef: RefObject<{ chart: IChartApi; series: ISeriesApi<'Candlestick'> } | null>, colors: ChartColors, tickSize: string) => {
  useEffect(() => {
    const parts = partsRef.current
    if (parts === null) return
    parts.chart.applyOptions({
      layout: { background: { type: ColorType.Solid, color: colors.background }, textColor: colors.text },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
    })
    parts.series.applyOptions({ upColor: colors.up, downColor: colors.down, wickUpColor: colors.up, wickDownColor: colors.down })
  }, [partsRef, colors])

  useEffect(() => {
    partsRef.current?.series.applyOptions({ priceFormat: priceFormatFor(tickSize) })
  }, [partsRef, tickSize])
}
