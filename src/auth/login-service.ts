import { eq } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { schema, type Db } from '../db/index.js'
import type { AuditChain } from '../monitoring/index.js'
import { hashPassword, verifyPassword } from './password.js'
import type { SessionContext, SessionService } from './session-service.js'

const { users } = schema

/** The one answer to every failed sign-in: no account enumeration by message (R28). */
export const LOGIN_FAILED = 'the email or the password is wrong'

/**
 * Password sign-in. Unknown accounts run the same path with a fixed dummy hash, so the work done (one
 * argon2id verification) and the answer are the same as for a wrong password. Throttling, lockout and the
 * second factor come with the rest of the accounts issue.
 */
export const createLoginService = ({ db, sessions, audit }: { db: Db; sessions: Pick<SessionService, 'create'>; audit: Pick<AuditChain, 'append'> }) => {
  let dummyHash: Promise<string> | undefined

  const login = async (email: string, password: string, ctx: SessionContext & { requestId?: string }) => {
    const [user] = await db.select({ id: users.id, passwordHash: users.passwordHash, disabledAt: users.disabledAt }).from(users).where(eq(users.email, email.trim().toLowerCase())).limit(1)
    dummyHash ??= hashPassword('not a real password, only here to spend the same time')
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), password)
    if (!user || !ok || user.disabledAt) {
      await audit.append({ workspaceId: null, type: 'login_failed', actor: { type: 'user', id: user?.id }, outcome: 'failure', ip: ctx.ip, requestId: ctx.requestId, details: { factor: 'password' } })
      throw new AppError('UNAUTHENTICATED', LOGIN_FAILED)
    }
    const session = await sessions.create(user.id, ctx)
    await audit.append({ workspaceId: null, type: 'login_succeeded', actor: { type: 'user', id: user.id }, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details: { factor: 'password', session: session.sessionId } })
    return { userId: user.id, ...session }
  }

  return { login }
}
export type LoginService = ReturnType<typeof createLoginService>
