import { useCallback, useEffect, useState } from 'react'
import { applyTheme, onSystemThemeChange, otherTheme, readSavedTheme, saveTheme, systemTheme, type Theme } from './theme'

/** The theme in effect and a toggle that saves the choice. */
export const useTheme = (): { theme: Theme; toggleTheme: () => void } => {
  const [saved, setSaved] = useState<Theme | undefined>(readSavedTheme)
  const [system, setSystem] = useState<Theme>(systemTheme)

  useEffect(() => onSystemThemeChange(setSystem), [])

  const theme = saved ?? system
  const toggleTheme = useCallback(() => {
    const next = otherTheme(theme)
    saveTheme(next)
    applyTheme(next)
    setSaved(next)
  }, [theme])

  return { theme, toggleTheme }
}
