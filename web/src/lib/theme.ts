/**
 * Light and dark themes. With nothing saved the page follows `prefers-color-scheme` (pure CSS);
 * the toggle saves a choice, which `public/theme-init.js` applies before first paint.
 */

export type Theme = 'light' | 'dark'

/** Also read by web/public/theme-init.js: change both together. */
export const THEME_STORAGE_KEY = 'bulwark.theme'

const darkQuery = '(prefers-color-scheme: dark)'

export const readSavedTheme = (): Theme | undefined => {
  try {
    const saved = window.localStorage.getItem(THEME_STORAGE_KEY)
    return saved === 'light' || saved === 'dark' ? saved : undefined
  } catch {
    return undefined // storage disabled: follow the system
  }
}

export const saveTheme = (theme: Theme): void => {
  try {
    window.localStorage.setItem(THEME_STORAGE_KEY, theme)
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
}

export const systemTheme = (): Theme => (window.matchMedia(darkQuery).matches ? 'dark' : 'light')

export const applyTheme = (theme: Theme): void => {
  document.documentElement.dataset.theme = theme
}

/** Calls `listener` when the system theme changes; returns the unsubscribe function. */
export const onSystemThemeChange = (listener: (theme: Theme) => void): (() => void) => {
  const query = window.matchMedia(darkQuery)
  const handle = (event: MediaQueryListEvent) => listener(event.matches ? 'dark' : 'light')
  query.addEventListener('change', handle)
  return () => query.removeEventListener('change', handle)
}

export const otherTheme = (theme: Theme): Theme => (theme === 'dark' ? 'light' : 'dark')
