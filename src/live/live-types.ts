/**
 * The topics of the live stream (GET /api/workspaces/:workspaceId/live), shared with the web app: a page
 * reloads what it shows when one of its topics changed.
 * - bots: Smart Trades and Signal Bots (status, live state), and the kill switch
 * - signals: signals received by Signal Bots
 * - orders: order intents and fills (bots, demo accounts)
 * - balances, positions: demo accounts; exchange accounts after their orders changed
 * - alerts: a new alert or a changed unread count
 * - accounts: exchange and demo accounts (added, removed, key state, settings)
 * - lock: the workspace lock (lockdown, unlock) and the trading kill switch
 * - members: members, their roles and account grants, and invitations (teams)
 * - approvals: four-eyes requests (R42): a new one, or one decided, cancelled or expired
 */
export const liveTopics = ['bots', 'signals', 'orders', 'balances', 'positions', 'alerts', 'accounts', 'lock', 'members', 'approvals'] as const
export type LiveTopic = (typeof liveTopics)[number]
