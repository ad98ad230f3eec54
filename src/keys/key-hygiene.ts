import { and, isNull, notInArray } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import { schema, type Db } from '../db/index.js'
import { readWorkspaceSettings, type Alerts } from '../monitoring/index.js'
import type { ExchangeAccounts, ExchangeAccountView } from './exchange-accounts.js'

const DAY_MS = 86_400_000
/** R17: an expiry the exchange reports is announced this many days ahead (policy). */
const EXPIRY_WARNING_DAYS = 7
/** "Dedup per key per week": a key that stays due is one alert a week, counted, not one a day. */
const WEEK_MS = 7 * DAY_MS

type Verification = { withdrawEnabled?: boolean; transferEnabled?: boolean; tradingEnabled?: boolean; ipRestricted?: boolean; expiresAt?: string | null }

/** One key as the security center shows it. */
export type KeyHealth = {
  exchangeAccountId: string
  keyId: string
  exchange: string
  label: string
  state: string
  /** The state in words: "Waiting for approval" for a key a second person has not approved yet (it cannot trade). */
  stateLabel: string
  disabledReason: string | null
  testnet: boolean
  badges: { withdrawDisabled: boolean; ipRestricted: boolean; tradingEnabled: boolean }
  ageDays: number
  /** Days until the workspace's rotation period ends; negative when overdue. */
  rotationDueInDays: number
  lastUsedAt: string | null
  lastVerifiedAt: string | null
  /** When the exchange reports that the key's trading permission ends. */
  expiresAt: string | null
  /** The signer could not be asked: state and badges are the last known. */
  stale: boolean
}

const daysBetween = (from: Date, to: Date) => Math.floor((to.getTime() - from.getTime()) / DAY_MS)

const stateLabels: Readonly<Record<string, string>> = {
  active: 'Active',
  unverified: 'Unverified',
  pending_approval: 'Waiting for approval',
  disabled: 'Disabled',
  destroyed: 'Removed',
}
export const keyStateLabel = (state: string): string => (Object.hasOwn(stateLabels, state) ? (stateLabels[state] as string) : state)

/**
 * Key hygiene (issue 8, "Key hygiene"; SECURITY.md R17): a daily job that reminds before a key's
 * rotation is due, flags keys nobody used for a while and keys the exchange says will expire, and the
 * security center's per-key view. Ages count from when the current key was connected (a rotation
 * starts the clock again); "last use" is the last call the key made through the signer.
 */
export const createKeyHygiene = ({ db, clock, alerts, accounts }: { db: Db; clock: Clock; alerts: Pick<Alerts, 'raise'>; accounts?: Pick<ExchangeAccounts, 'list'> }) => {
  /**
   * Runs over every live key of the instance; returns what it raised (each de-duplicated per key by the
   * alert window). A key waiting for approval is not in service yet: no rotation, idleness or expiry alert.
   */
  const checkKeys = async (now: Date = clock.now()): Promise<{ checked: number; rotationDue: number; unused: number; expiring: number }> => {
    const rows = await db
      .select()
      .from(schema.exchangeAccounts)
      .where(and(isNull(schema.exchangeAccounts.removedAt), notInArray(schema.exchangeAccounts.state, ['destroyed', 'pending_approval'])))
    const settingsOf = new Map<string, Awaited<ReturnType<typeof readWorkspaceSettings>>>()
    const out = { checked: rows.length, rotationDue: 0, unused: 0, expiring: 0 }
    for (const row of rows) {
      let settings = settingsOf.get(row.workspaceId)
      if (!settings) settingsOf.set(row.workspaceId, (settings = await readWorkspaceSettings(db, row.workspaceId)))
      const { rotationDays, remindDaysBefore, unusedDays } = settings.keys
      const facts = { exchangeAccountId: row.id, keyId: row.keyId, exchange: row.exchange, label: row.label }
      const ageDays = daysBetween(row.keyCreatedAt, now)
      if (ageDays >= rotationDays - remindDaysBefore) {
        const dueAt = new Date(row.keyCreatedAt.getTime() + rotationDays * DAY_MS).toISOString()
        await alerts.raise({ workspaceId: row.workspaceId, rule: 'key_rotation_due', details: { ...facts, ageDays, rotationDays, dueAt }, dedupKey: row.keyId, dedupWindowMs: WEEK_MS })
        out.rotationDue++
      }
      // A rotated key's clock starts at its own connection, not at the old key's last call.
      const idleSince = row.lastUsedAt && row.lastUsedAt > row.keyCreatedAt ? row.lastUsedAt : row.keyCreatedAt
      const idleDays = daysBetween(idleSince, now)
      if (idleDays >= unusedDays) {
        await alerts.raise({ workspaceId: row.workspaceId, rule: 'key_unused', details: { ...facts, idleDays, unusedDays, lastUsedAt: row.lastUsedAt?.toISOString() ?? null }, dedupKey: row.keyId, dedupWindowMs: WEEK_MS })
        out.unused++
      }
      const expiresAt = (row.verification as Verification).expiresAt
      if (typeof expiresAt === 'string' && Date.parse(expiresAt) - now.getTime() <= EXPIRY_WARNING_DAYS * DAY_MS) {
        await alerts.raise({ workspaceId: row.workspaceId, rule: 'key_expiring', details: { ...facts, expiresAt }, dedupKey: row.keyId, dedupWindowMs: WEEK_MS })
        out.expiring++
      }
    }
    return out
  }

  const healthOf = (a: ExchangeAccountView, rotationDays: number, now: Date): KeyHealth => {
    const v = a.verification as Verification
    const keyCreatedAt = new Date(a.keyCreatedAt)
    return {
      exchangeAccountId: a.id,
      keyId: a.keyId,
      exchange: a.exchange,
      label: a.label,
      state: a.state,
      stateLabel: keyStateLabel(a.state),
      disabledReason: a.disabledReason,
      testnet: a.testnet,
      // A badge is earned only by a verification that said so: unknown counts as not safe.
      badges: { withdrawDisabled: v.withdrawEnabled === false && v.transferEnabled !== true, ipRestricted: v.ipRestricted === true, tradingEnabled: v.tradingEnabled === true },
      ageDays: daysBetween(keyCreatedAt, now),
      rotationDueInDays: rotationDays - daysBetween(keyCreatedAt, now),
      lastUsedAt: a.lastUsedAt,
      lastVerifiedAt: a.lastVerifiedAt,
      expiresAt: typeof v.expiresAt === 'string' ? v.expiresAt : null,
      stale: a.stale,
    }
  }

  /** The security center's key list for a workspace (live signer state when it answers). */
  /**
   * `live: false` reads the api's mirror of what the signer last said (no signer call): for viewers,
   * API tokens and the security score, which must not make the signer work on every page view.
   */
  const keyHealth = async (workspaceId: string, opts: { live: boolean } = { live: true }): Promise<KeyHealth[]> => {
    if (!accounts) return []
    const settings = await readWorkspaceSettings(db, workspaceId)
    const now = clock.now()
    return (await accounts.list(workspaceId, opts)).map((a) => healthOf(a, settings.keys.rotationDays, now))
  }

  return { checkKeys, keyHealth }
}
export type KeyHygiene = ReturnType<typeof createKeyHygiene>
