import { useMemo } from 'react'
import { useChartColors, type ChartColors } from '../../lib/chart-colors'
import type { DraftLineKind } from './draft-lines'

/** The theme's chart colours, and which of them each kind of order line takes. */
export type TradeChartColors = ChartColors & { lines: Readonly<Record<DraftLineKind, string>> }

export const useTradeChartColors = (): TradeChartColors => {
  const colors = useChartColors()
  // Entry in the accent colour, targets in profit green, the stop in loss red, a trigger in warning amber.
  return useMemo(() => ({ ...colors, lines: { entry: colors.accent, trigger: colors.warn, target: colors.up, stop: colors.down } }), [colors])
}
