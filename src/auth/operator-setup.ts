import { and, eq, gt, isNull } from 'drizzle-orm'
import { AppError, systemErrorCode } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { randomToken, sha256Hex } from '../crypto/index.js'
import { schema, type Db } from '../db/index.js'
import type { AuditChain } from '../monitoring/index.js'
import { hashPassword } from './password.js'
import { assertAcceptablePassword } from './password-policy.js'
import { hasOperator, insertUserWithWorkspace, findUserByEmail } from './workspace-store.js'
import { emailAddress, workspaceName as workspaceNameSchema, type ClaimSetupBody } from './auth-types.js'

const { setupTokens } = schema

export type OperatorSetupDeps = { db: Db; clock: Clock; audit: Pick<AuditChain, 'append' | 'appendIn'>; tokenTtlHours: number }
export type RequestContext = { ip?: string | undefined; requestId?: string | undefined }
export type OperatorInput = { email: string; password: string; workspaceName: string }

/** Postgres unique violation: the single-operator index or the email index. */
const isUniqueViolation = (err: unknown) => systemErrorCode(err) === '23505' || systemErrorCode((err as { cause?: unknown })?.cause) === '23505'

/**
 * The first account on an instance is its operator. It is created either from the terminal
 * (`bulwark init`) or in the browser with the one-time setup token printed at first start, so the first
 * stranger to reach the port cannot claim the instance.
 */
export const createOperatorSetup = ({ db, clock, audit, tokenTtlHours }: OperatorSetupDeps) => {
  const needsSetup = async () => !(await hasOperator(db))

  /** A fresh token (older unused ones stop working); undefined when an operator exists. The token is returned once, never stored. */
  const issueSetupToken = async (): Promise<{ token: string; expiresAt: Date } | undefined> =>
    db.transaction(async (tx) => {
      if (await hasOperator(tx)) return undefined
      const now = clock.now()
      await tx.update(setupTokens).set({ usedAt: now }).where(isNull(setupTokens.usedAt))
      const token = randomToken(24)
      const expiresAt = new Date(now.getTime() + tokenTtlHours * 3_600_000)
      await tx.insert(setupTokens).values({ id: newId(now.getTime()), tokenHash: sha256Hex(token), createdAt: now, expiresAt })
      return { token, expiresAt }
    })

  const validate = (input: OperatorInput) => {
    const email = emailAddress.safeParse(input.email)
    if (!email.success) throw new AppError('BAD_INPUT', `email: ${email.error.issues[0]?.message ?? 'invalid'}`)
    const name = workspaceNameSchema.safeParse(input.workspaceName)
    if (!name.success) throw new AppError('BAD_INPUT', `workspaceName: ${name.error.issues[0]?.message ?? 'invalid'}`)
    assertAcceptablePassword(input.password, { userInputs: [email.data, name.data], secondFactor: false })
    return { email: email.data, workspaceName: name.data }
  }

  const createOperator = async (
    input: OperatorInput,
    actor: { type: 'user' | 'operator_cli' },
    ctx: RequestContext,
    consumeToken?: (tx: Parameters<Parameters<Db['transaction']>[0]>[0], now: Date) => Promise<void>,
  ) => {
    const { email, workspaceName } = validate(input)
    const passwordHash = await hashPassword(input.password) // outside the transaction: it takes ~50 ms
    try {
      return await db.transaction(async (tx) => {
        const now = clock.now()
        if (consumeToken) await consumeToken(tx, now)
        if (await hasOperator(tx)) throw new AppError('CONFLICT', 'this instance already has an operator: sign in instead')
        if (await findUserByEmail(tx, email)) throw new AppError('CONFLICT', `an account for ${email} already exists`)
        const ids = await insertUserWithWorkspace(tx, { email, displayName: email.split('@')[0] ?? email, passwordHash, isOperator: true, emailVerifiedAt: now }, workspaceName, now)
        const who = { type: actor.type, id: ids.userId }
        await audit.appendIn(tx, { workspaceId: null, type: 'operator_created', actor: who, outcome: 'success', ...ctx, details: { userId: ids.userId, via: actor.type === 'operator_cli' ? 'cli' : 'setup_token' } })
        await audit.appendIn(tx, { workspaceId: ids.workspaceId, type: 'workspace_created', actor: who, outcome: 'success', ...ctx, details: { name: workspaceName, personal: true } })
        return ids
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'this instance already has an operator: sign in instead', { cause: err })
      throw err
    }
  }

  /** Claims the instance with the setup token. A wrong, used or expired token is FORBIDDEN and audited. */
  const claim = async (body: ClaimSetupBody, ctx: RequestContext) => {
    try {
      return await createOperator(body, { type: 'user' }, ctx, async (tx, now) => {
        const used = await tx
          .update(setupTokens)
          .set({ usedAt: now })
          .where(and(eq(setupTokens.tokenHash, sha256Hex(body.token)), isNull(setupTokens.usedAt), gt(setupTokens.expiresAt, now)))
          .returning({ id: setupTokens.id })
        if (used.length === 0) throw new AppError('FORBIDDEN', 'the setup token is wrong, used or expired: restart the server to print a new one')
      })
    } catch (err) {
      if (err instanceof AppError && err.code === 'FORBIDDEN') {
        await audit.append({ workspaceId: null, type: 'setup_claim_refused', actor: { type: 'user' }, outcome: 'denied', ...ctx, details: {} })
      }
      throw err
    }
  }

  /** `bulwark init`: whoever can run the CLI as the instance's user is trusted to create the operator. */
  const initFromCli = (input: OperatorInput) => createOperator(input, { type: 'operator_cli' }, {})

  return { needsSetup, issueSetupToken, claim, initFromCli }
}

export type OperatorSetup = ReturnType<typeof createOperatorSetup>
