import { eq, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { sha256Hex } from '../crypto/index.js'
import { schema, type Db } from '../db/index.js'

const { loginThrottle } = schema

/**
 * Online-guessing limits (SECURITY.md R24), kept in the database so they hold across api instances.
 * Per account: 10 consecutive failures lock it, with a lock that doubles from 1 minute up to 1 hour per
 * further failure; 100 lock it until an unlock (the accounts issue's emailed link, or the operator).
 * Per IP: 50 failures in 15 minutes pause that address for 15 minutes. Unknown emails are counted the
 * same way, so throttling reveals nothing about which accounts exist. A throttled attempt is refused
 * before any password is checked and does not count.
 */
export const throttlePolicy = { lockAfter: 10, ceiling: 100, ipFailures: 50, ipWindowMinutes: 15, maxLockMinutes: 60 } as const

export const accountKey = (email: string) => `account:${sha256Hex(email.trim().toLowerCase())}`
export const ipKey = (ip: string | undefined) => `ip:${ip ?? 'unknown'}`

const TOO_MANY = 'too many failed sign-ins: wait a while and try again (the unlock link sent by email works at once)'

export const createLoginThrottle = ({ db, clock }: { db: Db; clock: Clock }) => {
  /** @throws AppError RATE_LIMITED when either the account or the address is locked now */
  const check = async (email: string, ip: string | undefined) => {
    const now = clock.now().getTime()
    for (const key of [accountKey(email), ipKey(ip)]) {
      const [row] = await db.select().from(loginThrottle).where(eq(loginThrottle.key, key)).limit(1)
      if (!row) continue
      if (key.startsWith('account:') && row.failures >= throttlePolicy.ceiling) throw new AppError('RATE_LIMITED', TOO_MANY)
      if (row.lockedUntil && row.lockedUntil.getTime() > now) throw new AppError('RATE_LIMITED', TOO_MANY)
    }
  }

  const lockFor = (failures: number) => Math.min(throttlePolicy.maxLockMinutes, 2 ** (failures - throttlePolicy.lockAfter)) * 60_000

  /** One more failure from this address within its window; pauses the address when over the limit. */
  const countAddress = async (ip: string | undefined, now: Date) => {
    const windowStart = new Date(now.getTime() - throttlePolicy.ipWindowMinutes * 60_000)
    const [byIp] = await db
      .insert(loginThrottle)
      .values({ key: ipKey(ip), failures: 1, windowStartedAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: loginThrottle.key,
        // A new window once the old one is over; otherwise one more failure in it.
        set: {
          failures: sql`case when ${loginThrottle.windowStartedAt} < ${windowStart} then 1 else ${loginThrottle.failures} + 1 end`,
          windowStartedAt: sql`case when ${loginThrottle.windowStartedAt} < ${windowStart} then ${now} else ${loginThrottle.windowStartedAt} end`,
          updatedAt: now,
        },
      })
      .returning()
    if (byIp && byIp.failures >= throttlePolicy.ipFailures) {
      await db.update(loginThrottle).set({ lockedUntil: new Date(now.getTime() + throttlePolicy.ipWindowMinutes * 60_000) }).where(eq(loginThrottle.key, ipKey(ip)))
    }
  }

  /**
   * Counts one failure for the account and the address (atomically, whatever runs concurrently).
   * Returns the account's consecutive failures, so the caller can send the unlock link when it locks.
   */
  const failed = async (email: string, ip: string | undefined): Promise<number> => {
    const now = clock.now()
    const account = accountKey(email)
    const [acc] = await db
      .insert(loginThrottle)
      .values({ key: account, failures: 1, windowStartedAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: loginThrottle.key, set: { failures: sql`${loginThrottle.failures} + 1`, updatedAt: now } })
      .returning()
    if (acc && acc.failures >= throttlePolicy.lockAfter) {
      await db.update(loginThrottle).set({ lockedUntil: new Date(now.getTime() + lockFor(acc.failures)) }).where(eq(loginThrottle.key, account))
    }
    await countAddress(ip, now)
    return acc?.failures ?? 1
  }

  /** A success, or the emailed unlock link, clears the account's count (the address keeps its window). */
  const succeeded = async (email: string) => {
    await db.delete(loginThrottle).where(eq(loginThrottle.key, accountKey(email)))
  }

  /** Consecutive failures of the account so far (R33: a success after several is worth telling the owner). */
  const failuresOf = async (email: string): Promise<number> => {
    const [row] = await db.select({ failures: loginThrottle.failures }).from(loginThrottle).where(eq(loginThrottle.key, accountKey(email))).limit(1)
    return row?.failures ?? 0
  }

  /** Passwordless attempts name no account: only the address is counted. */
  const failedAddress = (ip: string | undefined) => countAddress(ip, clock.now())

  /** Only the address's limit (passwordless sign-in names no account until it succeeds). */
  const checkAddress = async (ip: string | undefined) => {
    const [row] = await db.select().from(loginThrottle).where(eq(loginThrottle.key, ipKey(ip))).limit(1)
    if (row?.lockedUntil && row.lockedUntil.getTime() > clock.now().getTime()) throw new AppError('RATE_LIMITED', TOO_MANY)
  }

  return { check, checkAddress, failed, failedAddress, succeeded, failuresOf }
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>
