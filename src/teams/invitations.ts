import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { randomToken, sha256Hex } from '../crypto/index.js'
import { schema, type Db, type DbOrTx, type Role } from '../db/index.js'
import { renderTemplated, type AuditChain, type Outbox, type TemplatedEmail } from '../monitoring/index.js'
import { applyWorkspaceIdlePolicyIn } from '../auth/idle-policy.js'
import type { ApprovalGate, ApprovalView } from './approval-types.js'
import { lockWorkspace, ownersOf } from './member-store.js'
import {
  INVITATION_RECIPIENT_INTERVAL_MS,
  INVITATION_TTL_MS,
  MAX_INVITATIONS_PER_ADDRESS_PER_HOUR,
  MAX_INVITATIONS_PER_HOUR,
  MAX_PENDING_INVITATIONS,
  type AcceptedInvitation,
  type InvitableRole,
  type InvitationPreview,
  type InvitationState,
  type InvitationView,
  type TeamActor,
} from './team-types.js'

const { workspaceInvitations: invitations, workspaces, memberships, users, loginThrottle } = schema

/**
 * Failed look-ups of invitation links per address: this many unknown, used or expired tokens within the
 * window pause that address for the window. A token has 256 bits, so this is about noise, not guessing.
 */
export const invitationThrottlePolicy = { failures: 20, windowMinutes: 15 } as const

export type InvitationsDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'appendIn'>
  outbox: Pick<Outbox, 'sendIn' | 'enqueueIn'>
  /** Where the emailed link points: `${publicOrigin}/invite#token=…`. */
  publicOrigin: string
  /**
   * Four-eyes (R42): where the workspace asks for it, an invitation above viewer joins as viewer and the
   * invited role becomes a `role.upgrade` request in the inviter's name (neither they nor the invitee approve it).
   */
  gate: ApprovalGate
}

/** An accepted invitation, with the role request it filed (where approvals are required). */
export type AcceptResult = AcceptedInvitation & { approval?: ApprovalView }

/** Who invites: their id and their (effective) role in the workspace. */
export type Inviter = TeamActor & { role: Role }

const NOT_VALID = 'this invitation link is not valid: it may have been used, revoked, or have expired. Ask for a new one'

/** `alice@example.com` → `a***@example.com`: enough to recognise one's own address, not to harvest it. */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@')
  return at <= 0 ? '***' : `${email.slice(0, 1)}***${email.slice(at)}`
}

const stateOf = (r: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date }, now: Date): InvitationState =>
  r.acceptedAt ? 'accepted' : r.revokedAt ? 'revoked' : r.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending'

/**
 * Invitations to a workspace (issue 10). Invariants:
 * - the emailed link carries a 256-bit random token in the URL fragment (never sent to a server by a browser
 *   except in the preview/accept bodies, so it reaches no access log or Referer); only its SHA-256 is stored;
 * - a link works once, for the invited address only, and only while pending (not accepted, revoked or
 *   expired) in a workspace that still exists: accepting claims it with one conditional UPDATE;
 * - only owners invite admins; at most MAX_PENDING_INVITATIONS wait per workspace; a new invitation to the
 *   same address replaces the pending one;
 * - every answer for a link that does not work is the same NOT_FOUND, whatever the reason.
 */
const HOUR_MS = 60 * 60 * 1000

