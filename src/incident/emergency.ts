import { AppError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import type { Db } from '../db/index.js'
import type { AccountTokens } from '../auth/index.js'
import type { IncidentStore } from './incident-store.js'
import type { Lockdown, RequestCtx } from './lockdown.js'

/**
 * The emergency link of every security email (R19): no sign-in needed. Mail scanners follow links, so the
 * link only opens a page; `preview` (what the page shows) changes nothing and does not use the link, and
 * only the page's POST (`lockDown`) spends it and locks down every workspace where its user may pull the
 * brake (owner, admin, trader).
 */
export const createEmergency = ({ db, store, tokens, lockdown, logger }: { db: Db; store: IncidentStore; tokens: Pick<AccountTokens, 'peek' | 'consumeIn'>; lockdown: Pick<Lockdown, 'lockdown'>; logger?: Pick<Logger, 'warn'> | undefined }) => {
  /** @throws AppError BAD_INPUT for an unknown, used or expired link */
  const preview = async (token: string) => {
    const { userId } = await tokens.peek(token, 'emergency_lockdown')
    const rows = await store.lockableWorkspacesOf(db, userId)
    return { workspaces: rows.map((w) => ({ id: w.id, name: w.name, role: w.role, locked: w.lockedAt !== null })) }
  }

  /**
   * Spends the link, then locks each workspace down (keys first in each; the rest of each lockdown continues
   * in the background). One workspace failing does not stop the others.
   * @throws AppError BAD_INPUT for an unknown, used or expired link
   */
  const lockDown = async (token: string, ctx: RequestCtx = {}) => {
    const { userId } = await db.transaction((tx) => tokens.consumeIn(tx, token, 'emergency_lockdown'))
    const rows = await store.lockableWorkspacesOf(db, userId)
    const results: Array<{ id: string; name: string; incidentId: string | null; error: string | null }> = []
    for (const w of rows) {
      try {
        const r = await lockdown.lockdown({ type: 'user', userId }, w.id, { trigger: 'emergency_link' }, { background: true, ctx })
        results.push({ id: w.id, name: w.name, incidentId: r.incident.id, error: null })
      } catch (err) {
        logger?.warn({ err, workspaceId: w.id }, 'emergency lockdown of a workspace failed')
        results.push({ id: w.id, name: w.name, incidentId: null, error: err instanceof AppError ? err.message : 'the lockdown failed: sign in and use the lockdown button' })
      }
    }
    return { workspaces: results }
  }

  return { preview, lockDown }
}
export type Emergency = ReturnType<typeof createEmergency>
