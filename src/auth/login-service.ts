import { eq } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { schema, type Db } from '../db/index.js'
import type { AuditChain } from '../monitoring/index.js'
import { hashPassword, verifyPassword } from './password.js'
import type { SessionContext, SessionService } from './session-service.js'
import type { LoginThrottle } from './login-throttle.js'

const { users } = schema

/** The one answer to every failed sign-in: no account enumeration by message (R28). */
export const LOGIN_FAILED = 'the email or the password is wrong'

/**
 * Password sign-in. Unknown accounts run the same path with a fixed dummy hash, so the work done (one
 * argon2id verification) and the answer are the same as for a wrong password. Throttled attempts are
 * refused before any password is checked (login-throttle.ts). The second factor comes next.
 */
export const createLoginService = ({
  db,
  sessions,
  audit,
  throttle,
}: {
  db: Db
  sessions: Pick<SessionService, 'create'>
  audit: Pick<AuditChain, 'append'>
  throttle: Pick<LoginThrottle, 'check' | 'failed' | 'succeeded'>
}) => {
  // Computed once, up front (not awaited here): the first unknown-account attempt must not pay for it.
  const dummyHash = hashPassword('not a real password, only here to spend the same time')

  const login = async (email: string, password: string, ctx: SessionContext & { requestId?: string }) => {
    try {
      await throttle.check(email, ctx.ip)
    } catch (err) {
      await audit.append({ workspaceId: null, type: 'login_throttled', actor: { type: 'user' }, outcome: 'denied', ip: ctx.ip, requestId: ctx.requestId, details: {} })
      throw err
    }
    const [user] = await db.select({ id: users.id, passwordHash: users.passwordHash, disabledAt: users.disabledAt }).from(users).where(eq(users.email, email.trim().toLowerCase())).limit(1)
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), password)
    if (!user || !ok || user.disabledAt) {
      await throttle.failed(email, ctx.ip)
      await audit.append({ workspaceId: null, type: 'login_failed', actor: { type: 'user', id: user?.id }, outcome: 'failure', ip: ctx.ip, requestId: ctx.requestId, details: { factor: 'password' } })
      throw new AppError('UNAUTHENTICATED', LOGIN_FAILED)
    }
    await throttle.succeeded(email)
    const session = await sessions.create(user.id, ctx)
    await audit.append({ workspaceId: null, type: 'login_succeeded', actor: { type: 'user', id: user.id }, outcome: 'success', ip: ctx.ip, requestId: ctx.requestId, details: { factor: 'password', session: session.sessionId } })
    return { userId: user.id, ...session }
  }

  return { login }
}
export type LoginService = ReturnType<typeof createLoginService>
