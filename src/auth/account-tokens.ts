import { and, eq, gt, isNull } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { randomToken, sha256Hex } from '../crypto/index.js'
import { schema, type Db, type DbOrTx, type AccountTokenPurpose } from '../db/index.js'

const { accountTokens } = schema

/** How long each kind of emailed link works. A reset is short (R: 30 min); the others give a person time to read their mail. */
export const accountTokenTtlMinutes: Record<AccountTokenPurpose, number> = {
  verify_email: 24 * 60,
  reset_password: 30,
  unlock: 24 * 60,
  not_me: 7 * 24 * 60,
  change_email: 24 * 60,
  // In every security email: a week, so an alert read late still offers the way to lock everything down.
  emergency_lockdown: 7 * 24 * 60,
  confirm_unlock: 60,
}

/** The page of the web app each link opens; the token rides in the fragment, so it never reaches a server log. */
export const accountLinkPath: Record<AccountTokenPurpose, string> = {
  verify_email: '/verify-email',
  reset_password: '/reset-password',
  unlock: '/unlock',
  not_me: '/not-me',
  change_email: '/confirm-email',
  emergency_lockdown: '/emergency-lockdown',
  confirm_unlock: '/confirm-unlock',
}

const INVALID = 'this link is not valid any more: it was used already, it expired, or it was replaced by a newer one'

/**
 * Single-use links sent by email. The database holds only the SHA-256 of each 256-bit token; a newer
 * link of the same purpose replaces older unused ones; using one is a conditional UPDATE, so two clicks
 * racing cannot both succeed.
 */
export const createAccountTokens = ({ db, clock, publicOrigin }: { db: Db; clock: Clock; publicOrigin: string }) => {
  /** Issues a link inside the caller's transaction; returns the full URL to put in the email. */
  const issueIn = async (tx: DbOrTx, userId: string, purpose: AccountTokenPurpose, payload: Record<string, unknown> = {}): Promise<string> => {
    const now = clock.now()
    await tx.update(accountTokens).set({ usedAt: now }).where(and(eq(accountTokens.userId, userId), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt)))
    const token = randomToken(32)
    await tx.insert(accountTokens).values({
      id: newId(now.getTime()),
      tokenHash: sha256Hex(token),
      userId,
      purpose,
      payload,
      createdAt: now,
      expiresAt: new Date(now.getTime() + accountTokenTtlMinutes[purpose] * 60_000),
    })
    return `${publicOrigin}${accountLinkPath[purpose]}#token=${token}`
  }

  /**
   * Uses a link once, inside the caller's transaction (so whatever the link does commits with it).
   * @throws AppError BAD_INPUT for an unknown, used, expired or replaced link (one message for all)
   */
  const consumeIn = async (tx: DbOrTx, token: string, purpose: AccountTokenPurpose): Promise<{ userId: string; payload: Record<string, unknown> }> => {
    const now = clock.now()
    const [row] = await tx
      .update(accountTokens)
      .set({ usedAt: now })
      .where(and(eq(accountTokens.tokenHash, sha256Hex(token)), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, now)))
      .returning({ userId: accountTokens.userId, payload: accountTokens.payload })
    if (!row) throw new AppError('BAD_INPUT', INVALID)
    return { userId: row.userId, payload: row.payload as Record<string, unknown> }
  }

  /** Whose live link this is, without using it (to validate input before the link is spent). */
  const peek = async (token: string, purpose: AccountTokenPurpose): Promise<{ userId: string }> => {
    const now = clock.now()
    const [row] = await db
      .select({ userId: accountTokens.userId })
      .from(accountTokens)
      .where(and(eq(accountTokens.tokenHash, sha256Hex(token)), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, now)))
      .limit(1)
    if (!row) throw new AppError('BAD_INPUT', INVALID)
    return row
  }

  return { issueIn, consumeIn, peek }
}
export type AccountTokens = ReturnType<typeof createAccountTokens>
