import { useSyncExternalStore } from 'react'
import { applyThemeChoice, onSystemThemeChange, otherTheme, readSavedTheme, saveThemeChoice, systemTheme, THEME_STORAGE_KEY, type Theme, type ThemeChoice } from './theme'

/**
 * The theme choice, shared by every control that shows or changes it (the header's toggle, the
 * Appearance card in Settings) and kept in step with other tabs through the `storage` event.
 */
let currentChoice: ThemeChoice = readSavedTheme() ?? 'system'
const listeners = new Set<() => void>()

const setChoice = (choice: ThemeChoice): void => {
  saveThemeChoice(choice)
  applyThemeChoice(choice)
  currentChoice = choice
  for (const listener of listeners) listener()
}

const onStorage = (event: StorageEvent): void => {
  if (event.key !== THEME_STORAGE_KEY && event.key !== null) return
  currentChoice = readSavedTheme() ?? 'system'
  applyThemeChoice(currentChoice)
  for (const listener of listeners) listener()
}

const subscribeChoice = (listener: () => void) => {
  if (listeners.size === 0) window.addEventListener('storage', onStorage)
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0) window.removeEventListener('storage', onStorage)
  }
}

const subscribeSystem = (listener: () => void) => onSystemThemeChange(listener)

/** The theme in effect, the choice behind it, and the ways to change it (each saved for the next visit). */
export const useTheme = (): { theme: Theme; choice: ThemeChoice; chooseTheme: (choice: ThemeChoice) => void; toggleTheme: () => void } => {
  const choice = useSyncExternalStore(subscribeChoice, () => currentChoice)
  const system = useSyncExternalStore(subscribeSystem, systemTheme)
  const theme = choice === 'system' ? system : choice
  return { theme, choice, chooseTheme: setChoice, toggleTheme: () => setChoice(otherTheme(theme)) }
}