export const createInvitations = ({ db, clock, audit, outbox, publicOrigin, gate }: InvitationsDeps) => {
  const isPending = (now: Date) => and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now))

  const throttleKey = (ip: string | undefined) => `invitation-ip:${ip ?? 'unknown'}`

  /** @throws AppError RATE_LIMITED while the address is paused */
  const checkThrottle = async (ip: string | undefined) => {
    const [row] = await db.select({ lockedUntil: loginThrottle.lockedUntil }).from(loginThrottle).where(eq(loginThrottle.key, throttleKey(ip))).limit(1)
    if (row?.lockedUntil && row.lockedUntil.getTime() > clock.now().getTime()) {
      throw new AppError('RATE_LIMITED', 'too many invitation links that do not work were tried from your address: wait a while and try again')
    }
  }

  /** One more failed look-up from this address (the login throttle's table, under a key of its own). */
  const countFailure = async (ip: string | undefined) => {
    const now = clock.now()
    const windowStart = new Date(now.getTime() - invitationThrottlePolicy.windowMinutes * 60_000)
    const [row] = await db
      .insert(loginThrottle)
      .values({ key: throttleKey(ip), failures: 1, windowStartedAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: {
          failures: sql`case when ${loginThrottle.windowStartedAt} < ${windowStart} then 1 else ${loginThrottle.failures} + 1 end`,
          windowStartedAt: sql`case when ${loginThrottle.windowStartedAt} < ${windowStart} then ${now} else ${loginThrottle.windowStartedAt} end`,
          updatedAt: now,
        },
      })
      .returning()
    if (row && row.failures >= invitationThrottlePolicy.failures) {
      await db
        .update(loginThrottle)
        .set({ lockedUntil: new Date(now.getTime() + invitationThrottlePolicy.windowMinutes * 60_000) })
        .where(eq(loginThrottle.key, throttleKey(ip)))
    }
  }

  /** The pending invitation a token names, in a live workspace, or undefined. */
  const findUsable = async (tx: DbOrTx, token: string) => {
    const [row] = await tx
      .select({
        id: invitations.id,
        workspaceId: invitations.workspaceId,
        email: invitations.email,
        role: invitations.role,
        invitedBy: invitations.invitedBy,
        expiresAt: invitations.expiresAt,
        workspaceName: workspaces.name,
      })
      .from(invitations)
      .innerJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
      .where(and(eq(invitations.tokenHash, sha256Hex(token)), isPending(clock.now()), isNull(workspaces.deletedAt)))
      .limit(1)
    return row
  }

  const personOf = async (tx: DbOrTx, userId: string | null) => {
    if (!userId) return null
    const [u] = await tx.select({ userId: users.id, email: users.email, displayName: users.displayName }).from(users).where(eq(users.id, userId)).limit(1)
    return u ?? null
  }

  /** Invitations of the workspace, newest first (the last 200). */
  const list = async (workspaceId: string): Promise<InvitationView[]> => {
    const now = clock.now()
    const rows = await db
      .select({ i: invitations, byEmail: users.email, byName: users.displayName })
      .from(invitations)
      .leftJoin(users, eq(users.id, invitations.invitedBy))
      .where(eq(invitations.workspaceId, workspaceId))
      .orderBy(desc(invitations.createdAt), desc(invitations.id))
      .limit(200)
    return rows.map(({ i, byEmail, byName }) => ({
      id: i.id,
      email: i.email,
      role: i.role as InvitableRole,
      invitedBy: i.invitedBy && byEmail !== null ? { userId: i.invitedBy, email: byEmail, displayName: byName ?? '' } : null,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
      state: stateOf(i, now),
    }))
  }

  /**
   * Invites an address and emails it the link.
   * @throws AppError FORBIDDEN (an admin inviting an admin), EMAIL_NOT_VERIFIED (the inviter's own address),
   *   CONFLICT (already a member), RATE_LIMITED (too many pending; more than MAX_INVITATIONS_PER_HOUR in an
   *   hour; the same address again within INVITATION_RECIPIENT_INTERVAL_MS; one address invited
   *   MAX_INVITATIONS_PER_ADDRESS_PER_HOUR times in an hour by all workspaces), NOT_FOUND (workspace gone)
   */
  const invite = async (workspaceId: string, input: { email: string; role: InvitableRole }, by: Inviter): Promise<InvitationView> => {
    if (input.role === 'admin' && by.role !== 'owner') throw new AppError('FORBIDDEN', 'only owners can invite admins', { reason: 'OWNER_ONLY' })
    if (by.role !== 'owner' && by.role !== 'admin') throw new AppError('FORBIDDEN', `your role (${by.role}) may not invite people`)
    const email = input.email.trim().toLowerCase()
    return db.transaction(async (tx) => {
      // Locking the workspace row serializes invitations to it: the pending count below cannot be raced past.
      const ws = await lockWorkspace(tx, workspaceId)
      if (!ws) throw new AppError('NOT_FOUND', `workspace "${workspaceId}" not found`)
      const [inviter] = await tx.select({ email: users.email, displayName: users.displayName, verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, by.userId)).limit(1)
      if (!inviter?.verifiedAt) throw new AppError('EMAIL_NOT_VERIFIED', 'confirm your own email address (the link we emailed you) before inviting others')
      const [existing] = await tx
        .select({ userId: memberships.userId })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.workspaceId, workspaceId), eq(users.email, email)))
        .limit(1)
      if (existing) throw new AppError('CONFLICT', `${email} is already a member of this workspace`, { reason: 'ALREADY_MEMBER' })
      const now = clock.now()
      // Every invitation sends an email: how many are sent is limited, revoked and replaced ones included (review #10).
      const countSince = async (since: Date, ...where: Parameters<typeof and>) => {
        const [row] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(invitations)
          .where(and(gt(invitations.createdAt, since), ...where))
        return row?.n ?? 0
      }
      if ((await countSince(new Date(now.getTime() - HOUR_MS), eq(invitations.workspaceId, workspaceId))) >= MAX_INVITATIONS_PER_HOUR) {
        throw new AppError('RATE_LIMITED', `this workspace sent ${MAX_INVITATIONS_PER_HOUR} invitations in the last hour: wait a while before inviting more`)
      }
      if ((await countSince(new Date(now.getTime() - INVITATION_RECIPIENT_INTERVAL_MS), eq(invitations.workspaceId, workspaceId), eq(invitations.email, email))) > 0) {
        throw new AppError('RATE_LIMITED', `${email} was invited to this workspace less than ${INVITATION_RECIPIENT_INTERVAL_MS / 60_000} minutes ago: wait a few minutes before inviting them again`)
      }
      if ((await countSince(new Date(now.getTime() - HOUR_MS), eq(invitations.email, email))) >= MAX_INVITATIONS_PER_ADDRESS_PER_HOUR) {
        throw new AppError('RATE_LIMITED', `${email} received ${MAX_INVITATIONS_PER_ADDRESS_PER_HOUR} invitations in the last hour: wait a while before inviting them`)
      }
      const replaced = await tx
        .update(invitations)
        .set({ revokedAt: now })
        .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.email, email), isPending(now)))
        .returning({ id: invitations.id })
      const [pending] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(invitations)
        .where(and(eq(invitations.workspaceId, workspaceId), isPending(now)))
      if ((pending?.n ?? 0) >= MAX_PENDING_INVITATIONS) {
        throw new AppError('RATE_LIMITED', `this workspace has ${MAX_PENDING_INVITATIONS} pending invitations already: revoke some, or wait until they are accepted or expire`)
      }
      const token = randomToken(32)
      const id = newId(now.getTime())
      const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS)
      await tx.insert(invitations).values({ id, workspaceId, email, role: input.role, tokenHash: sha256Hex(token), invitedBy: by.userId, createdAt: now, expiresAt })
      await audit.appendIn(tx, {
        workspaceId,
        type: 'member_invited',
        actor: { type: 'user', id: by.userId },
        outcome: 'success',
        ip: by.ip,
        requestId: by.requestId,
        details: { invitationId: id, email, role: input.role, ...(replaced.length > 0 ? { replacedInvitationIds: replaced.map((r) => r.id) } : {}) },
      })
      const mail: TemplatedEmail = {
        template: 'team_notice',
        vars: { change: 'invited', workspaceName: ws.name, invitedBy: inviter.displayName || inviter.email, role: input.role, link: `${publicOrigin}/invite#token=${token}`, expiresAt },
      }
      // An address with an account gets its anti-phishing code like every other email; a new one cannot have one yet.
      const [account] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1)
      if (account) await outbox.sendIn(tx, { userId: account.id, address: email }, mail)
      else await outbox.enqueueIn(tx, { userId: null, to: email, template: mail.template, ...renderTemplated(mail, { antiPhishingCode: null }) })
      return {
        id,
        email,
        role: input.role,
        invitedBy: { userId: by.userId, email: inviter.email, displayName: inviter.displayName },
        createdAt: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
        state: 'pending' as const,
      }
    })
  }

  /**
   * Revokes a pending invitation (its link stops working). Revoking one that is already revoked or expired
   * changes nothing.
   * @throws AppError NOT_FOUND (not an invitation of this workspace), CONFLICT (already accepted)
   */
  const revoke = async (workspaceId: string, invitationId: string, by: TeamActor): Promise<void> => {
    await db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(invitations)
        .where(and(eq(invitations.id, invitationId), eq(invitations.workspaceId, workspaceId)))
        .for('update')
      if (!row) throw new AppError('NOT_FOUND', `invitation "${invitationId}" not found`)
      if (row.acceptedAt) throw new AppError('CONFLICT', 'this invitation was accepted already: remove the member instead')
      if (row.revokedAt) return
      await tx.update(invitations).set({ revokedAt: clock.now() }).where(eq(invitations.id, invitationId))
      await audit.appendIn(tx, {
        workspaceId,
        type: 'invitation_revoked',
        actor: { type: 'user', id: by.userId },
        outcome: 'success',
        ip: by.ip,
        requestId: by.requestId,
        details: { invitationId, email: row.email, role: row.role },
      })
    })
  }

  /**
   * What a link invites to, for the invitation page (no session needed: the link is the credential).
   * @throws AppError NOT_FOUND (the same for every link that does not work), RATE_LIMITED (too many such links from the address)
   */
  const preview = async (token: string, ip: string | undefined): Promise<InvitationPreview> => {
    await checkThrottle(ip)
    const found = await findUsable(db, token)
    if (!found) {
      await countFailure(ip)
      throw new AppError('NOT_FOUND', NOT_VALID)
    }
    const inviter = await personOf(db, found.invitedBy)
    return {
      workspaceName: found.workspaceName,
      invitedByName: inviter ? inviter.displayName || inviter.email : null,
      role: found.role as InvitableRole,
      email: found.email,
      expiresAt: found.expiresAt.toISOString(),
    }
  }

  /**
   * Accepts a link as the signed-in account: the account's address must be the invited one and verified.
   * The membership, the claimed invitation, the audit entry and the owners' notices commit together.
   * @throws AppError NOT_FOUND (link does not work), FORBIDDEN (another account), EMAIL_NOT_VERIFIED,
   *   CONFLICT (already a member), RATE_LIMITED
   */
  const accept = async (token: string, by: TeamActor): Promise<AcceptResult> => {
    await checkThrottle(by.ip)
    // Read before the transaction: the gate uses its own connection (PGlite has one; it would wait for ours).
    // The claim below re-reads nothing of it: a policy switched on in between applies from the next accept.
    const usable = await findUsable(db, token)
    const gated = usable !== undefined && usable.role !== 'viewer' && (await gate.required(usable.workspaceId, 'role.upgrade'))
    type Joined = { workspaceId: string; role: InvitableRole; invited: InvitableRole; invitedBy: string | null; email: string }
    const outcome = await db.transaction(async (tx): Promise<Joined | undefined> => {
      const found = await findUsable(tx, token)
      if (!found) return undefined
      const [user] = await tx.select({ email: users.email, displayName: users.displayName, verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, by.userId)).limit(1)
      if (!user || user.email !== found.email) {
        throw new AppError('FORBIDDEN', `this invitation is for ${maskEmail(found.email)}: sign in with that account`, { reason: 'WRONG_ACCOUNT' })
      }
      if (!user.verifiedAt) throw new AppError('EMAIL_NOT_VERIFIED', 'confirm your email address first (the link we emailed you), then open the invitation again')
      const [member] = await tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, found.workspaceId), eq(memberships.userId, by.userId)))
        .limit(1)
      if (member) throw new AppError('CONFLICT', `you are already a member of "${found.workspaceName}"`, { reason: 'ALREADY_MEMBER' })
      const now = clock.now()
      // The claim: whoever gets here second (a double click, a second tab) finds nothing to claim.
      const [claimed] = await tx
        .update(invitations)
        .set({ acceptedAt: now, acceptedBy: by.userId })
        .where(and(eq(invitations.id, found.id), isPending(now)))
        .returning({ id: invitations.id })
      if (!claimed) return undefined
      const invited = found.role as InvitableRole
      // Four-eyes (R42, review #3): more than viewer waits for a second owner or admin, like any promotion.
      const role: InvitableRole = gated && found.workspaceId === usable?.workspaceId && invited !== 'viewer' ? 'viewer' : invited
      await tx.insert(memberships).values({ workspaceId: found.workspaceId, userId: by.userId, role, createdAt: now })
      // The workspace's idle-timeout policy reaches the joiner's sessions that are already open.
      await applyWorkspaceIdlePolicyIn(tx, found.workspaceId, by.userId, now)
      await audit.appendIn(tx, {
        workspaceId: found.workspaceId,
        type: 'member_joined',
        actor: { type: 'user', id: by.userId },
        outcome: 'success',
        ip: by.ip,
        requestId: by.requestId,
        details: { userId: by.userId, email: user.email, role, invitationId: found.id, invitedBy: found.invitedBy, ...(role !== invited ? { invitedAs: invited } : {}) },
      })
      for (const owner of await ownersOf(tx, found.workspaceId)) {
        await outbox.sendIn(tx, { userId: owner.userId, address: owner.email }, {
          template: 'team_notice',
          vars: { change: 'joined', workspaceName: found.workspaceName, member: user.displayName ? `${user.displayName} (${user.email})` : user.email, role, time: now },
        })
      }
      return { workspaceId: found.workspaceId, role, invited, invitedBy: found.invitedBy, email: user.email }
    })
    if (!outcome) {
      await countFailure(by.ip)
      throw new AppError('NOT_FOUND', NOT_VALID)
    }
    const { workspaceId, role, invited, invitedBy, email } = outcome
    if (role === invited) return { workspaceId, role }
    return { workspaceId, role, ...(await requestInvitedRole(workspaceId, by.userId, email, invited, invitedBy)) }
  }

  /**
   * After a gated accept committed: files the invited role as a `role.upgrade` request in the inviter's name.
   * When that cannot be (the inviter left, nobody could approve, too many requests wait) the member stays
   * a viewer and `note` says so; the accept itself stands.
   */
  const requestInvitedRole = async (workspaceId: string, userId: string, email: string, invited: InvitableRole, invitedBy: string | null) => {
    const stays = (why: string) => ({ note: `you joined as a viewer: ${why}. Ask an owner or admin to change your role on the Team page` })
    if (!invitedBy) return stays(`the role you were invited with (${invited}) needs a second person's approval, and the person who invited you no longer has an account`)
    try {
      const approval = await gate.request({
        workspaceId,
        kind: 'role.upgrade',
        summary: `Make ${email} ${invited === 'admin' ? 'an admin' : 'a trader'} (invited as ${invited}; joined as viewer)`,
        payload: { userId, role: invited },
        requestedBy: { userId: invitedBy },
      })
      return { pendingRole: invited, approval }
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      const why = err.reason === 'NO_APPROVER' ? 'there is no owner or admin other than the person who invited you to approve it' : err.code === 'NOT_FOUND' ? 'the person who invited you is no longer a member' : err.reason === 'TOO_MANY_PENDING' ? 'too many changes wait for approval in this workspace' : 'the request could not be filed'
      return stays(`the role you were invited with (${invited}) needs a second owner or admin to approve it, and it could not be requested: ${why}`)
    }
  }

  /**
   * Whether a link invites this address (pending, in a live workspace): lets sign-up admit an invitee on an
   * instance where sign-up is by invitation only. Reveals nothing beyond what the link's holder knows.
   */
  const admits = async (token: string, email: string): Promise<boolean> => {
    const found = await findUsable(db, token)
    return found !== undefined && found.email === email.trim().toLowerCase()
  }

  return { list, invite, revoke, preview, accept, admits }
}
export type Invitations = ReturnType<typeof createInvitations>
