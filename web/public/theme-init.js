/* global window, document */
// Applies the theme saved by the theme toggle before first paint (no flash of the wrong theme).
// Kept in sync with web/src/lib/theme.ts: same storage key, same values.
;(function () {
  try {
    var saved = window.localStorage.getItem('bulwark.theme')
    if (saved === 'light' || saved === 'dark') document.documentElement.dataset.theme = saved
  } catch {
    // Storage can be unavailable (privacy mode); the system theme applies.
  }
})()
