/**
 * The dashboard's pages by pathname. Pure: `use-route.ts` connects it to the browser's history.
 * The server answers any non-/api path that asks for text/html with index.html, so every path here
 * can be opened directly, including the links in account emails (`/verify-email#token=…`).
 */

export const routePaths = {
  home: '/',
  signIn: '/sign-in',
  signUp: '/sign-up',
  forgotPassword: '/forgot-password',
  resetPassword: '/reset-password',
  verifyEmail: '/verify-email',
  confirmEmail: '/confirm-email',
  unlock: '/unlock',
  notMe: '/not-me',
  security: '/security',
  tokens: '/tokens',
  exchanges: '/exchanges',
  demo: '/demo',
  trade: '/trade',
  smartTrades: '/smart-trades',
  bots: '/bots',
  alerts: '/alerts',
  securityCenter: '/security-center',
  activity: '/activity',
  audit: '/audit',
  notifications: '/notifications',
  incidents: '/incidents',
  emergencyLockdown: '/emergency-lockdown',
  confirmUnlock: '/confirm-unlock',
  lockedDown: '/locked-down',
  settings: '/settings',
  team: '/team',
  approvals: '/approvals',
  policies: '/policies',
  invite: '/invite',
} as const

export type RouteName = keyof typeof routePaths

/** `id` is set on a page that lists things and shows one of them: "/bots/<id>". */
export type Route = { name: RouteName; id?: string } | { name: 'notFound'; path: string }

/** Pages that open one of their items at "<page>/<id>" (ids are the server's UUIDs). */
const itemPages: readonly RouteName[] = ['smartTrades', 'bots', 'incidents']
const ITEM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * Pages opened from an account email; shown the same way whether or not someone is signed in. The
 * "locked down" page joins them: the lockdown ends the session of whoever pressed the button, and the
 * page that says so must not vanish when it does.
 */
export type EmailLinkRouteName = 'resetPassword' | 'verifyEmail' | 'confirmEmail' | 'unlock' | 'notMe' | 'emergencyLockdown' | 'confirmUnlock' | 'lockedDown' | 'invite'
const emailLinkRoutes: readonly RouteName[] = ['resetPassword', 'verifyEmail', 'confirmEmail', 'unlock', 'notMe', 'emergencyLockdown', 'confirmUnlock', 'lockedDown', 'invite']

/**
 * True for the emailed-link pages. They stay mounted when the session changes under them (a reset or
 * a "not me" lock ends this browser's session too), so their result is not lost.
 */
export const isEmailLinkRoute = (route: Route): route is { name: EmailLinkRouteName } => emailLinkRoutes.includes(route.name as RouteName)

const titles: Record<RouteName | 'notFound', string> = {
  home: 'Bulwark',
  signIn: 'Sign in',
  signUp: 'Create an account',
  forgotPassword: 'Forgot password',
  resetPassword: 'Choose a new password',
  verifyEmail: 'Verify your email',
  confirmEmail: 'Confirm your new email',
  unlock: 'Unlock your account',
  notMe: 'Secure your account',
  security: 'Security',
  tokens: 'API tokens',
  exchanges: 'Exchanges',
  demo: 'Demo exchange',
  trade: 'Trade',
  smartTrades: 'Smart Trades',
  bots: 'Signal Bots',
  alerts: 'Alerts',
  securityCenter: 'Security center',
  activity: 'Exchange activity',
  audit: 'Audit log',
  notifications: 'Notifications',
  incidents: 'Incidents',
  emergencyLockdown: 'Emergency lockdown',
  confirmUnlock: 'Confirm the unlock',
  lockedDown: 'Locked down',
  settings: 'Settings',
  team: 'Team',
  approvals: 'Approvals',
  policies: 'Workspace policies',
  invite: 'Join a workspace',
  notFound: 'Page not found',
}

const byPath: ReadonlyMap<string, RouteName> = new Map(
  Object.entries(routePaths).map(([name, path]) => [path, name as RouteName]),
)

/** "/Security/" and "/security" are the same page; "/bots/<uuid>" is the Bots page showing one; anything unknown is `notFound`. */
export const matchRoute = (pathname: string): Route => {
  const trimmed = pathname.replace(/\/+$/, '')
  const normalized = trimmed === '' ? '/' : trimmed.toLowerCase()
  const name = byPath.get(normalized)
  if (name !== undefined) return { name }
  const slash = normalized.lastIndexOf('/')
  const parent = byPath.get(normalized.slice(0, slash))
  const id = normalized.slice(slash + 1)
  if (parent !== undefined && itemPages.includes(parent) && ITEM_ID.test(id)) return { name: parent, id }
  return { name: 'notFound', path: pathname }
}

export const pathFor = (name: RouteName): string => routePaths[name]

/** The entries of the main navigation (web/src/components/side-nav.tsx draws them). */
export type MainNavEntry = 'home' | 'trade' | 'bots' | 'exchanges' | 'demo' | 'activity' | 'audit' | 'alerts' | 'securityCenter' | 'team' | 'approvals' | 'settings'

/**
 * The main navigation entry a page belongs to, marked current while it is open: a Smart Trade is part
 * of Trade, an incident of the security center, the account's security, API tokens, notification
 * rules and the workspace's policies of Settings. Undefined for pages outside the navigation (not found, emailed links).
 */
export const mainNavEntry = (route: Route): MainNavEntry | undefined => {
  switch (route.name) {
    case 'home':
    case 'trade':
    case 'bots':
    case 'exchanges':
    case 'demo':
    case 'activity':
    case 'audit':
    case 'alerts':
    case 'securityCenter':
    case 'team':
    case 'approvals':
    case 'settings':
      return route.name
    case 'smartTrades':
      return 'trade'
    case 'incidents':
      return 'securityCenter'
    case 'security':
    case 'tokens':
    case 'notifications':
    case 'policies':
      return 'settings'
    default:
      return undefined
  }
}

/** "/bots/<id>", "/incidents/<id>": one item of a page that lists them. */
export const itemPathFor = (name: 'smartTrades' | 'bots' | 'incidents', id: string): string => `${routePaths[name]}/${encodeURIComponent(id)}`

/** The document title for a page: "Security · Bulwark". */
export const documentTitle = (route: Route): string => (route.name === 'home' ? 'Bulwark' : `${titles[route.name]} · Bulwark`)

/**
 * The token from an emailed link's fragment (`#token=…`). The fragment never reaches the server or
 * its logs; the page reads it here and sends it in a POST body.
 */
export const tokenFromFragment = (hash: string): string | undefined => {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim()
  return token === undefined || token === '' ? undefined : token
}

export type ClickLike = {
  button: number
  metaKey: boolean
  ctrlKey: boolean
  shiftKey: boolean
  altKey: boolean
  defaultPrevented: boolean
}

/** A plain left click the page may handle itself; modified clicks keep the browser's meaning (new tab, …). */
export const isPlainLeftClick = (event: ClickLike): boolean =>
  event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey && !event.defaultPrevented
