import { useEffect, useState } from 'react'
import { onSystemThemeChange } from '../../lib/theme'
import type { DraftLineKind } from './draft-lines'

/**
 * The chart draws on canvas, so it cannot use the stylesheet: it reads the theme's colours from the
 * CSS custom properties of styles.css instead, and again whenever the theme changes (as the Demo
 * page's chart does).
 */
export type TradeChartColors = { background: string; text: string; grid: string; up: string; down: string; lines: Readonly<Record<DraftLineKind, string>> }

const readColors = (): TradeChartColors => {
  const style = getComputedStyle(document.documentElement)
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  const up = read('--ok', '#17744a')
  const down = read('--bad', '#b42318')
  return {
    background: read('--surface', '#ffffff'),
    text: read('--text-muted', '#4f5d70'),
    grid: read('--border', '#d5dbe3'),
    up,
    down,
    // Entry in the accent colour, targets in profit green, the stop in loss red, a trigger in warning amber.
    lines: { entry: read('--accent', '#0f7466'), trigger: read('--warn', '#8a5a00'), target: up, stop: down },
  }
}

export const useTradeChartColors = (): TradeChartColors => {
  const [colors, setColors] = useState(readColors)
  useEffect(() => {
    const refresh = () => setColors(readColors())
    // The theme toggle sets <html data-theme>; with no choice saved, the system preference decides.
    const observer = new MutationObserver(refresh)
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
    const stopSystem = onSystemThemeChange(refresh)
    return () => {
      observer.disconnect()
      stopSystem()
    }
  }, [])
  return colors
}
