import { sql } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import { rowsOf, type Db } from '../db/index.js'

export type MeView = {
  user: { id: string; email: string; displayName: string; emailVerified: boolean; antiPhishingCode: string | null }
  security: { totp: boolean; passkeys: number; recoveryCodesLeft: number }
  workspaces: Array<{ id: string; name: string; role: string }>
}

const TTL_MS = 1_000
const MAX = 10_000

/**
 * What the dashboard asks on every page: the user, their factors and their workspaces, in one SQL
 * statement, reused for at most a second. Any change a user makes through the api drops their entry
 * (see app.ts); a change made elsewhere shows within the second.
 */
export const createMeReader = ({ db, clock }: { db: Db; clock: Clock }) => {
  const cache = new Map<string, { view: MeView; at: number }>()

  const load = async (userId: string): Promise<MeView | undefined> => {
    const [row] = rowsOf<{
      id: string
      email: string
      displayName: string
      verified: boolean
      code: string | null
      totp: boolean
      passkeys: number | string
      codes: number | string
      workspaces: Array<{ id: string; name: string; role: string }> | null
    }>(
      await db.execute(sql`
        select u.id, u.email, u.display_name as "displayName", u.email_verified_at is not null as verified, u.anti_phishing_code as code,
          exists (select 1 from totp_credentials t where t.user_id = u.id and t.confirmed_at is not null) as totp,
          (select count(*) from passkeys p where p.user_id = u.id) as passkeys,
          (select count(*) from recovery_codes r where r.user_id = u.id and r.used_at is null) as codes,
          (select json_agg(json_build_object('id', w.id, 'name', w.name, 'role', m.role) order by w.created_at)
             from memberships m join workspaces w on w.id = m.workspace_id where m.user_id = u.id and w.deleted_at is null) as workspaces
        from users u where u.id = ${userId}`),
    )
    if (!row) return undefined
    return {
      user: { id: row.id, email: row.email, displayName: row.displayName, emailVerified: row.verified, antiPhishingCode: row.code },
      security: { totp: row.totp, passkeys: Number(row.passkeys), recoveryCodesLeft: Number(row.codes) },
      workspaces: row.workspaces ?? [],
    }
  }

  const get = async (userId: string): Promise<MeView | undefined> => {
    const now = clock.now().getTime()
    const hit = cache.get(userId)
    if (hit && now - hit.at < TTL_MS) return hit.view
    const view = await load(userId)
    if (!view) return undefined
    if (cache.size >= MAX) cache.delete(cache.keys().next().value as string)
    cache.set(userId, { view, at: now })
    return view
  }

  return { get, forget: (userId: string) => void cache.delete(userId), forgetAll: () => cache.clear() }
}
export type MeReader = ReturnType<typeof createMeReader>
