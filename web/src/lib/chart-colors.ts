import { useEffect, useState } from 'react'
import { onSystemThemeChange } from './theme'

/**
 * Canvas charts cannot use the stylesheet: they read the theme's colours from the CSS custom
 * properties of styles.css instead, and again whenever the theme changes. One reader for every chart.
 */
export type ChartColors = { background: string; text: string; grid: string; up: string; down: string; accent: string; warn: string }

const readChartColors = (): ChartColors => {
  const style = getComputedStyle(document.documentElement)
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  return {
    background: read('--surface', '#ffffff'),
    text: read('--text-muted', '#4f5d70'),
    grid: read('--border', '#d5dbe3'),
    up: read('--ok', '#17744a'),
    down: read('--bad', '#b42318'),
    accent: read('--accent', '#0f7466'),
    warn: read('--warn', '#8a5a00'),
  }
}

export const useChartColors = (): ChartColors => {
  const [colors, setColors] = useState(readChartColors)
  useEffect(() => {
    const refresh = () => setColors(readChartColors())
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
