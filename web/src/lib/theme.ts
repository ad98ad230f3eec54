/**
 * Light and dark themes. With nothing saved the page follows `prefers-color-scheme` (pure CSS);
 * a saved choice is applied before first paint by `public/theme-init.js` (an external script: the
 * CSP forbids inline ones), so the page never flashes the other theme.
 */

export type Theme = 'light' | 'dark'

/** What the person picked: one theme, or whatever the system says. */
export type ThemeChoice = Theme | 'system'

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

/** Saves a theme, or forgets it for 'system'. */
export const saveThemeChoice = (choice: ThemeChoice): void => {
  try {
    if (choice === 'system') window.localStorage.removeItem(THEME_STORAGE_KEY)
    else window.localStorage.setItem(THEME_STORAGE_KEY, choice)
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
}

export const systemTheme = (): Theme => (window.matchMedia(darkQuery).matches ? 'dark' : 'light')

/** Forces a theme on <html data-theme>, or (for 'system') lets the CSS media query decide. */
export const applyThemeChoice = (choice: ThemeChoice): void => {
  if (choice === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = choice
}

/** Calls `listener` when the system theme changes; returns the unsubscribe function. */
export const onSystemThemeChange = (listener: (theme: Theme) => void): (() => void) => {
  const query = window.matchMedia(darkQuery)
  const handle = (event: MediaQueryListEvent) => listener(event.matches ? 'dark' : 'light')
  query.addEventListener('change', handle)
  return () => query.removeEventListener('change', handle)
}

export const otherTheme = (theme: Theme): Theme => (theme === 'dark' ? 'light' : 'dark')
